"""The live receivers' writes: one statement per rollup row, creating it or adding to it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tongban.catalog.models import Department
from tongban.stats.models import (
    CaseKind,
    DailyRollup,
    DurationHistogram,
    VersionDurationHistogram,
    VersionRollup,
)
from tongban.stats.rollup import Counts, Dims, VersionDecision
from tongban.stats.services import rollup_counts_apply
from tongban.workflow.engine import process_definition_get

pytestmark = pytest.mark.django_db


def _dims(department: Department, channel: str = "online") -> Dims:
    return Dims(
        department_id=department.pk,
        section_id=None,
        matter_id=None,
        theme_id=None,
        kind=CaseKind.MATTER,
        channel=channel,
        applicant_type="person",
    )


def test_counts_create_the_row_then_add_to_it_one_statement_each(
    departments: dict[str, Department], django_assert_num_queries: Any
) -> None:
    market = departments["market"]
    day = date(2026, 3, 2)
    first, second = Counts(), Counts()
    first.add(day, _dims(market), submitted=1, data_lookups=2)
    second.add(day, _dims(market), submitted=1, accepted=1)
    second.add(day, _dims(market, "window"), submitted=1)
    with django_assert_num_queries(1):
        rollup_counts_apply(counts=first)
    with django_assert_num_queries(2):  # two rows: one exists, one is new
        rollup_counts_apply(counts=second)
    online = DailyRollup.objects.get(day=day, key=_dims(market).key)
    assert (online.submitted, online.accepted, online.data_lookups) == (2, 1, 2)
    assert online.department_id == market.pk and online.channel == "online"
    assert online.rejected == 0 and online.completed == 0
    window = DailyRollup.objects.get(day=day, key=_dims(market, "window").key)
    assert (window.submitted, window.accepted, window.channel) == (1, 0, "window")
    assert DailyRollup.objects.count() == 2


def test_a_decision_adds_to_its_histogram_and_version_rows_one_statement_each(
    departments: dict[str, Department], django_assert_num_queries: Any
) -> None:
    market = departments["market"]
    definition = process_definition_get("standard_approval")
    day = date(2026, 3, 2)

    def decision(days: int, *, overdue: bool) -> Counts:
        counts = Counts()
        counts.add(day, _dims(market), approved=1, decided_overdue=int(overdue))
        counts.durations.append((date(2026, 3, 1), _dims(market), days))
        counts.decisions.append(VersionDecision(day=day, overdue=overdue, days=days))
        return counts

    # The daily row, the histogram bucket, the version's day and its bucket: four rows.
    for counts in (decision(5, overdue=False), decision(5, overdue=True)):
        with django_assert_num_queries(4):
            rollup_counts_apply(counts=counts, definition_id=definition.pk, department_id=market.pk)
    with django_assert_num_queries(4):
        rollup_counts_apply(
            counts=decision(7, overdue=False), definition_id=definition.pk, department_id=market.pk
        )

    buckets = DurationHistogram.objects.order_by("days")
    assert [(b.days, b.cases) for b in buckets] == [(5, 2), (7, 1)]
    assert buckets[0].department_id == market.pk and buckets[0].key == _dims(market).histogram_key
    version_day = VersionRollup.objects.get()
    assert (version_day.decided, version_day.decided_overdue) == (3, 1)
    assert (version_day.definition_id, version_day.department_id) == (definition.pk, market.pk)
    version_buckets = VersionDurationHistogram.objects.order_by("days")
    assert [(b.days, b.cases, b.definition_id) for b in version_buckets] == [
        (5, 2, definition.pk),
        (7, 1, definition.pk),
    ]
    assert DailyRollup.objects.get().approved == 3
