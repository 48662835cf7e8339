"""Per-version figures: processing time and overdue rate per process version (one rule)."""

from __future__ import annotations

import pytest

from tongban.cases.choices import TaskKind
from tongban.core.errors import ValidationFailed
from tongban.identity.models import User
from tongban.stats import selectors
from tongban.stats.rebuild import rollups_rebuild
from tongban.stats.selectors import Period
from tongban.stats.tests.conftest import District, Staff, day, stats_matter, submit
from tongban.workflow.models import ProcessDefinition

pytestmark = pytest.mark.django_db


def _span() -> Period:
    return Period(start=day(0), end=day(27))


def test_the_district_s_decisions_are_counted_on_their_version(district: District) -> None:
    rows = selectors.process_versions(period=_span())
    assert [(r["process"], r["version"]) for r in rows] == [("standard_approval", 1)]
    row = rows[0]
    # A (3 working days), B (2) and D (14, decided after its due date): as the overview counts.
    overview = selectors.overview(period=_span())
    assert row["decided"] == 3
    assert row["overdue_rate"] == overview["overdue_rate"] == 0.3333
    assert row["median_working_days"] == overview["median_working_days"] == 3
    assert row["p90_working_days"] == overview["p90_working_days"] == 14
    assert selectors.process_versions(period=_span(), department="police") == []


def test_a_new_version_is_counted_apart_so_a_change_can_be_judged(
    departments: object, applicant: User, staff: Staff
) -> None:
    stats_matter()
    a = submit(applicant, 0)
    staff.act(a, TaskKind.ACCEPT, "accept", 0)
    staff.act(a, TaskKind.REVIEW, "pass", 2)
    # The file changes (a new release): new cases start on version 2, A stays on version 1.
    ProcessDefinition.objects.filter(name="standard_approval").update(digest="0" * 64)
    b = submit(applicant, 0)
    staff.act(b, TaskKind.ACCEPT, "accept", 0)
    staff.act(b, TaskKind.REVIEW, "pass", 1)
    staff.act(b, TaskKind.DECIDE, "approve", 1)
    staff.act(a, TaskKind.DECIDE, "approve", 3)
    rows = {r["version"]: r for r in selectors.process_versions(period=_span())}
    assert (rows[1]["decided"], rows[1]["median_working_days"]) == (1, 3)
    assert (rows[2]["decided"], rows[2]["median_working_days"]) == (1, 1)
    assert rows[2]["overdue_rate"] == 0
    # A rebuild gives the same figures.
    rollups_rebuild()
    assert {r["version"]: r for r in selectors.process_versions(period=_span())} == rows


def test_an_unknown_department_is_a_field_error(district: District) -> None:
    with pytest.raises(ValidationFailed) as refused:
        selectors.process_versions(period=_span(), department="mars")
    assert refused.value.errors[0].field == "department"
