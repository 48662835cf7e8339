"""``tongban payments reconcile --day YYYY-MM-DD`` (the sandbox adds ``payments sandbox``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tongban.core.errors import DomainError
from tongban.payments.services import payment_reconcile


class Command(BaseCommand):
    help = "Payments: reconcile one day with the provider."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_actions(parser.add_subparsers(dest="action", required=True))

    def add_actions(self, actions: Any) -> None:
        """The subcommands; tongban.sandbox's ``payments`` command adds ``sandbox``."""
        reconcile = actions.add_parser("reconcile", help="compare a day's orders with the provider")
        reconcile.add_argument("--day", required=True, help="YYYY-MM-DD (Asia/Shanghai)")

    def handle(self, *args: Any, **options: Any) -> None:
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
