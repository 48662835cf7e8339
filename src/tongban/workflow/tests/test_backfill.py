"""The path of instances started before it was recorded, derived from their stored state."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongban.workflow.engine import ProcessStep, process_complete_task, process_start
from tongban.workflow.models import NodeVisit, ProcessInstance
from tongban.workflow.services import visits_backfill_all

pytestmark = pytest.mark.django_db


def _deadline(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def _do(step: ProcessStep, name: str, **data: object) -> ProcessStep:
    [task] = [t for t in step.ready if t.name == name]
    return process_complete_task(instance=step.instance, task_id=task.id, data=data)


def _path(instance: ProcessInstance) -> list[tuple[str, str, str, bool, bool]]:
    visits = NodeVisit.objects.filter(instance=instance).order_by("node", "department", "task_id")
    return sorted(
        (v.node, v.from_node, v.department, v.left_at is None, v.cancelled) for v in visits
    )


def _forget(instance: ProcessInstance) -> list[tuple[str, str, str, bool, bool]]:
    """The recorded path, then deleted as if the instance predated the recording."""
    recorded = _path(instance)
    NodeVisit.objects.filter(instance=instance).delete()
    return recorded


def test_a_finished_case_with_a_supplement_loop_gets_the_path_it_took() -> None:
    step = process_start(name="standard_approval", data={"acceptance_deadline": _deadline(7)})
    step = _do(step, "accept", decision="request_supplement")
    step = _do(step, "supplement", acceptance_deadline=_deadline(9))
    step = _do(step, "accept", decision="accept")
    step = _do(step, "review", decision="pass")
    step = _do(step, "decide", decision="approve")
    recorded = _forget(step.instance)
    filled, rows = visits_backfill_all()
    assert filled == 1 and rows > 0
    backfilled = _path(step.instance)

    # The same passes, except that a backfill also keeps the timers that never fired, as
    # cancelled (the live recording leaves them as plain left visits).

    def essential(path: list[tuple[str, str, str, bool, bool]]) -> list[tuple[str, str]]:
        return sorted(
            (node, came) for node, came, _d, _w, _c in path if node != "acceptance_timeout"
        )

    assert essential(backfilled) == essential(recorded)
    assert [n for n, *_rest in backfilled].count("accept") == 2
    visits = NodeVisit.objects.filter(instance=step.instance)
    assert all(v.left_at is not None and v.entered_at <= v.left_at for v in visits)


def test_a_waiting_joint_review_gets_each_departments_instance() -> None:
    step = process_start(
        name="joint_review",
        data={"reviewers": ["planning", "fire", "greening"], "lead": "construction"},
    )
    step = _do(step, "accept", decision="accept")
    first = step.ready[0]
    step = process_complete_task(
        instance=step.instance, task_id=first.id, data={"decision": "pass"}
    )
    recorded = _forget(step.instance)
    visits_backfill_all()
    assert _path(step.instance) == recorded
    waiting = NodeVisit.objects.filter(instance=step.instance, left_at__isnull=True)
    expected = sorted({"planning", "fire", "greening"} - {first.data["department"]})
    assert sorted(waiting.values_list("department", flat=True)) == expected


def test_backfilling_twice_writes_nothing_the_second_time() -> None:
    step = process_start(name="instant", data={})
    _forget(step.instance)
    out = StringIO()
    call_command("visits", "backfill", stdout=out)
    count = NodeVisit.objects.filter(instance=step.instance).count()
    assert count > 0 and "1/1" in out.getvalue()
    assert visits_backfill_all() == (0, 0)
    # An instance recorded live is never touched.
    other = process_start(name="instant", data={})
    before = _path(other.instance)
    assert visits_backfill_all() == (0, 0)
    assert _path(other.instance) == before
    assert NodeVisit.objects.filter(instance=step.instance).count() == count
