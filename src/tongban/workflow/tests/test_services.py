from __future__ import annotations

from datetime import date

import pytest
from chinese_calendar import constants as cc_constants

from tongban.core.errors import Conflict, ValidationFailed
from tongban.workflow.calendar import Due
from tongban.workflow.choices import CalendarDayKind
from tongban.workflow.models import CalendarDay, CalendarYear
from tongban.workflow.selectors import calendar_due, calendar_missing_years, calendar_years
from tongban.workflow.services import calendar_seed, calendar_year_enter
from tongban.workflow.tests.factories import calendar_day_factory, calendar_year_factory

pytestmark = pytest.mark.django_db

D = date.fromisoformat

NEW_YEAR_2027 = [(D("2027-01-01"), "元旦"), (D("2027-01-02"), "元旦"), (D("2027-01-03"), "元旦")]


def test_every_fresh_database_has_2004_to_2026_seeded() -> None:
    assert calendar_years() == list(range(2004, 2027))
    assert CalendarDay.objects.count() == len(cc_constants.holidays) + len(cc_constants.workdays)
    spring = CalendarDay.objects.get(date=D("2026-02-14"))
    assert (spring.kind, spring.name, spring.name_en) == (
        CalendarDayKind.WORKDAY,
        "春节",
        "Spring Festival",
    )


def test_seeding_again_writes_nothing() -> None:
    assert calendar_seed() == 0
    assert CalendarDay.objects.count() == len(cc_constants.holidays) + len(cc_constants.workdays)


def test_seeding_an_empty_table_writes_every_day_and_reports_progress() -> None:
    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()
    seen: list[int] = []
    written = calendar_seed(progress=lambda year, _written: seen.append(year))
    assert written == len(cc_constants.holidays) + len(cc_constants.workdays)
    assert seen == list(range(2004, 2027))
    assert calendar_years() == list(range(2004, 2027))
    assert calendar_seed() == 0


def test_seeding_leaves_a_year_an_admin_entered_alone() -> None:
    CalendarDay.objects.filter(date__year=2026).delete()
    CalendarYear.objects.filter(year=2026).delete()
    calendar_year_enter(
        year=2026,
        holidays=[(D("2026-01-01"), "元旦")],
        workdays=[],
        source="通知",
        entered_by="admin",
    )
    assert calendar_seed(first_year=2026) == 0
    assert CalendarDay.objects.filter(date__year=2026).count() == 1
    assert CalendarYear.objects.get(year=2026).entered_by == "admin"


def test_seeding_a_range_only_touches_that_range() -> None:
    CalendarDay.objects.filter(date__year__in=[2010, 2011]).delete()
    CalendarYear.objects.filter(year__in=[2010, 2011]).delete()
    written = calendar_seed(first_year=2011, last_year=2011)
    assert written == sum(
        1 for d in [*cc_constants.holidays, *cc_constants.workdays] if d.year == 2011
    )
    assert 2010 not in calendar_years()


def test_entering_2027_makes_a_provisional_deadline_final_and_calls_the_hook(
    entered_years: list[int],
) -> None:
    before = calendar_due(start=D("2026-12-25"), days=10)
    assert before == Due(D("2027-01-08"), True)

    entry = calendar_year_enter(
        year=2027,
        holidays=NEW_YEAR_2027,
        workdays=[],
        source="国务院办公厅关于2027年部分节假日安排的通知（测试）",
        entered_by="admin",
    )

    assert entry.year == 2027
    assert entered_years == [2027]
    # 12/28–12/31, then 1/1 is a holiday: 1/4–1/8 and Mon 1/11.
    after = calendar_due(start=D("2026-12-25"), days=10)
    assert after == Due(D("2027-01-11"), False)
    assert after != before


def test_a_make_up_workday_in_an_entered_year_counts() -> None:
    calendar_year_enter(
        year=2027,
        holidays=NEW_YEAR_2027,
        workdays=[(D("2027-01-09"), "元旦")],
        source="通知",
        entered_by="admin",
    )
    assert calendar_due(start=D("2027-01-08"), days=1) == Due(D("2027-01-09"), False)


def test_it_refuses_to_enter_a_year_twice_without_replace(entered_years: list[int]) -> None:
    with pytest.raises(Conflict):
        calendar_year_enter(year=2026, holidays=[], workdays=[], source="通知", entered_by="x")
    assert CalendarDay.objects.filter(date__year=2026).count() > 30
    assert entered_years == []


def test_replacing_a_year_swaps_its_days(entered_years: list[int]) -> None:
    calendar_year_enter(year=2027, holidays=NEW_YEAR_2027, workdays=[], source="a", entered_by="x")
    calendar_year_enter(
        year=2027,
        holidays=[(D("2027-01-01"), "元旦")],
        workdays=[],
        source="b",
        entered_by="y",
        replace=True,
    )
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [
        D("2027-01-01")
    ]
    entry = CalendarYear.objects.get(year=2027)
    assert (entry.source, entry.entered_by) == ("b", "y")
    assert entered_years == [2027, 2027]


@pytest.mark.parametrize(
    ("holidays", "workdays", "field"),
    [
        ([(D("2026-12-31"), "元旦")], [], "holidays[0]"),
        ([], [(D("2028-01-08"), "元旦")], "workdays[0]"),
        ([(D("2027-01-09"), "元旦")], [(D("2027-01-09"), "元旦")], "workdays[0]"),
        ([], [(D("2027-01-06"), "元旦")], "workdays[0]"),
        ([(D("2027-01-01"), "元旦"), (D("2027-01-01"), "元旦")], [], "holidays[1]"),
        ([(D("2027-01-01"), "  ")], [], "holidays[0]"),
        ([(D("2027-01-01"), "节" * 51)], [], "holidays[0]"),
    ],
    ids=[
        "holiday-outside-year",
        "workday-outside-year",
        "both-holiday-and-workday",
        "workday-on-a-weekday",
        "duplicate-holiday",
        "blank-name",
        "name-too-long",
    ],
)
def test_it_refuses_a_bad_schedule_and_saves_nothing(
    holidays: list[tuple[date, str]],
    workdays: list[tuple[date, str]],
    field: str,
    entered_years: list[int],
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        calendar_year_enter(
            year=2027, holidays=holidays, workdays=workdays, source="通知", entered_by="x"
        )
    assert field in [e.field for e in raised.value.errors]
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert entered_years == []


def test_it_refuses_an_implausible_year_or_a_missing_source() -> None:
    with pytest.raises(ValidationFailed) as raised:
        calendar_year_enter(year=1999, holidays=[], workdays=[], source="通知", entered_by="x")
    assert [e.field for e in raised.value.errors] == ["year"]
    with pytest.raises(ValidationFailed) as raised:
        calendar_year_enter(year=2027, holidays=[], workdays=[], source=" ", entered_by="x")
    assert [e.field for e in raised.value.errors] == ["source"]


def test_a_failing_hook_undoes_the_entry() -> None:
    from tongban.workflow.services import on_year_entered, year_entered_callback_remove

    def broken(year: int) -> None:
        raise RuntimeError("recompute failed")

    on_year_entered(broken)
    try:
        with pytest.raises(RuntimeError):
            calendar_year_enter(
                year=2027, holidays=NEW_YEAR_2027, workdays=[], source="通知", entered_by="x"
            )
    finally:
        year_entered_callback_remove(broken)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_stray_days_of_an_unentered_year_do_not_count() -> None:
    calendar_day_factory(day=D("2027-01-04"), kind=CalendarDayKind.HOLIDAY, name="误录")
    assert calendar_due(start=D("2027-01-01"), days=1) == Due(D("2027-01-04"), True)
    calendar_year_factory(year=2027)
    assert calendar_due(start=D("2027-01-01"), days=1) == Due(D("2027-01-05"), False)


def test_missing_years_lists_the_years_not_entered() -> None:
    assert calendar_missing_years(through=D("2026-06-30")) == []
    assert calendar_missing_years(through=D("2028-01-01")) == [2027, 2028]
    CalendarYear.objects.filter(year=2010).delete()
    assert calendar_missing_years(through=D("2027-01-01")) == [2010, 2027]
