"""From a case event to rollup counts: the one place where an event is counted.

``event_counts`` turns one timeline entry (or visit) of a case into increments of
``DailyRollup`` counters and ``DurationHistogram`` buckets.  What it needs to know
beyond the case row (was there an earlier supplement request, how many visits so
far, how many materials came from data sharing …) it asks a ``Facts`` object:

* ``LiveFacts`` answers with small indexed queries, for the receivers in
  ``stats.services`` that run inside the case's transaction when the event happens;
* ``stats.rebuild.BatchFacts`` answers from rows prefetched for a batch of cases, for
  ``tongban stats rebuild``.

Every fact is asked "as of the event" (entries written before it, visits up to its
time), so replaying a history gives the counts the live receivers gave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from tongban.cases.choices import MaterialOrigin, TimelineAction
from tongban.cases.models import Case, CaseMaterial, TimelineEntry, Visit
from tongban.cases.services.sla import case_suspensions, shanghai_date
from tongban.core.prepared import Param, PreparedRows
from tongban.exchange.models import AccessLog
from tongban.stats.models import CaseKind
from tongban.workflow.calendar import Suspension, WorkCalendar
from tongban.workflow.models import ProcessInstance

#: At most this many visits counts as 最多跑一次.
ONE_VISIT = 1

ACCEPTED_ACTIONS = frozenset({TimelineAction.ACCEPTED, TimelineAction.DEEMED_ACCEPTED})
DECISION_ACTIONS = frozenset({TimelineAction.APPROVED, TimelineAction.DENIED})

#: The timeline actions that change a counter; any other entry is ignored without a query.
COUNTED_ACTIONS = frozenset(
    {
        TimelineAction.SUBMITTED,
        *ACCEPTED_ACTIONS,
        TimelineAction.REJECTED,
        TimelineAction.SUPPLEMENT_REQUESTED,
        *DECISION_ACTIONS,
        TimelineAction.EXTENDED,
        TimelineAction.SLA_OVERDUE,
        TimelineAction.WITHDRAWN,
        TimelineAction.ISSUED,
        TimelineAction.COMPLETED,
        TimelineAction.SHIPPED,
        TimelineAction.PICKUP_READY,
        TimelineAction.PICKED_UP,
    }
)

#: Simple one-to-one counters (the action's own count).
_PLAIN: dict[str, str] = {
    TimelineAction.REJECTED: "rejected",
    TimelineAction.EXTENDED: "extended",
    TimelineAction.SLA_OVERDUE: "went_overdue",
    TimelineAction.WITHDRAWN: "withdrawn",
    TimelineAction.SHIPPED: "shipped",
    TimelineAction.PICKUP_READY: "pickup_ready",
    TimelineAction.PICKED_UP: "picked_up",
    TimelineAction.SUPPLEMENT_REQUESTED: "supplement_requests",
}


@dataclass(frozen=True)
class Dims:
    """The dimensions of a rollup row."""

    department_id: int | None
    section_id: int | None
    matter_id: int | None
    theme_id: int | None
    kind: str
    channel: str
    applicant_type: str

    @property
    def key(self) -> str:
        return "|".join(
            "" if v is None else str(v)
            for v in (
                self.department_id,
                self.section_id,
                self.matter_id,
                self.theme_id,
                self.kind,
                self.channel,
                self.applicant_type,
            )
        )

    @property
    def histogram_key(self) -> str:
        """Durations are kept without channel and applicant type (fewer, fuller buckets)."""
        return "|".join(
            "" if v is None else str(v)
            for v in (self.department_id, self.section_id, self.matter_id, self.theme_id, self.kind)
        )

    def fields(self) -> dict[str, object]:
        return {
            "department_id": self.department_id,
            "section_id": self.section_id,
            "matter_id": self.matter_id,
            "theme_id": self.theme_id,
            "kind": self.kind,
            "channel": self.channel,
            "applicant_type": self.applicant_type,
        }

    def histogram_fields(self) -> dict[str, object]:
        out = self.fields()
        del out["channel"], out["applicant_type"]
        return out


@dataclass(frozen=True)
class VersionDecision:
    """A decision of a 办件, as the per-version figures count it (the same rule as above)."""

    day: date
    overdue: bool
    #: Working days from acceptance to the decision (None: never accepted).
    days: int | None


@dataclass
class Counts:
    """Increments to apply: rollup counters per (day, dims), histogram buckets per (month, dims)."""

    rollups: list[tuple[date, Dims, dict[str, int]]] = field(default_factory=list)
    durations: list[tuple[date, Dims, int]] = field(default_factory=list)
    #: The decision of a 办件, counted again per process version (``VersionRollup``).
    decisions: list[VersionDecision] = field(default_factory=list)

    def add(self, day: date, dims: Dims, **counters: int) -> None:
        counters = {name: n for name, n in counters.items() if n}
        if counters:
            self.rollups.append((day, dims, counters))


class Facts(Protocol):
    """What the counting rules need to know beyond the case row, as of one event."""

    def supplemented_before(self, case: Case, entry_id: int) -> bool:
        """Whether a supplement request was written for ``case`` (or its children) before."""

    def sibling_reached_before(self, parent_id: int, actions: Iterable[str], entry_id: int) -> bool:
        """Whether a child of ``parent_id`` had an entry with one of ``actions`` before."""

    def visits_until(self, case: Case, at: datetime) -> int:
        """Visits for ``case`` up to ``at``, its theme parent's (or a parent's children's) too."""

    def shared_materials(self, case: Case) -> int:
        """Materials of ``case`` supplied by data sharing (免提交)."""

    def lookups_until(self, case: Case, at: datetime) -> int:
        """Data-sharing queries that named ``case`` up to ``at``."""

    def suspensions(self, case: Case) -> list[Suspension]:
        """The supplement waits of ``case`` (as ``cases.services.sla`` counts them)."""

    def definition_of(self, case: Case) -> int | None:
        """The process version (``ProcessDefinition`` id) ``case`` runs on, if any."""


def case_kind(case: Case) -> str:
    if case.parent_id is not None:
        return CaseKind.PART
    if case.theme_id is not None and case.matter_id is None:
        return CaseKind.THEME
    return CaseKind.MATTER


def case_dims(case: Case) -> Dims:
    """The rollup dimensions of a case (its matter, matter's section, theme of its parent)."""
    kind = case_kind(case)
    theme_id = case.theme_id
    if kind == CaseKind.PART:
        assert case.parent is not None
        theme_id = case.parent.theme_id
    if case.matter is not None:
        section_id: int | None = case.matter.section_id
    elif case.theme is not None:
        section_id = case.theme.section_id
    else:
        section_id = None
    return Dims(
        department_id=case.department_id,
        section_id=section_id,
        matter_id=case.matter_id,
        theme_id=theme_id,
        kind=kind,
        channel=case.channel,
        applicant_type=case.applicant_type,
    )


def version_key(definition_id: int, department_id: int | None) -> str:
    """The key of a ``VersionRollup`` / ``VersionDurationHistogram`` row."""
    return f"{definition_id}|{'' if department_id is None else department_id}"


def month_of(day: date) -> date:
    return day.replace(day=1)


def event_counts(
    case: Case,
    entry: TimelineEntry,
    facts: Facts,
    calendar: WorkCalendar,
    parent_dims: Dims | None = None,
) -> Counts:
    """The increments one timeline entry of ``case`` makes (nothing for uncounted actions).

    ``parent_dims`` are the theme parent's dimensions when ``case`` is a child: the first
    acceptance and the first approval of a child count for the theme application (the
    open-company funnel).
    """
    out = Counts()
    action = entry.action
    if action not in COUNTED_ACTIONS:
        return out
    day = shanghai_date(entry.at)
    dims = case_dims(case)
    kind = dims.kind

    if action in _PLAIN:
        out.add(day, dims, **{_PLAIN[action]: 1})
    if action == TimelineAction.SUBMITTED:
        out.add(
            day,
            dims,
            submitted=1,
            shared_materials=facts.shared_materials(case),
            data_lookups=facts.lookups_until(case, entry.at),
        )
    elif action in ACCEPTED_ACTIONS:
        out.add(day, dims, accepted=1)
        if (
            parent_dims is not None
            and case.parent_id is not None
            and not facts.sibling_reached_before(case.parent_id, ACCEPTED_ACTIONS, entry.pk)
        ):
            out.add(day, parent_dims, accepted=1)
    elif action == TimelineAction.SUPPLEMENT_REQUESTED:
        if not facts.supplemented_before(case, entry.pk):
            out.add(day, dims, supplemented=1)
    elif action in DECISION_ACTIONS:
        decided = "approved" if action == TimelineAction.APPROVED else "denied"
        overdue = int(case.due_date is not None and day > case.due_date)
        extended = int(case.extension_days > 0)
        out.add(day, dims, **{decided: 1}, decided_overdue=overdue, decided_extended=extended)
        days: int | None = None
        if kind != CaseKind.THEME and case.accepted_at is not None:
            days = calendar.working_days_between(
                shanghai_date(case.accepted_at), day, suspended=facts.suspensions(case)
            )
            out.durations.append((month_of(day), dims, days))
        if kind != CaseKind.THEME:
            out.decisions.append(VersionDecision(day=day, overdue=bool(overdue), days=days))
        if (
            action == TimelineAction.APPROVED
            and parent_dims is not None
            and case.parent_id is not None
            and not facts.sibling_reached_before(
                case.parent_id, (TimelineAction.APPROVED,), entry.pk
            )
        ):
            out.add(day, parent_dims, approved=1)
    elif action == TimelineAction.ISSUED:
        # Only a theme with a combined licence (许可一证通) issues on the parent case.
        out.add(day, dims, issued=1, combined_licences=int(kind == CaseKind.THEME))
    elif action == TimelineAction.COMPLETED:
        first_pass = not facts.supplemented_before(case, entry.pk)
        one_visit = facts.visits_until(case, entry.at) <= ONE_VISIT
        out.add(
            day,
            dims,
            completed=1,
            completed_first_pass=int(first_pass),
            completed_one_visit=int(one_visit),
        )
        if kind == CaseKind.THEME and case.submitted_at is not None:
            # A theme's days run from its one submission to its end (开办企业 in 5 days).
            days = calendar.working_days_between(shanghai_date(case.submitted_at), day)
            out.durations.append((month_of(day), dims, days))
    return out


def visit_counts(case: Case, visit: Visit) -> Counts:
    """One in-person visit, counted on its day."""
    out = Counts()
    out.add(shanghai_date(visit.at), case_dims(case), visits=1)
    return out


class LiveFacts:
    """Facts asked of the database while the event happens (small indexed queries)."""

    def supplemented_before(self, case: Case, entry_id: int) -> bool:
        rows = TimelineEntry.objects.filter(
            action=TimelineAction.SUPPLEMENT_REQUESTED, pk__lt=entry_id
        )
        if case_kind(case) == CaseKind.THEME:
            rows = rows.filter(case__parent_id=case.pk) | rows.filter(case_id=case.pk)
        else:
            rows = rows.filter(case_id=case.pk)
        return rows.exists()

    def sibling_reached_before(self, parent_id: int, actions: Iterable[str], entry_id: int) -> bool:
        return TimelineEntry.objects.filter(
            case__parent_id=parent_id, action__in=list(actions), pk__lt=entry_id
        ).exists()

    def visits_until(self, case: Case, at: datetime) -> int:
        rows = Visit.objects.filter(at__lte=at)
        kind = case_kind(case)
        if kind == CaseKind.PART:
            rows = rows.filter(case_id__in=[case.pk, case.parent_id])
        elif kind == CaseKind.THEME:
            rows = rows.filter(case_id=case.pk) | rows.filter(case__parent_id=case.pk)
        else:
            rows = rows.filter(case_id=case.pk)
        return rows.count()

    # Asked at every submission: compiled once (core/prepared.py); a case's rows are few, so
    # their keys are read and counted here.
    def shared_materials(self, case: Case) -> int:
        return len(_SHARED_MATERIALS.all(case=case.pk))

    def lookups_until(self, case: Case, at: datetime) -> int:
        return len(_LOOKUPS_UNTIL.all(case=case.pk, at=at))

    def suspensions(self, case: Case) -> list[Suspension]:
        return case_suspensions(case=case)

    def definition_of(self, case: Case) -> int | None:
        if case.process_id is None:
            return None
        if Case.process.is_cached(case):  # the step holds its process instance
            return case.process.definition_id if case.process is not None else None
        return (
            ProcessInstance.objects.filter(pk=case.process_id)
            .values_list("definition_id", flat=True)
            .first()
        )


_SHARED_MATERIALS = PreparedRows(
    lambda: CaseMaterial.objects.filter(
        case_id=Param("case", Case._meta.pk), origin=MaterialOrigin.SHARING
    ).values_list("pk")
)
_LOOKUPS_UNTIL = PreparedRows(
    lambda: AccessLog.objects.filter(
        case_id=Param("case", Case._meta.pk), at__lte=Param("at", AccessLog._meta.get_field("at"))
    ).values_list("pk")
)
