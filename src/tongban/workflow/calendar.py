"""Working-day arithmetic (工作日计算) over the calendar table.

The legal rule (CONTRACT.md): a limit of N working days for a case accepted on
day D starts on the first working day after D and ends at the end of the N-th
working day; D itself is not counted.  N = 0 means "decided on the day of
acceptance" (即办件): the due date is D itself.

Days inside a suspension (补正, waiting for the applicant) do not count.  A
suspension is a pair ``(first, last)`` of dates, both inclusive: every day from
``first`` through ``last`` is skipped, whatever kind of day it is.  The cases
app decides which dates a supplement request covers.

A year without a CalendarYear row is not entered yet: its Monday–Friday days
count as working days and any result that depends on it is provisional.

A ``WorkCalendar`` reads the table lazily, one small query per year (or one
query for a range of years with ``WorkCalendar.load``: the years entered and their
days in one statement), and keeps what it read
only for its own lifetime: there is no module-level cache, so a year entered
by an admin is seen by the next calendar any process builds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from tongban.core.dbcursor import statement_cursor
from tongban.workflow.choices import CalendarDayKind
from tongban.workflow.models import CalendarDay, CalendarYear

#: Deadlines are dates in the service center's time zone.
SHANGHAI = ZoneInfo("Asia/Shanghai")

#: The longest limit accepted, in working days (about 14 years).
MAX_WORKING_DAYS = 3650

Suspension = tuple[date, date]


@dataclass(frozen=True)
class Due:
    """The last day of a time limit, and whether an unentered year made it a guess."""

    due_date: date
    #: True when a day counted lies in a year whose schedule is not entered yet.
    provisional: bool


@dataclass(frozen=True)
class _Year:
    entered: bool
    holidays: frozenset[date]
    workdays: frozenset[date]


_NOT_ENTERED = _Year(entered=False, holidays=frozenset(), workdays=frozenset())


class WorkCalendar:
    """Working days as the State Council's schedule defines them, read from the calendar table."""

    def __init__(self) -> None:
        self._years: dict[int, _Year] = {}

    @classmethod
    def load(cls, years: Iterable[int]) -> WorkCalendar:
        """A calendar with ``years`` read up front in one query; other years load on demand."""
        calendar = cls()
        calendar._fetch(sorted(set(years)))
        return calendar

    def _fetch(self, years: list[int]) -> None:
        wanted = [y for y in years if y not in self._years and date.min.year <= y <= date.max.year]
        if not wanted:
            return
        # Every step that sets a deadline reads its year: the years entered and their days in
        # one statement.
        rows = _years_and_days(min(wanted), max(wanted))
        entered = {year for year, _day, _kind in rows if year is not None and year in wanted}
        holidays: dict[int, set[date]] = {y: set() for y in entered}
        workdays: dict[int, set[date]] = {y: set() for y in entered}
        for _year, day, kind in rows:
            if day is None:
                continue
            day = day if isinstance(day, date) else date.fromisoformat(day)  # SQLite: text
            if day.year in entered:
                (holidays if kind == CalendarDayKind.HOLIDAY else workdays)[day.year].add(day)
        for year in wanted:
            if year in entered:
                self._years[year] = _Year(
                    entered=True,
                    holidays=frozenset(holidays[year]),
                    workdays=frozenset(workdays[year]),
                )
            else:
                self._years[year] = _NOT_ENTERED

    def _year(self, year: int) -> _Year:
        if year not in self._years:
            self._fetch([year])
        return self._years[year]

    def year_entered(self, year: int) -> bool:
        """Whether the schedule of ``year`` is in the table (else weekends only, provisional)."""
        return self._year(year).entered

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day; for an unentered year, whether it is Monday–Friday."""
        year = self._year(day.year)
        if day in year.workdays:
            return True
        if day in year.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int, *, suspended: Sequence[Suspension] = ()) -> Due:
        """The last day of a limit of ``n`` working days for a case accepted on ``start``."""
        if not 0 <= n <= MAX_WORKING_DAYS:
            raise ValueError(f"n must be between 0 and {MAX_WORKING_DAYS}, got {n}")
        stops = _normalise(suspended)
        day = start
        provisional = False
        counted = 0
        while counted < n:
            day = _next_day(day)
            stop = _suspension_covering(stops, day)
            if stop is not None:
                day = stop  # jump to the last suspended day; the loop steps past it
                continue
            if not self.year_entered(day.year):
                provisional = True
            if self.is_working_day(day):
                counted += 1
        return Due(due_date=day, provisional=provisional)

    def working_days_between(
        self, a: date, b: date, *, suspended: Sequence[Suspension] = ()
    ) -> int:
        """How many working days lie after ``a`` up to and including ``b`` (0 when b ≤ a)."""
        stops = _normalise(suspended)
        count = 0
        day = a
        while day < b:
            day = day + timedelta(days=1)
            stop = _suspension_covering(stops, day)
            if stop is not None:
                day = min(stop, b)
                continue
            if self.is_working_day(day):
                count += 1
        return count


def work_calendar() -> WorkCalendar:
    """A fresh calendar that reads each year from the table the first time it is needed."""
    return WorkCalendar()


def due_datetime(due: Due | date) -> datetime:
    """The end of the due date (23:59:59.999999) in Asia/Shanghai, as an aware datetime."""
    day = due.due_date if isinstance(due, Due) else due
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


def _next_day(day: date) -> date:
    try:
        return day + timedelta(days=1)
    except OverflowError:
        raise ValueError("the limit runs past the last representable date") from None


def _normalise(suspended: Sequence[Suspension]) -> list[Suspension]:
    stops = []
    for first, last in suspended:
        if last < first:
            raise ValueError(f"suspension ends ({last}) before it starts ({first})")
        stops.append((first, last))
    return sorted(stops)


def _suspension_covering(stops: list[Suspension], day: date) -> date | None:
    """The last day of a suspension that covers ``day``, if any."""
    ends = [last for first, last in stops if first <= day <= last]
    return max(ends) if ends else None


def _years_and_days(low: int, high: int) -> list[tuple[Any, Any, Any]]:
    """``(year, None, None)`` for each year entered from ``low`` to ``high``, then
    ``(None, date, kind)`` for each special day of those years: one statement."""
    first = connection.ops.adapt_datefield_value(date(low, 1, 1))
    last = connection.ops.adapt_datefield_value(date(high, 12, 31))
    with statement_cursor(connection) as cursor:
        cursor.execute(_years_and_days_sql(), [low, high, first, last])
        return list(cursor.fetchall())


@functools.cache
def _years_and_days_sql() -> str:
    """The text of ``_years_and_days``, made once (every step that sets a deadline runs it)."""
    quote = connection.ops.quote_name
    year = quote(CalendarYear._meta.get_field("year").column)
    day = quote(CalendarDay._meta.get_field("date").column)
    kind = quote(CalendarDay._meta.get_field("kind").column)
    # Table and column names from the models; every value is a parameter.
    return (
        f"SELECT {year}, NULL, NULL FROM {quote(CalendarYear._meta.db_table)}"  # noqa: S608
        f" WHERE {year} BETWEEN %s AND %s"
        f" UNION ALL SELECT NULL, {day}, {kind} FROM {quote(CalendarDay._meta.db_table)}"
        f" WHERE {day} BETWEEN %s AND %s"
    )
