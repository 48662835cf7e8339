"""The heat map's daily rollup of node visits (:class:`~tongban.workflow.models.NodeVisitDay`).

The engine adds to it in the transaction that records the visits (``engine._visits_record``):
each visit reaching a node adds one to its (version, node, source node, department, reached day,
REACHED) row; each visit leaving it, not cancelled, adds one to its (…, reached day, left day)
row. Rows are only ever added to, by an upsert that sums on conflict, so two transactions
counting on the same row never lose a count. :func:`visit_days_rebuild` recomputes the rows
from the visits (the backfill, and the reference the tests hold the kept rollup to).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Case, Count, F, Field, Q, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from tongban.core.dbcursor import statement_cursor
from tongban.workflow.calendar import SHANGHAI
from tongban.workflow.models import NodeVisit, NodeVisitDay

#: ``left_on`` of the rows that count arrivals (a date no visit leaves on).
REACHED = date(9999, 12, 31)
_COLUMNS = ("definition_id", "node", "from_node", "department", "reached_on", "left_on")
_BATCH = 500


class DayKey(NamedTuple):
    definition_id: int
    node: str
    from_node: str
    department: str
    reached_on: date
    left_on: date


def shanghai_day(moment: datetime) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def visit_days_of(visits: Iterable[NodeVisit], *, department: str) -> Counter[DayKey]:
    """What the rollup counts of ``visits`` as they are now: each reached the node on the day
    it entered; each left (not cancelled) also counts on the day it left. ``department``: the
    instance's, for visits that name none."""
    counts: Counter[DayKey] = Counter()
    for visit in visits:
        key = (
            visit.definition_id,
            visit.node,
            visit.from_node,
            visit.department or department,
            shanghai_day(visit.entered_at),
        )
        counts[DayKey(*key, REACHED)] += 1
        if visit.left_at is not None and not visit.cancelled:
            counts[DayKey(*key, shanghai_day(visit.left_at))] += 1
    return counts


def visit_days_add(counts: Counter[DayKey]) -> None:
    """Add ``counts`` to the rollup: one upsert per batch, summing on conflict."""
    rows = sorted((key, n) for key, n in counts.items() if n)
    # Sorted: two transactions touching the same rows lock them in the same order (no deadlock).
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        params: list[Any] = []
        for key, n in batch:
            params.extend(
                [
                    key.definition_id,
                    key.node,
                    key.from_node,
                    key.department,
                    connection.ops.adapt_datefield_value(key.reached_on),
                    connection.ops.adapt_datefield_value(key.left_on),
                    n,
                ]
            )
        with statement_cursor(connection) as cursor:
            cursor.execute(_upsert_sql(len(batch)), params)


def _upsert_sql(rows: int) -> str:
    quote = connection.ops.quote_name
    table = quote(NodeVisitDay._meta.db_table)
    columns = [quote(_column(name)) for name in _COLUMNS]
    visits = quote("visits")
    placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"] * rows)
    # Table and column names from the model; every value is a parameter.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}, {visits}) VALUES {placeholders}"  # noqa: S608
        f" ON CONFLICT ({', '.join(columns)})"
        f" DO UPDATE SET {visits} = {table}.{visits} + excluded.{visits}"
    )


def _column(name: str) -> str:
    field = NodeVisitDay._meta.get_field(name)
    assert isinstance(field, Field) and field.column
    return field.column


def _department() -> Case:
    # The visit's own department (one reviewing department of a joint review), else the
    # instance's (the case's).
    return Case(When(department="", then=F("instance__department")), default=F("department"))


def visit_days_rebuild(*, definition_ids: Iterable[int] | None = None) -> int:
    """Recompute the rollup from the visits (all versions, or these); returns the rows written."""
    visits = NodeVisit.objects.all()
    days = NodeVisitDay.objects.all()
    if definition_ids is not None:
        ids = list(definition_ids)
        visits = visits.filter(definition_id__in=ids)
        days = days.filter(definition_id__in=ids)
    grouped = visits.annotate(
        dept=_department(),
        reached=TruncDate("entered_at", tzinfo=SHANGHAI),
        left=TruncDate("left_at", tzinfo=SHANGHAI),
    )
    counts: Counter[DayKey] = Counter()
    # Arrivals (every visit, on the day reached), then departures (left, not cancelled).
    arrivals = grouped.values("definition_id", "node", "from_node", "dept", "reached")
    departures = grouped.filter(Q(left_at__isnull=False), cancelled=False).values(
        "definition_id", "node", "from_node", "dept", "reached", "left"
    )
    for rows in (arrivals, departures):
        for row in rows.annotate(n=Count("id")).order_by():
            key = DayKey(
                row["definition_id"],
                row["node"],
                row["from_node"],
                row["dept"],
                row["reached"],
                row.get("left", REACHED),
            )
            counts[key] += row["n"]
    with transaction.atomic():
        days.delete()
        NodeVisitDay.objects.bulk_create(
            (
                NodeVisitDay(visits=n, **dict(zip(_COLUMNS, key, strict=True)))
                for key, n in counts.items()
            ),
            batch_size=2000,
        )
    return len(counts)
