"""tongban heatmap_rebuild [--process NAME]: recompute the heat map's daily rollup."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tongban.stats.heatmap import heatmap_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the heat map's daily rollup of node visits (workflow.NodeVisitDay) from the "
        "recorded visits: once after upgrading to it, or after importing visits in bulk."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--process", help="only this process (all its versions)")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = heatmap_rebuild(name=options.get("process"))
        self.stdout.write(f"heat map rollup rebuilt: {rows} rows")
