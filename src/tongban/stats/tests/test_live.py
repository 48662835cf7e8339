"""The live receivers' writes: one statement per rollup row, creating it or adding to it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tongban.catalog.models import Department
from tongban.stats.models import CaseKind, DailyRollup
from tongban.stats.rollup import Counts, Dims
from tongban.stats.services import rollup_counts_apply

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
