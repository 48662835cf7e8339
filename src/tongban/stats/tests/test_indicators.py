"""Each indicator against values computed by hand on the small district of conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.core.errors import ValidationFailed
from tongban.identity.models import User
from tongban.stats import selectors
from tongban.stats.selectors import Period, percentiles
from tongban.stats.tests.conftest import District, day, submit
from tongban.workflow.calendar import WorkCalendar


@pytest.fixture
def four_weeks() -> Period:
    return Period(start=day(0), end=day(27))


def test_the_overview_counts_the_district_by_hand(district: District, four_weeks: Period) -> None:
    figures = selectors.overview(period=four_weeks)
    assert figures["cases_total"] == 5
    assert figures["cases_by_channel"] == {"online": 4, "window": 0, "mobile": 1}
    assert figures["accepted"] == 3
    assert figures["rejected"] == 1
    assert (figures["approved"], figures["denied"], figures["decided"]) == (2, 1, 3)
    assert figures["completed"] == 2
    # D was decided after its (extended) due date, day 15; D alone was extended.
    assert figures["overdue_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["extension_rate"] == pytest.approx(1 / 3, abs=1e-4)
    # Of A and B completed, only A never waited for a supplement.
    assert figures["first_pass_rate"] == 0.5
    # Working days A 3, B 2 (days 2…7 stopped), D 14: median 3, p90 (3rd of 3) 14.
    assert figures["median_working_days"] == 3
    assert figures["p90_working_days"] == 14
    assert figures["enterprise_one_visit_share"] == 1.0
    assert figures["delivery_share"] is None
    assert figures["satisfaction_rate"] is None


def test_the_catalogue_rates_count_active_matters(district: District, four_weeks: Period) -> None:
    figures = selectors.overview(period=four_weeks)
    assert figures["matters_total"] == 1
    assert figures["access_rate"] == 1.0
    assert figures["online_rate"] == 1.0
    assert figures["one_visit_rate"] == 1.0
    assert figures["citywide_rate"] == 1.0


def test_another_period_counts_nothing(district: District, four_weeks: Period) -> None:
    # Durations are kept per month: the later period starts two months on.
    start = selectors.months_back(day(0), -2)
    later = Period(start=start, end=start + dt.timedelta(days=27))
    figures = selectors.overview(period=later)
    assert figures["cases_total"] == 0
    assert figures["overdue_rate"] is None
    assert figures["median_working_days"] is None


def test_departments_list_every_department_with_its_cases(
    district: District, four_weeks: Period
) -> None:
    rows = {row["code"]: row for row in selectors.departments(period=four_weeks)}
    assert set(rows) >= {"center", "market", "police"}
    market = rows["market"]
    assert (market["cases"], market["completed"], market["median_working_days"]) == (5, 2, 3)
    assert market["overdue_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert rows["police"]["cases"] == 0
    assert rows["police"]["median_working_days"] is None


def test_percentiles_are_exact_from_buckets() -> None:
    assert percentiles([]) == (None, None)
    assert percentiles([(2, 1), (3, 1)]) == (2.5, 3)
    assert percentiles([(1, 9), (10, 1)]) == (1, 1)
    assert percentiles([(1, 8), (10, 2)]) == (1, 10)


def test_the_trend_has_every_month_of_the_period(district: District, four_weeks: Period) -> None:
    rows = selectors.trend(period=four_weeks)
    assert [r["month"] for r in rows] == [f"{m:%Y-%m}" for m in four_weeks.months()]
    assert sum(r["cases"] for r in rows) == 5
    assert sum(r["completed"] for r in rows) == 2
    assert sum(r["decided"] for r in rows) == 3


def test_the_slowest_matters_compare_with_their_limits(
    district: District, four_weeks: Period
) -> None:
    (row,) = selectors.matters(period=four_weeks, department="market")
    assert row["code"] == "drainage-permit"
    assert (row["promised_limit_days"], row["legal_limit_days"]) == (6, 20)
    assert (row["median_working_days"], row["p90_working_days"]) == (3, 14)
    assert row["median_share_of_promised"] == 0.5
    assert row["overdue_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert selectors.matters(period=four_weeks, department="police") == []


def test_a_case_past_its_due_date_is_listed_to_chase(district: District, applicant: User) -> None:
    # Submitted 40 days ago: the acceptance timer has fired (deemed accepted) and the
    # decision limit of 6 working days has passed too.
    old = submit(applicant, (dt.date.today() - day(0)).days - 40)
    listed = selectors.overdue_cases()
    assert [row["case_no"] for row in listed] == [old.case_no]
    (row,) = listed
    assert row["id"] == old.pk
    assert row["department"]["code"] == "market"
    assert row["working_days_overdue"] > 0
    assert row["working_days_overdue"] == WorkCalendar().working_days_between(
        row["due_date"], selectors.today_shanghai()
    )
    assert selectors.overdue_cases(department="police") == []
    assert selectors.overdue_cases(section="construction")[0]["id"] == old.pk


@pytest.mark.parametrize("limit", [0, -1, 10_000])
def test_a_list_limit_out_of_range_is_refused(departments: object, limit: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        selectors.overdue_cases(limit=limit)
    assert refused.value.errors[0].field == "limit"


def test_an_unknown_department_is_a_field_error(departments: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        selectors.trend(period=selectors.period_parse(None, None), department="nowhere")
    assert refused.value.errors[0].field == "department"


def test_the_default_period_is_the_last_twelve_months() -> None:
    period = selectors.period_parse(None, None)
    assert period.end == selectors.today_shanghai()
    assert len(period.months()) == 12
    assert period.start.day == 1
