"""``tongban calendar due|seed|years``: the working-day calendar from the command line."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core.errors import ValidationFailed
from tongban.workflow.models import CalendarYear
from tongban.workflow.selectors import calendar_due, calendar_missing_years
from tongban.workflow.services import calendar_seed, seed_last_year


class Command(BaseCommand):
    help = "Working-day calendar: `due YYYY-MM-DD N`, `seed`, `years`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        due = actions.add_parser("due", help="last day of N working days after a date")
        due.add_argument("start", help="day of acceptance, YYYY-MM-DD (not counted)")
        due.add_argument("days", help="number of working days, 0-3650")
        seed = actions.add_parser("seed", help="fill the table from chinese-calendar")
        seed.add_argument("--first-year", type=int, default=2004)
        seed.add_argument("--last-year", type=int, default=None)
        actions.add_parser("years", help="list the entered years")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "due":
            self._due(options["start"], options["days"])
        elif action == "seed":
            self._seed(options["first_year"], options["last_year"])
        else:
            self._years()

    def _due(self, start_text: str, days_text: str) -> None:
        try:
            start = date.fromisoformat(start_text)
        except ValueError:
            raise CommandError(
                _("日期无效：%(value)s（格式应为 YYYY-MM-DD）") % {"value": start_text}
            ) from None
        try:
            days = int(days_text)
        except ValueError:
            raise CommandError(_("工作日数应为整数：%(value)s") % {"value": days_text}) from None
        try:
            due = calendar_due(start=start, days=days)
        except ValidationFailed as exc:
            messages = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise CommandError(messages or str(exc.detail)) from None
        line = due.due_date.isoformat()
        if due.provisional:
            line += " (provisional)"
        self.stdout.write(line)

    def _seed(self, first_year: int, last_year: int | None) -> None:
        last = seed_last_year() if last_year is None else last_year
        if first_year > last:
            raise CommandError(
                _("起始年份 %(first)s 晚于结束年份 %(last)s") % {"first": first_year, "last": last}
            )

        def progress(year: int, written: int) -> None:
            self.stdout.write(
                _("%(year)s/%(last)s 已写入 %(written)s 天")
                % {"year": year, "last": last, "written": written}
            )

        written = calendar_seed(first_year=first_year, last_year=last, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(_("导入完成：写入 %(written)s 天") % {"written": written})
        )

    def _years(self) -> None:
        for entry in CalendarYear.objects.order_by("year"):
            self.stdout.write(f"{entry.year}\t{entry.source}")
        next_year_end = date(timezone.localdate().year + 1, 12, 31)
        missing = calendar_missing_years(through=next_year_end)
        if missing:
            # Deadlines reaching these years are provisional until an admin enters them.
            self.stderr.write(
                _("以下年份尚未录入，相关期限为暂定：%(years)s")
                % {"years": ", ".join(map(str, missing))}
            )
