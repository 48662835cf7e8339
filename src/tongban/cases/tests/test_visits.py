"""最多跑一次 shares computed from live Case and Visit rows (cases.visits)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, Visit, VisitKind
from tongban.cases.services.visits import matter_visit_shares, visits_overview
from tongban.cases.tests.conftest import DRAINAGE_FORM
from tongban.cases.tests.factories import case_submitted
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.identity.models import User

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _guide_only_matter(code: str, *, audience: str, max_visits: int) -> Matter:
    section_upsert(code="commerce", fields={"name": "商事登记"})
    return matter_upsert(
        code=code,
        fields={
            "name": code,
            "kind": "filing",
            "audience": audience,
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "max_visits": max_visits,
            "online_depth": "window",
            "channels": ["window"],
            "form_schema": DRAINAGE_FORM,
        },
        materials=[],
    )


def _completed_case(applicant: User, *, visits: int, status: str = CaseStatus.COMPLETED) -> Case:
    case = case_submitted(applicant=applicant)
    for _ in range(visits):
        Visit.objects.create(case=case, kind=VisitKind.WINDOW_SUBMISSION, at=AT)
        Case.objects.filter(pk=case.pk).update(visit_count=F("visit_count") + 1)
    Case.objects.filter(pk=case.pk).update(status=status)
    return case


@pytest.fixture
def cases_of_drainage(drainage: Matter, applicant: User) -> list[Case]:
    """Four completed drainage cases with 0, 1, 1 and 2 visits, and a running one with 3."""
    done = [_completed_case(applicant, visits=n) for n in (0, 1, 1, 2)]
    _completed_case(applicant, visits=3, status=CaseStatus.UNDER_REVIEW)
    return done


def test_a_matter_share_counts_completed_cases_with_at_most_one_visit(
    cases_of_drainage: list[Case],
) -> None:
    share = matter_visit_shares()[0]
    assert (share.code, share.cases, share.at_most_one) == ("drainage-permit", 4, 3)
    assert share.share == pytest.approx(0.75)
    assert share.source == "cases"
    assert share.meets


def test_a_matter_without_cases_is_judged_by_its_guide(departments: dict[str, Department]) -> None:
    _guide_only_matter("one-visit-filing", audience="enterprise", max_visits=1)
    _guide_only_matter("two-visit-filing", audience="enterprise", max_visits=2)
    shares = {s.code: s for s in matter_visit_shares()}
    assert (shares["one-visit-filing"].share, shares["one-visit-filing"].source) == (1.0, "guide")
    assert (shares["two-visit-filing"].share, shares["two-visit-filing"].meets) == (0.0, False)


def test_the_overview_counts_enterprise_matters_only(
    cases_of_drainage: list[Case], departments: dict[str, Department]
) -> None:
    _guide_only_matter("one-visit-filing", audience="enterprise", max_visits=0)
    _guide_only_matter("two-visit-filing", audience="both", max_visits=2)
    _guide_only_matter("person-only", audience="person", max_visits=3)
    overview = visits_overview()
    # drainage-permit (audience both) is an enterprise matter too.
    assert (overview.enterprise_cases, overview.enterprise_cases_at_most_one) == (4, 3)
    assert overview.enterprise_case_share == pytest.approx(0.75)
    assert overview.enterprise_matters == 3
    assert overview.enterprise_matters_at_most_one == 2
    assert overview.enterprise_matter_share == pytest.approx(2 / 3)
    assert (
        overview.enterprise_matters_declared,
        overview.enterprise_matters_declared_at_most_one,
    ) == (2, 1)


def test_a_visit_recorded_later_changes_the_share(
    cases_of_drainage: list[Case],
) -> None:
    one_visit = cases_of_drainage[1]
    Visit.objects.create(case=one_visit, kind=VisitKind.OTHER, at=AT)
    Case.objects.filter(pk=one_visit.pk).update(visit_count=F("visit_count") + 1)
    assert matter_visit_shares()[0].at_most_one == 2


def test_a_theme_parent_visit_counts_for_its_children(drainage: Matter, applicant: User) -> None:
    parent = _completed_case(applicant, visits=1)
    child = _completed_case(applicant, visits=1)
    Case.objects.filter(pk=child.pk).update(parent=parent)
    share = matter_visit_shares()[0]
    # The parent's own visit is fine (1); the child's 1 + the parent's 1 is two.
    assert (share.cases, share.at_most_one) == (2, 1)


def test_nothing_completed_gives_no_case_share(departments: dict[str, Department]) -> None:
    assert visits_overview().enterprise_case_share is None
