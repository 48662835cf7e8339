"""The heat map's daily rollup (workflow.rollup): kept by the engine, equal to a rebuild."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from tongban.workflow import engine
from tongban.workflow.clock import engine_clock
from tongban.workflow.engine import (
    ProcessStep,
    process_complete_task,
    process_definition_get,
    process_start,
    visits_backfill,
)
from tongban.workflow.models import NodeVisit, NodeVisitDay, ProcessInstance
from tongban.workflow.rollup import REACHED, DayKey, visit_days_add, visit_days_rebuild

pytestmark = pytest.mark.django_db

#: What each user task of standard_approval may be answered with.
ANSWERS: dict[str, list[dict[str, Any]]] = {
    "accept": [
        {"decision": "accept"},
        {"decision": "accept"},
        {"decision": "request_supplement"},
        {"decision": "reject"},
    ],
    "review": [{"decision": "pass"}, {"decision": "fail"}, {"decision": "request_supplement"}],
    "decide": [{"decision": "approve"}, {"decision": "deny"}],
    "strict_review": [{"decision": "pass"}, {"decision": "request_supplement"}],
    "supplement": [{"answered": True}],
    "supplement_review": [{"answered": True}],
}


def _rows() -> Counter[tuple[Any, ...]]:
    return Counter(
        {
            (r.definition_id, r.node, r.from_node, r.department, r.reached_on, r.left_on): r.visits
            for r in NodeVisitDay.objects.all()
            if r.visits
        }
    )


class _Clock:
    """The moment the engine records (timezone.now) and its timers compare against."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, rng: random.Random) -> None:
        # Minutes to days, often across a Shanghai midnight (16:00 UTC).
        self.now += timedelta(minutes=rng.choice([1, 7, 55, 240, 480, 1439, 1440, 4000]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_the_engine_keeps_equals_a_rebuild_from_the_visits(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random walks through standard_approval (supplement loops, rejections, timers that fire
    or not, visits reached and left on different Shanghai days, three departments): the rows
    the engine added up step by step are exactly those a rebuild computes from the visits."""
    rng = random.Random(seed)
    clock = _Clock(datetime(2026, 9, 28, 15, 30, tzinfo=UTC))
    monkeypatch.setattr(engine.timezone, "now", lambda: clock.now)
    open_steps: list[ProcessStep] = []
    with engine_clock(lambda: clock.now):
        for _ in range(60):
            clock.advance(rng)
            if not open_steps or rng.random() < 0.3:
                deadline = clock.now + timedelta(days=rng.choice([1, 3, 7]))
                open_steps.append(
                    process_start(
                        name="standard_approval",
                        data={"acceptance_deadline": deadline.isoformat()},
                        department=rng.choice(["market", "police", "housing"]),
                    )
                )
                continue
            step = rng.choice(open_steps)
            if not step.ready:
                open_steps.remove(step)
                continue
            task = step.ready[0]
            answer = dict(rng.choice(ANSWERS[task.name]))
            if task.name.startswith("supplement"):
                answer["acceptance_deadline"] = (clock.now + timedelta(days=5)).isoformat()
            instance = ProcessInstance.objects.get(pk=step.instance.pk)
            open_steps[open_steps.index(step)] = process_complete_task(
                instance=instance, task_id=task.id, data=answer
            )
    kept = _rows()
    assert NodeVisit.objects.count() > 100
    # Arrivals and departures both counted, on several days.
    assert any(key[5] == REACHED for key in kept) and any(key[5] != REACHED for key in kept)
    assert len({key[4] for key in kept}) > 5
    visit_days_rebuild()
    assert _rows() == kept


def test_a_backfilled_path_is_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    step = process_start(
        name="standard_approval",
        data={"acceptance_deadline": "2099-01-01T00:00:00+08:00"},
        department="market",
    )
    step = process_complete_task(
        instance=step.instance, task_id=step.ready[0].id, data={"decision": "accept"}
    )
    NodeVisit.objects.all().delete()
    NodeVisitDay.objects.all().delete()
    instance = ProcessInstance.objects.get(pk=step.instance.pk)
    assert visits_backfill(instance=instance) > 0
    assert visits_backfill(instance=instance) == 0
    kept = _rows()
    visit_days_rebuild()
    assert _rows() == kept


def test_a_visit_of_a_reviewing_department_counts_there_others_under_the_instance() -> None:
    definition = process_definition_get("standard_approval")
    day = date(2026, 10, 9)
    visit_days_add(Counter({DayKey(definition.pk, "accept", "", "market", day, REACHED): 2}))
    visit_days_add(Counter({DayKey(definition.pk, "accept", "", "market", day, REACHED): 3}))
    row = NodeVisitDay.objects.get()
    assert (row.department, row.visits) == ("market", 5)


@pytest.mark.django_db(transaction=True)
def test_concurrent_steps_adding_to_one_row_lose_no_count() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (BEGIN IMMEDIATE) by itself")
    definition = process_definition_get("standard_approval")
    key = DayKey(definition.pk, "accept", "route_default", "market", date(2026, 10, 9), REACHED)
    other = key._replace(node="review")
    per_thread = 40
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    # Both rows in every transaction, in either order: sorted inside, no deadlock.
                    counts = Counter({key: 1, other: 2} if n % 2 else {other: 2, key: 1})
                    visit_days_add(counts)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert NodeVisitDay.objects.get(node="accept").visits == 4 * per_thread
    assert NodeVisitDay.objects.get(node="review").visits == 2 * 4 * per_thread
