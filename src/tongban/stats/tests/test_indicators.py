"""Each indicator against values computed by hand on the small district of conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.stats import selectors
from tongban.stats.selectors import Period, percentiles
from tongban.stats.tests.conftest import District, day


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
