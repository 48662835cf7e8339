"""Keeping the rollups current: the receivers of ``cases.hooks`` and the row updates.

``StatsConfig.ready()`` connects ``stats_case_event`` to ``case_event`` and
``stats_visit_recorded`` to ``visit_recorded``.  Both run inside the transaction of
the step that caused the event, so a rollup commits or rolls back with the case.
An event whose action counts nothing returns before any query; one that counts
takes the case the step holds (or reads it, with its matter, theme and parent, once),
asks ``LiveFacts`` what it needs, and adds to one or two ``DailyRollup`` rows (and a
``DurationHistogram`` bucket and the process version's rows for a decision), each with one
``INSERT … ON CONFLICT DO UPDATE SET n = n + k``, so concurrent cases in the same bucket
both count.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Model, PositiveIntegerField

from tongban.cases.hooks import CaseEvent, VisitRecorded
from tongban.cases.models import Case
from tongban.core.dbcursor import statement_cursor
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


def _counters(model: type[Model], unique: tuple[str, ...]) -> tuple[str, ...]:
    """The counting columns of a rollup table: its whole numbers that are not in its key."""
    return tuple(
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, PositiveIntegerField) and f.name not in unique
    )


#: Each rollup table: its unique key (the conflict target) and its counters (0 in a new row).
_TABLES: dict[type[Model], tuple[tuple[str, ...], tuple[str, ...]]] = {
    model: (unique, _counters(model, unique))
    for model, unique in (
        (DailyRollup, ("day", "key")),
        (DurationHistogram, ("month", "key", "days")),
        (VersionRollup, ("day", "key")),
        (VersionDurationHistogram, ("month", "key", "days")),
    )
}


def _add(model: type[Model], row: Mapping[str, Any], counters: Mapping[str, int]) -> None:
    """Add ``counters`` to the row of ``model`` that ``row`` names, creating it if new.

    One statement, ``INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n``
    (PostgreSQL and SQLite): no read first, no savepoint, and two cases counting into a new
    row at the same moment both count (the second insert becomes an update). ``row`` holds
    the key and the dimension columns; a counter not in ``counters`` starts at 0.
    """
    values = {**row, **{c: int(counters.get(c, 0)) for c in _TABLES[model][1]}}
    params = [_field(model, name).get_db_prep_save(v, connection) for name, v in values.items()]
    with statement_cursor(connection) as cursor:
        cursor.execute(_add_sql(model, tuple(values), tuple(counters)), params)


@functools.cache
def _add_sql(model: type[Model], names: tuple[str, ...], added: tuple[str, ...]) -> str:
    """The text of ``_add`` for these columns and counters: made once, every step counts."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(_column(model, name)) for name in names]
    increments = [quote(_column(model, name)) for name in added]
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in increments)
        if increments
        else "DO NOTHING"
    )
    target = ", ".join(quote(_column(model, name)) for name in _TABLES[model][0])
    # Table and column names from the model; every value is a parameter.
    return (
        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(columns))})"
        f" ON CONFLICT ({target}) {action}"
    )


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column
    return field


def _column(model: type[Model], name: str) -> str:
    return str(_field(model, name).column)


# Inside the case step's transaction (the receivers): no savepoint of its own, a failure
# fails the step, as a failure of the step's own writes does.
@transaction.atomic(savepoint=False)
def rollup_counts_apply(
    *, counts: Counts, definition_id: int | None = None, department_id: int | None = None
) -> None:
    """Add ``counts`` to the rollup rows, one statement a row (created the first time its
    bucket is used).

    A decision is added to the rows of ``definition_id`` (the process version the case ran
    on) too, when the case has a process.
    """
    for day, dims, counters in counts.rollups:
        _add(DailyRollup, {"day": day, "key": dims.key, **dims.fields()}, counters)
    for month, dims, days in counts.durations:
        row = {"month": month, "key": dims.histogram_key, "days": days, **dims.histogram_fields()}
        _add(DurationHistogram, row, {"cases": 1})
    if definition_id is None:
        return
    key = version_key(definition_id, department_id)
    version_dims: dict[str, int | None] = {
        "definition_id": definition_id,
        "department_id": department_id,
    }
    for decision in counts.decisions:
        _add(
            VersionRollup,
            {"day": decision.day, "key": key, **version_dims},
            {"decided": 1, "decided_overdue": int(decision.overdue)},
        )
        if decision.days is not None:
            row = {"month": month_of(decision.day), "key": key, "days": decision.days}
            _add(VersionDurationHistogram, {**row, **version_dims}, {"cases": 1})


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
