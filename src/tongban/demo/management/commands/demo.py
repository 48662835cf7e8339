"""`tongban demo load [--if-empty]` and `tongban demo accounts`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.catalog.models import Matter
from tongban.core.errors import DomainError
from tongban.demo.accounts import DEMO_PASSWORD
from tongban.demo.loader import demo_accounts_table, demo_load


class Command(BaseCommand):
    help = "演示数据：load 载入演示区（幂等），accounts 列出演示账号 (demo district)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="载入或更新演示区 (load or refresh the demo district)")
        load.add_argument(
            "--if-empty",
            action="store_true",
            help="数据库中已有事项时不做任何事 (do nothing when matters exist)",
        )
        sub.add_parser("accounts", help="列出演示账号 (list the demo accounts)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "accounts":
            self._accounts()
            return
        if options["if_empty"] and Matter.objects.exists():
            self.stdout.write("数据库中已有事项，跳过演示数据 (matters exist, demo load skipped)")
            return
        self.stdout.write("载入演示区 (loading the demo district) …")
        try:
            summary = demo_load(progress=lambda line: self.stdout.write(f"  {line}"))
        except DomainError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise CommandError(f"演示数据有误 (demo data refused): {exc} {details}") from exc
        self.stdout.write(self.style.SUCCESS("演示区已就绪 (demo district ready):"))
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(f"  演示账号密码 (demo password): {DEMO_PASSWORD}")

    def _accounts(self) -> None:
        rows = demo_accounts_table()
        width = max(len(r[0]) for r in rows)
        self.stdout.write(f"演示账号，密码均为 (demo accounts, password) {DEMO_PASSWORD}")
        self.stdout.write(f"{'用户名 (username)'.ljust(width + 4)}  身份 (who)  —  角色 (roles)")
        for username, who, roles in rows:
            self.stdout.write(f"{username.ljust(width + 4)}  {who}  —  {roles}")
