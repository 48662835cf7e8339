"""Keeping the rollups current: the receivers of ``cases.hooks`` and the row updates.

``StatsConfig.ready()`` connects ``stats_case_event`` to ``case_event`` and
``stats_visit_recorded`` to ``visit_recorded``.  Both run inside the transaction of
the step that caused the event, so a rollup commits or rolls back with the case.
An event whose action counts nothing returns before any query; one that counts
takes the case the step holds (or reads it, with its matter, theme and parent, once),
asks ``LiveFacts`` what it needs, and adds to one or two ``DailyRollup`` rows (and a
``DurationHistogram`` bucket for a decision) with ``UPDATE … SET n = n + k``, so
concurrent cases in the same bucket both count.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Field, PositiveIntegerField

from tongban.cases.hooks import CaseEvent, VisitRecorded
from tongban.cases.models import Case
from tongban.stats.models import (
    DailyRollup,
    DurationHistogram,
    VersionDurationHistogram,
    VersionRollup,
)
from tongban.stats.rollup import (
    COUNTED_ACTIONS,
    Counts,
    Dims,
    LiveFacts,
    case_dims,
    event_counts,
    month_of,
    version_key,
    visit_counts,
)
from tongban.workflow.calendar import WorkCalendar


def _case_read(case_id: int) -> Case:
    return Case.objects.select_related("matter", "theme", "parent", "parent__theme").get(pk=case_id)


def _parent_dims(case: Case) -> Dims | None:
    if case.parent is None:
        return None
    return case_dims(case.parent)


#: The counters of a daily row (every one starts at 0 in a new row).
_DAILY_COUNTERS = tuple(
    f.name for f in DailyRollup._meta.concrete_fields if isinstance(f, PositiveIntegerField)
)


def _daily_add(day: date, dims: Dims, counters: Mapping[str, int]) -> None:
    """Add ``counters`` to the day's row of ``dims`` in one statement, creating it if new.

    ``INSERT … ON CONFLICT (day, key) DO UPDATE SET n = n + excluded.n`` (PostgreSQL and
    SQLite): no read first, no savepoint, and two cases counting into a new row at the same
    moment both count (the second insert becomes an update).
    """
    meta = DailyRollup._meta
    quote = connection.ops.quote_name
    values: dict[str, Any] = {
        "day": connection.ops.adapt_datefield_value(day),
        "key": dims.key,
        **dims.fields(),
        **{name: int(counters.get(name, 0)) for name in _DAILY_COUNTERS},
    }
    columns = [quote(_column(name)) for name in values]
    table = quote(meta.db_table)
    added = [quote(_column(name)) for name in counters]
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in added)
        if added
        else "DO NOTHING"
    )
    # Table and column names from the model; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(columns))})"
        f" ON CONFLICT ({quote('day')}, {quote('key')}) {action}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))


def _column(name: str) -> str:
    field = DailyRollup._meta.get_field(name)
    assert isinstance(field, Field) and field.column
    return field.column


# Inside the case step's transaction (the receivers): no savepoint of its own, a failure
# fails the step, as a failure of the step's own writes does.
@transaction.atomic(savepoint=False)
def rollup_counts_apply(
    *, counts: Counts, definition_id: int | None = None, department_id: int | None = None
) -> None:
    """Add ``counts`` to the rollup rows, creating a row the first time its bucket is used.

    A decision is added to the rows of ``definition_id`` (the process version the case ran
    on) too, when the case has a process.
    """
    for day, dims, counters in counts.rollups:
        _daily_add(day, dims, counters)
    for month, dims, days in counts.durations:
        bucket, _created = DurationHistogram.objects.get_or_create(
            month=month, key=dims.histogram_key, days=days, defaults=dims.histogram_fields()
        )
        DurationHistogram.objects.filter(pk=bucket.pk).update(cases=F("cases") + 1)
    if definition_id is None:
        return
    key = version_key(definition_id, department_id)
    version_dims: dict[str, int | None] = {
        "definition_id": definition_id,
        "department_id": department_id,
    }
    for decision in counts.decisions:
        version_row, _created = VersionRollup.objects.get_or_create(
            day=decision.day, key=key, defaults=version_dims
        )
        VersionRollup.objects.filter(pk=version_row.pk).update(
            decided=F("decided") + 1, decided_overdue=F("decided_overdue") + int(decision.overdue)
        )
        if decision.days is not None:
            version_bucket, _created = VersionDurationHistogram.objects.get_or_create(
                month=month_of(decision.day), key=key, days=decision.days, defaults=version_dims
            )
            VersionDurationHistogram.objects.filter(pk=version_bucket.pk).update(
                cases=F("cases") + 1
            )


def stats_case_event(event: CaseEvent) -> None:
    """The receiver of ``cases.hooks.case_event``: count one timeline entry."""
    if event.entry.action not in COUNTED_ACTIONS:
        return
    # The case as the step holds it (no second read); by id when the sender has none.
    case = event.case if event.case is not None else _case_read(event.case_id)
    facts = LiveFacts()
    counts = event_counts(case, event.entry, facts, WorkCalendar(), _parent_dims(case))
    definition_id = facts.definition_of(case) if counts.decisions else None
    rollup_counts_apply(
        counts=counts, definition_id=definition_id, department_id=case.department_id
    )


def stats_visit_recorded(event: VisitRecorded) -> None:
    """The receiver of ``cases.hooks.visit_recorded``: count one in-person visit."""
    case = _case_read(event.case.pk)
    rollup_counts_apply(counts=visit_counts(case, event.visit))
