"""``tongban sla sweep``: run one SLA sweep now (the worker runs it every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tongban.cases.services.sweep import sla_sweep


class Command(BaseCommand):
    help = "Time limits: `sweep` fires due process timers and updates warning/overdue states."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("sweep", help="fire due timers and update SLA states once")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(_("时限巡检开始……"))
        result = sla_sweep()
        self.stdout.write(
            _(
                "时限巡检完成：检查办件 %(checked)s 件，触发定时器 %(fired)s 个，"
                "新预警 %(warned)s 件，新超期 %(overdue)s 件"
            )
            % {
                "checked": result.checked,
                "fired": result.timers_fired,
                "warned": result.warned,
                "overdue": result.overdue,
            }
        )
