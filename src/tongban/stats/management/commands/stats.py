"""``tongban stats rebuild``: recompute every rollup from the cases (with progress)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tongban.stats.rebuild import rollups_rebuild


class Command(BaseCommand):
    help = "Indicators: `rebuild` recomputes every rollup from the cases, timelines and visits."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("rebuild", help="recompute the rollup tables from scratch")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(_("重建统计汇总表……"))

        def progress(done: int, total: int) -> None:
            self.stdout.write(
                _("  已处理 %(done)s / %(total)s 组办件") % {"done": done, "total": total}
            )

        result = rollups_rebuild(progress=progress)
        self.stdout.write(
            _("重建完成：办件 %(cases)s 件，每日汇总 %(rows)s 行，时长分布 %(hist)s 行")
            % {
                "cases": result.cases,
                "rows": result.rollup_rows,
                "hist": result.histogram_rows,
            }
        )
