"""Simulated time: office hours on working days in Asia/Shanghai, and moments within them.

The center works 9:00–17:00 on the working days of ``workflow.calendar.WorkCalendar``
(holidays and make-up days included).  Durations are counted in working hours, so "two
working days" from Friday 15:00 ends on Tuesday 15:00 across a weekend.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache

from tongban.workflow.calendar import SHANGHAI, WorkCalendar

OPENS = dt.time(9, 0)
CLOSES = dt.time(17, 0)
HOURS_PER_DAY = 8.0


class OfficeHours:
    def __init__(self, calendar: WorkCalendar | None = None) -> None:
        self.calendar = calendar or WorkCalendar()
        self._working = lru_cache(maxsize=4096)(self.calendar.is_working_day)

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self._working(day))

    def working_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        days = []
        day = first
        while day <= last:
            if self.is_working_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def moment(self, day: dt.date, rng: random.Random) -> dt.datetime:
        """A moment within office hours of ``day`` (busier mornings, as at a real center)."""
        hours = min(rng.triangular(0.0, HOURS_PER_DAY, 2.0), HOURS_PER_DAY - 0.01)
        start = dt.datetime.combine(day, OPENS, tzinfo=SHANGHAI)
        return start + dt.timedelta(hours=hours)

    def later(self, at: dt.datetime, working_days: float) -> dt.datetime:
        """``working_days`` (a fraction) of office time after ``at``; always a later moment."""
        left = max(working_days, 0.0) * HOURS_PER_DAY
        local = at.astimezone(SHANGHAI)
        day = local.date()
        opens = dt.datetime.combine(day, OPENS, tzinfo=SHANGHAI)
        closes = dt.datetime.combine(day, CLOSES, tzinfo=SHANGHAI)
        if not self.is_working_day(day) or local >= closes:
            local = self._next_opening(day)
        elif local < opens:
            local = opens
        while True:
            closes = dt.datetime.combine(local.date(), CLOSES, tzinfo=SHANGHAI)
            room = (closes - local).total_seconds() / 3600
            if left <= room:
                # A minute at least, so that one step always follows the one before.
                return local + dt.timedelta(hours=left) + dt.timedelta(minutes=1)
            left -= room
            local = self._next_opening(local.date())

    def _next_opening(self, day: dt.date) -> dt.datetime:
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, OPENS, tzinfo=SHANGHAI)
