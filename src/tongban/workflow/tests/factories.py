"""Factories for the calendar models."""

from __future__ import annotations

from datetime import date

from tongban.workflow.choices import CalendarDayKind
from tongban.workflow.models import CalendarDay, CalendarYear


def calendar_year_factory(
    *, year: int = 2030, source: str = "测试", entered_by: str = "test"
) -> CalendarYear:
    return CalendarYear.objects.create(year=year, source=source, entered_by=entered_by)


def calendar_day_factory(
    *, day: date = date(2030, 1, 1), kind: str = CalendarDayKind.HOLIDAY, name: str = "元旦"
) -> CalendarDay:
    return CalendarDay.objects.create(date=day, kind=kind, name=name)
