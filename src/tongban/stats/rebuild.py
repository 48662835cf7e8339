"""``tongban stats rebuild``: every rollup recomputed from the cases, timelines and visits.

The history is replayed through the same rule as the live receivers
(``stats.rollup.event_counts``), but the facts each event needs are answered from rows
prefetched for a batch of case families (a case with its theme children), not by a
query per event; the counts are summed in memory and written in one transaction that
first empties both tables.  A test checks that this gives exactly the live rollups.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from tongban.cases.choices import MaterialOrigin, TimelineAction
from tongban.cases.models import Case, CaseMaterial, SupplementRequest, TimelineEntry, Visit
from tongban.cases.services.sla import case_suspensions
from tongban.exchange.models import AccessLog
from tongban.stats.models import (
    CaseKind,
    DailyRollup,
    DurationHistogram,
    VersionDurationHistogram,
    VersionRollup,
)
from tongban.stats.rollup import (
    COUNTED_ACTIONS,
    Counts,
    Dims,
    case_dims,
    case_kind,
    event_counts,
    month_of,
    version_key,
    visit_counts,
)
from tongban.workflow.calendar import Suspension, WorkCalendar
from tongban.workflow.models import ProcessInstance

#: Case families read per batch.
BATCH = 500


class BatchFacts:
    """The facts of ``rollup.Facts`` for one batch of families, from prefetched rows."""

    def __init__(self, cases: dict[int, Case]) -> None:
        ids = list(cases)
        self.cases = cases
        self.children: dict[int, list[int]] = defaultdict(list)
        for case in cases.values():
            if case.parent_id is not None:
                self.children[case.parent_id].append(case.pk)
        self.entries: dict[int, list[TimelineEntry]] = defaultdict(list)
        for entry in TimelineEntry.objects.filter(
            case_id__in=ids, action__in=list(COUNTED_ACTIONS)
        ).order_by("id"):
            self.entries[entry.case_id].append(entry)
        self.visits: dict[int, list[Visit]] = defaultdict(list)
        for visit in Visit.objects.filter(case_id__in=ids).order_by("id"):
            self.visits[visit.case_id].append(visit)
        self.shared = Counter(
            CaseMaterial.objects.filter(case_id__in=ids, origin=MaterialOrigin.SHARING).values_list(
                "case_id", flat=True
            )
        )
        self.lookups: dict[int, list[datetime]] = defaultdict(list)
        for case_id, at in AccessLog.objects.filter(case_id__in=ids).values_list("case_id", "at"):
            self.lookups[case_id].append(at)
        self.supplements: dict[int, list[SupplementRequest]] = defaultdict(list)
        for supplement in SupplementRequest.objects.filter(case_id__in=ids):
            self.supplements[supplement.case_id].append(supplement)
        processes = [c.process_id for c in cases.values() if c.process_id is not None]
        self.definitions: dict[int, int] = dict(
            ProcessInstance.objects.filter(pk__in=processes).values_list("pk", "definition_id")
        )

    def _family(self, case: Case) -> list[int]:
        kind = case_kind(case)
        if kind == CaseKind.THEME:
            return [case.pk, *self.children[case.pk]]
        if kind == CaseKind.PART:
            assert case.parent_id is not None
            return [case.pk, case.parent_id]
        return [case.pk]

    def supplemented_before(self, case: Case, entry_id: int) -> bool:
        ids = self._family(case) if case_kind(case) == CaseKind.THEME else [case.pk]
        return any(
            e.action == TimelineAction.SUPPLEMENT_REQUESTED and e.pk < entry_id
            for case_id in ids
            for e in self.entries[case_id]
        )

    def sibling_reached_before(self, parent_id: int, actions: Iterable[str], entry_id: int) -> bool:
        wanted = set(actions)
        return any(
            e.action in wanted and e.pk < entry_id
            for child in self.children[parent_id]
            for e in self.entries[child]
        )

    def visits_until(self, case: Case, at: datetime) -> int:
        return sum(1 for case_id in self._family(case) for v in self.visits[case_id] if v.at <= at)

    def shared_materials(self, case: Case) -> int:
        return self.shared[case.pk]

    def lookups_until(self, case: Case, at: datetime) -> int:
        return sum(1 for when in self.lookups[case.pk] if when <= at)

    def suspensions(self, case: Case) -> list[Suspension]:
        return case_suspensions(case=case, supplements=self.supplements[case.pk])

    def definition_of(self, case: Case) -> int | None:
        return self.definitions.get(case.process_id) if case.process_id is not None else None


@dataclass
class Totals:
    """Rollup rows summed in memory before they are written."""

    rollups: dict[tuple[date, str], tuple[Dims, Counter[str]]]
    durations: dict[tuple[date, str, int], tuple[Dims, int]]
    #: (day, version key) → [decided, decided_overdue]; (month, version key, days) → cases.
    versions: dict[tuple[date, str], list[int]] = field(default_factory=dict)
    version_durations: dict[tuple[date, str, int], int] = field(default_factory=dict)

    def add_versions(
        self, counts: Counts, definition_id: int | None, department_id: int | None
    ) -> None:
        if definition_id is None:
            return
        key = version_key(definition_id, department_id)
        for decision in counts.decisions:
            row = self.versions.setdefault((decision.day, key), [0, 0])
            row[0] += 1
            row[1] += int(decision.overdue)
            if decision.days is not None:
                bucket = (month_of(decision.day), key, decision.days)
                self.version_durations[bucket] = self.version_durations.get(bucket, 0) + 1

    def add(self, counts: Counts) -> None:
        for day, dims, counters in counts.rollups:
            _dims, counter = self.rollups.setdefault((day, dims.key), (dims, Counter()))
            counter.update(counters)
        for month, dims, days in counts.durations:
            key = (month, dims.histogram_key, days)
            _dims, n = self.durations.get(key, (dims, 0))
            self.durations[key] = (dims, n + 1)


@dataclass(frozen=True)
class RebuildResult:
    cases: int
    rollup_rows: int
    histogram_rows: int


def _families(root_ids: list[int]) -> dict[int, Case]:
    rows = Case.objects.filter(pk__in=root_ids) | Case.objects.filter(parent_id__in=root_ids)
    return {c.pk: c for c in rows.select_related("matter", "theme", "parent", "parent__theme")}


def rollups_compute(*, progress: Callable[[int, int], None] | None = None) -> Totals:
    """Every rollup count, replayed from the history (nothing is written)."""
    totals = Totals(rollups={}, durations={})
    calendar = WorkCalendar()
    roots = list(
        Case.objects.filter(parent__isnull=True).order_by("id").values_list("id", flat=True)
    )
    for start in range(0, len(roots), BATCH):
        cases = _families(roots[start : start + BATCH])
        facts = BatchFacts(cases)
        for case in cases.values():
            parent_dims = case_dims(case.parent) if case.parent is not None else None
            for entry in facts.entries[case.pk]:
                counts = event_counts(case, entry, facts, calendar, parent_dims)
                totals.add(counts)
                if counts.decisions:
                    totals.add_versions(counts, facts.definition_of(case), case.department_id)
            for visit in facts.visits[case.pk]:
                totals.add(visit_counts(case, visit))
        if progress is not None:
            progress(min(start + BATCH, len(roots)), len(roots))
    return totals


def _version_dims(key: str) -> dict[str, int | None]:
    definition, department = key.split("|")
    return {
        "definition_id": int(definition),
        "department_id": int(department) if department else None,
    }


@transaction.atomic
def rollups_rebuild(*, progress: Callable[[int, int], None] | None = None) -> RebuildResult:
    """Empty the rollup tables and write them again from the cases' history."""
    totals = rollups_compute(progress=progress)
    DailyRollup.objects.all().delete()
    DurationHistogram.objects.all().delete()
    VersionRollup.objects.all().delete()
    VersionDurationHistogram.objects.all().delete()
    VersionRollup.objects.bulk_create(
        (
            VersionRollup(
                day=day, key=key, decided=n, decided_overdue=overdue, **_version_dims(key)
            )
            for (day, key), (n, overdue) in totals.versions.items()
        ),
        batch_size=1000,
    )
    VersionDurationHistogram.objects.bulk_create(
        (
            VersionDurationHistogram(month=month, key=key, days=days, cases=n, **_version_dims(key))
            for (month, key, days), n in totals.version_durations.items()
        ),
        batch_size=1000,
    )
    DailyRollup.objects.bulk_create(
        (
            DailyRollup(day=day, key=key, **dims.fields(), **counter)
            for (day, key), (dims, counter) in totals.rollups.items()
        ),
        batch_size=1000,
    )
    DurationHistogram.objects.bulk_create(
        (
            DurationHistogram(month=month, key=key, days=days, cases=n, **dims.histogram_fields())
            for (month, key, days), (dims, n) in totals.durations.items()
        ),
        batch_size=1000,
    )
    return RebuildResult(
        cases=Case.objects.count(),
        rollup_rows=len(totals.rollups),
        histogram_rows=len(totals.durations),
    )
