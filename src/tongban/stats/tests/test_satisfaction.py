"""好差评 in the indicators: the overview and the department table read evaluation's ratings."""

from __future__ import annotations

import pytest

from tongban.cases.models import Case
from tongban.evaluation import services as evaluation
from tongban.evaluation.tests.conftest import _media_in_tmp, drainage
from tongban.evaluation.tests.factories import bad_rating, case_completed
from tongban.identity.models import User
from tongban.stats import selectors

__all__ = ["_media_in_tmp", "drainage"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_rated(
    applicant: User, clerk: User, reviewer: User, approver: User, drainage: object
) -> list[Case]:
    """Two completed cases of one department: one rated 5 (twice: both stages), one rated 1."""
    good = case_completed(applicant=applicant, clerk=clerk, reviewer=reviewer, approver=approver)
    evaluation.evaluation_create(actor=applicant, case=good, score=5, stage="acceptance")
    evaluation.evaluation_create(actor=applicant, case=good, score=4, stage="result")
    bad = case_completed(applicant=applicant, clerk=clerk, reviewer=reviewer, approver=approver)
    bad_rating(applicant=applicant, case=bad, score=1)
    return [good, bad]


def test_overview_satisfaction_is_satisfied_over_all_ratings(two_rated: list[Case]) -> None:
    figures = selectors.overview()
    # Three ratings, two of them 4 or 5: 2/3; the one bad rating is still unanswered.
    assert figures["satisfaction_rate"] == pytest.approx(2 / 3)
    assert figures["bad_ratings_open"] == 1


def test_department_row_and_department_overview_agree(two_rated: list[Case]) -> None:
    department = two_rated[0].department
    assert department is not None
    row = next(
        r
        for r in selectors.departments(period=selectors.period_parse(None, None))
        if r["code"] == department.code
    )
    assert row["satisfaction_rate"] == pytest.approx(2 / 3)
    assert row["bad_ratings_open"] == 1
    assert selectors.overview(department=department.code)["satisfaction_rate"] == pytest.approx(
        2 / 3
    )
    others = [
        r
        for r in selectors.departments(period=selectors.period_parse(None, None))
        if r["code"] != department.code
    ]
    assert all(r["satisfaction_rate"] is None and r["bad_ratings_open"] == 0 for r in others)
