"""Deadlines against the State Council's published holiday schedules.

Every expected date below was counted by hand from the 国务院办公厅 notices
for 2024, 2025 and 2026 (holidays and make-up workdays quoted next to each
case), not taken from the code under test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from tongban.core.errors import ValidationFailed
from tongban.workflow.calendar import Due, WorkCalendar, due_datetime, work_calendar
from tongban.workflow.selectors import calendar_due

pytestmark = pytest.mark.django_db

D = date.fromisoformat

# (accepted, working days, due) — the comment names the rule the case exercises.
SCHEDULE_CASES = [
    # 2024 春节 2/10–2/17 off, make-up workdays Sun 2/4 and Sun 2/18.
    ("2024-02-02", 1, "2024-02-04"),
    ("2024-02-08", 1, "2024-02-09"),
    ("2024-02-08", 2, "2024-02-18"),
    ("2024-02-08", 5, "2024-02-21"),
    # 2024 清明 4/4–4/6 off, make-up Sun 4/7.
    ("2024-04-03", 1, "2024-04-07"),
    ("2024-04-03", 3, "2024-04-09"),
    # 2024 劳动节 5/1–5/5 off, make-up Sun 4/28 and Sat 5/11.
    ("2024-04-26", 1, "2024-04-28"),
    ("2024-04-26", 3, "2024-04-30"),
    ("2024-04-30", 5, "2024-05-10"),
    ("2024-04-30", 6, "2024-05-11"),
    # 2024 端午 6/8–6/10 off (Monday 6/10 is the holiday), no make-up day.
    ("2024-06-07", 1, "2024-06-11"),
    # 2024 中秋 9/15–9/17 off, make-up Sat 9/14.
    ("2024-09-13", 1, "2024-09-14"),
    ("2024-09-13", 2, "2024-09-18"),
    # 2024 国庆 10/1–10/7 off, make-up Sun 9/29 and Sat 10/12.
    ("2024-09-27", 1, "2024-09-29"),
    ("2024-09-27", 2, "2024-09-30"),
    ("2024-09-27", 3, "2024-10-08"),
    ("2024-10-10", 2, "2024-10-12"),
    # 2025 春节 1/28–2/4 off, make-up Sun 1/26 and Sat 2/8.
    ("2025-01-24", 1, "2025-01-26"),
    ("2025-01-24", 2, "2025-01-27"),
    ("2025-01-24", 3, "2025-02-05"),
    ("2025-02-07", 1, "2025-02-08"),
    # 2025 清明 4/4–4/6 off, no make-up day.
    ("2025-04-03", 1, "2025-04-07"),
    # 2025 劳动节 5/1–5/5 off, make-up Sun 4/27.
    ("2025-04-25", 1, "2025-04-27"),
    ("2025-04-25", 4, "2025-04-30"),
    ("2025-04-25", 5, "2025-05-06"),
    # 2025 端午 5/31–6/2 off.
    ("2025-05-30", 1, "2025-06-03"),
    # 2025 国庆+中秋 10/1–10/8 off, make-up Sun 9/28 and Sat 10/11.
    ("2025-09-26", 1, "2025-09-28"),
    ("2025-09-26", 3, "2025-09-30"),
    ("2025-09-26", 4, "2025-10-09"),
    ("2025-09-26", 6, "2025-10-11"),
    ("2025-09-26", 7, "2025-10-13"),
    # 2026 元旦 1/1–1/3 off, make-up Sun 1/4 — counted across the year boundary.
    ("2025-12-31", 1, "2026-01-04"),
    # 2026 春节 2/15–2/23 off, make-up Sat 2/14 and Sat 2/28.
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-13", 5, "2026-02-27"),
    ("2026-02-13", 6, "2026-02-28"),
    ("2026-02-13", 7, "2026-03-02"),
    # 2026 清明 4/4–4/6 off.
    ("2026-04-03", 1, "2026-04-07"),
    # 2026 劳动节 5/1–5/5 off, make-up Sat 5/9.
    ("2026-04-30", 1, "2026-05-06"),
    ("2026-04-30", 4, "2026-05-09"),
    ("2026-04-30", 5, "2026-05-11"),
    # 2026 端午 6/19–6/21 off.
    ("2026-06-18", 1, "2026-06-22"),
    # 2026 中秋 9/25–9/27 and 国庆 10/1–10/7 off, make-up Sun 9/20 and Sat 10/10.
    ("2026-09-18", 1, "2026-09-20"),
    ("2026-09-24", 1, "2026-09-28"),
    ("2026-09-28", 3, "2026-10-08"),
    ("2026-09-28", 5, "2026-10-10"),
]


@pytest.mark.parametrize(("accepted", "days", "due"), SCHEDULE_CASES)
def test_it_counts_working_days_by_the_state_council_schedule(
    accepted: str, days: int, due: str
) -> None:
    assert calendar_due(start=D(accepted), days=days) == Due(due_date=D(due), provisional=False)


def test_the_expected_dates_agree_with_the_chinese_calendar_package() -> None:
    # Guards the hand-counted table above against a slip of the pen.
    for accepted, days, due in SCHEDULE_CASES:
        day, counted = D(accepted), 0
        while counted < days:
            day += timedelta(days=1)
            counted += chinese_calendar.is_workday(day)
        assert day == D(due), (accepted, days)


def test_every_day_from_2004_to_2026_matches_the_chinese_calendar_package() -> None:
    calendar = WorkCalendar.load(range(2004, 2027))
    day = date(2004, 1, 1)
    while day.year <= 2026:
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_acceptance_on_a_holiday_counts_from_the_next_working_day() -> None:
    # 2026-02-17 is the second day of 春节; work resumes Tue 2026-02-24.
    assert calendar_due(start=D("2026-02-17"), days=1).due_date == D("2026-02-24")


def test_acceptance_on_a_weekend_counts_from_monday() -> None:
    assert calendar_due(start=D("2026-03-07"), days=1).due_date == D("2026-03-09")
    assert calendar_due(start=D("2026-03-08"), days=5).due_date == D("2026-03-13")


def test_acceptance_on_a_make_up_workday_does_not_count_that_day() -> None:
    assert calendar_due(start=D("2026-02-14"), days=1).due_date == D("2026-02-24")


def test_zero_working_days_is_due_on_the_day_of_acceptance() -> None:
    assert calendar_due(start=D("2026-02-15"), days=0) == Due(D("2026-02-15"), False)


def test_it_refuses_a_negative_or_too_large_number_of_days() -> None:
    for days in (-1, 3651):
        with pytest.raises(ValidationFailed) as raised:
            calendar_due(start=D("2026-02-13"), days=days)
        assert [e.field for e in raised.value.errors] == ["days"]


def test_it_refuses_a_limit_past_the_last_representable_date() -> None:
    with pytest.raises(ValidationFailed) as raised:
        calendar_due(start=date(9999, 12, 20), days=3650)
    assert [e.field for e in raised.value.errors] == ["from"]


def test_a_supplement_suspension_adds_the_working_days_it_covers() -> None:
    # Without suspension: 2/14, 2/24, 2/25, 2/26, 2/27.  Waiting 2/24–2/25 moves
    # the count to 2/14, 2/26, 2/27, 2/28 (make-up Saturday), 3/2.
    due = calendar_due(
        start=D("2026-02-13"), days=5, suspended=[(D("2026-02-24"), D("2026-02-25"))]
    )
    assert due.due_date == D("2026-03-02")


def test_a_suspension_inside_the_holidays_changes_nothing() -> None:
    due = calendar_due(
        start=D("2026-02-13"), days=5, suspended=[(D("2026-02-15"), D("2026-02-23"))]
    )
    assert due.due_date == D("2026-02-27")


def test_a_suspended_make_up_workday_does_not_count() -> None:
    due = calendar_due(
        start=D("2026-02-13"), days=5, suspended=[(D("2026-02-13"), D("2026-02-14"))]
    )
    assert due.due_date == D("2026-02-28")


def test_overlapping_and_touching_suspensions_are_each_skipped() -> None:
    # 3/2–3/4 and 3/4–3/6 overlap, 3/9 touches neither: skips Mon 3/2 to Mon 3/9.
    due = calendar_due(
        start=D("2026-02-27"),
        days=2,
        suspended=[
            (D("2026-03-04"), D("2026-03-06")),
            (D("2026-03-02"), D("2026-03-04")),
            (D("2026-03-09"), D("2026-03-09")),
        ],
    )
    # 2/28 (make-up Saturday) counts, then the next free working day is Tue 3/10.
    assert due.due_date == D("2026-03-10")


def test_it_refuses_a_suspension_that_ends_before_it_starts() -> None:
    with pytest.raises(ValidationFailed) as raised:
        calendar_due(start=D("2026-02-13"), days=5, suspended=[(D("2026-02-25"), D("2026-02-24"))])
    assert [e.field for e in raised.value.errors] == ["suspended"]


def test_working_days_between_counts_after_the_first_up_to_the_second() -> None:
    calendar = work_calendar()
    assert calendar.working_days_between(D("2026-02-13"), D("2026-02-27")) == 5
    assert calendar.working_days_between(D("2026-02-13"), D("2026-02-23")) == 1
    assert calendar.working_days_between(D("2026-02-13"), D("2026-02-13")) == 0
    assert calendar.working_days_between(D("2026-02-27"), D("2026-02-13")) == 0
    suspended = [(D("2026-02-24"), D("2026-02-25"))]
    assert calendar.working_days_between(D("2026-02-13"), D("2026-02-27"), suspended=suspended) == 3
    # A suspension still running on the later day stops at that day.
    suspended = [(D("2026-02-26"), D("2026-03-31"))]
    assert calendar.working_days_between(D("2026-02-13"), D("2026-02-27"), suspended=suspended) == 3


def test_the_due_moment_is_the_end_of_the_due_date_in_shanghai() -> None:
    moment = due_datetime(Due(D("2026-02-27"), False))
    assert moment == datetime(2026, 2, 27, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert moment.utcoffset() == timedelta(hours=8)
    assert due_datetime(D("2026-02-27")) == moment


def test_a_deadline_inside_entered_years_is_not_provisional() -> None:
    # Fri 2026-12-25 + 4: 12/28, 12/29, 12/30, 12/31 — all in 2026.
    assert calendar_due(start=D("2026-12-25"), days=4) == Due(D("2026-12-31"), False)


def test_a_deadline_reaching_an_unentered_year_counts_weekends_only_and_is_provisional() -> None:
    # 12/28–12/31, then 2027 Mon–Fri with no holidays known: 1/1 (Fri), 1/4–1/8.
    assert calendar_due(start=D("2026-12-25"), days=10) == Due(D("2027-01-08"), True)


def test_a_calendar_reads_each_year_once() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calendar = WorkCalendar.load([2026])
    with CaptureQueriesContext(connection) as queries:
        calendar.add_working_days(D("2026-01-05"), 200)
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        calendar.add_working_days(D("2026-12-25"), 10)
        calendar.add_working_days(D("2026-12-25"), 12)
    assert len(queries) == 1  # 2027: one look-up, it is not entered


def test_a_year_and_its_holidays_and_make_up_days_are_one_query() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        calendar = WorkCalendar.load([2025, 2026, 2027])
    assert len(queries) == 1
    assert calendar.year_entered(2026) and not calendar.year_entered(2027)
    # 国庆节 2026 and its make-up workday, and the 2025 spring festival, from that one read.
    assert not calendar.is_working_day(D("2026-10-01"))
    assert calendar.is_working_day(D("2026-10-10"))
    assert not calendar.is_working_day(D("2025-01-29"))
    assert calendar.is_working_day(D("2025-01-26"))
