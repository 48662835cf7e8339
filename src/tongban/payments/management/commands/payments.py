"""``tongban payments sandbox --port 8010`` and ``tongban payments reconcile --day YYYY-MM-DD``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tongban.core.errors import DomainError
from tongban.payments import sandbox_server
from tongban.payments.services import payment_reconcile


class Command(BaseCommand):
    help = "Payments: run the sandbox gateway, or reconcile one day with the provider."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        sandbox = actions.add_parser("sandbox", help="run the sandbox payment gateway")
        sandbox.add_argument("--host", default="127.0.0.1")
        sandbox.add_argument("--port", type=int, default=8010, help="0 picks a free port")
        sandbox.add_argument("--public-url", default="", help="URL the payer's browser uses")
        reconcile = actions.add_parser("reconcile", help="compare a day's orders with the provider")
        reconcile.add_argument("--day", required=True, help="YYYY-MM-DD (Asia/Shanghai)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sandbox":
            secret = settings.PAYMENT_SANDBOX_SECRET
            if not secret:
                raise CommandError(_("未设置 PAYMENT_SANDBOX_SECRET"))
            if not 0 <= options["port"] <= 65535:
                raise CommandError(_("端口必须在 0 到 65535 之间"))
            try:
                sandbox_server.serve(
                    host=options["host"],
                    port=options["port"],
                    secret=secret,
                    public_url=options["public_url"],
                )
            except OSError as exc:
                raise CommandError(_("沙箱支付网关无法启动：%(error)s") % {"error": exc}) from exc
            return
        try:
            day = dt.date.fromisoformat(options["day"])
        except ValueError:
            raise CommandError(_("日期格式应为 YYYY-MM-DD")) from None
        try:
            report = payment_reconcile(day=day)
        except DomainError as exc:
            raise CommandError(str(exc.detail)) from exc
        self._print(report)

    def _print(self, report: Any) -> None:
        self.stdout.write(
            _("%(day)s 对账（%(provider)s）：一致 %(matched)s 笔")
            % {"day": report.day, "provider": report.provider, "matched": len(report.matched)}
        )
        for record in report.missing_locally:
            self.stdout.write(
                _("  渠道有、本地无：%(no)s 流水号 %(trade)s 金额 %(amount)s 元")
                % {"no": record.order_no, "trade": record.trade_no, "amount": record.amount}
            )
        for order_no in report.missing_at_provider:
            self.stdout.write(_("  本地有、渠道无：%(no)s") % {"no": order_no})
        for mismatch in report.amount_mismatches:
            self.stdout.write(
                _("  金额不符：%(no)s 本地 %(local)s 元，渠道 %(remote)s 元")
                % {
                    "no": mismatch.order_no,
                    "local": mismatch.local_amount,
                    "remote": mismatch.provider_amount,
                }
            )
        self.stdout.write(_("对账平衡") if report.balanced else _("对账不平衡，请核查以上差异"))
