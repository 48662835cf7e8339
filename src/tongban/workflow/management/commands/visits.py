"""``tongban visits backfill``: record the path of cases started before it was recorded."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tongban.workflow.services import visits_backfill_all


class Command(BaseCommand):
    help = "Recorded process paths: `backfill` derives them for instances that have none."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "backfill", help="derive the path of every instance without one (idempotent)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int, rows: int) -> None:
            self.stdout.write(
                _("%(done)s/%(total)s 个流程实例，已写入 %(rows)s 条环节记录")
                % {"done": done, "total": total, "rows": rows}
            )

        filled, rows = visits_backfill_all(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                _("补录完成：%(instances)s 个流程实例，%(rows)s 条环节记录")
                % {"instances": filled, "rows": rows}
            )
        )
