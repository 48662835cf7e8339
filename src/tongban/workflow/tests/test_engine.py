from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone
from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnValidator
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.util.task import TaskState as SpiffState

from tongban.core.errors import Conflict, ValidationFailed
from tongban.workflow import engine
from tongban.workflow.engine import (
    ProcessStep,
    process_complete_task,
    process_definition_get,
    process_ready_tasks,
    process_refresh_timers,
    process_set_data,
    process_start,
)
from tongban.workflow.models import NodeVisit, ProcessDefinition, ProcessInstance

pytestmark = pytest.mark.django_db

PROCESSES = Path(engine.__file__).resolve().parent.parent / "processes"


def _deadline(delta: timedelta) -> str:
    return (timezone.now() + delta).isoformat()


def _start(**data: Any) -> ProcessStep:
    data.setdefault("acceptance_deadline", _deadline(timedelta(days=7)))
    return process_start(name="standard_approval", data=data)


def _names(step: ProcessStep) -> list[str]:
    return [t.name for t in step.ready]


def _do(step: ProcessStep, name: str, **data: Any) -> ProcessStep:
    """Complete the only ready task, checking it is ``name``."""
    assert _names(step) == [name]
    return process_complete_task(instance=step.instance, task_id=step.ready[0].id, data=data)


def _reload(step: ProcessStep) -> ProcessInstance:
    return ProcessInstance.objects.get(pk=step.instance.pk)


# --- the BPMN files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["standard_approval", "instant"])
def test_the_bpmn_files_are_valid_bpmn_with_a_diagram(name: str) -> None:
    tree = etree.parse(str(PROCESSES / f"{name}.bpmn"))
    BpmnValidator().validate(tree, filename=f"{name}.bpmn")
    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    }
    flow_nodes = tree.xpath(
        "//bpmn:process/*[not(self::bpmn:laneSet) and not(self::bpmn:sequenceFlow)]/@id",
        namespaces=ns,
    )
    flows = tree.xpath("//bpmn:sequenceFlow/@id", namespaces=ns)
    drawn = set(tree.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=ns))
    edges = set(tree.xpath("//bpmndi:BPMNEdge/@bpmnElement", namespaces=ns))
    assert set(flow_nodes) <= drawn
    assert set(flows) == edges
    assert tree.xpath("//bpmn:process/@id", namespaces=ns) == [name]


def test_the_validator_refuses_broken_bpmn() -> None:
    broken = etree.fromstring(
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'id="d" targetNamespace="x"><bpmn:process id="p"><bpmn:nonsense/></bpmn:process>'
        b"</bpmn:definitions>"
    )
    with pytest.raises(Exception, match="nonsense"):
        BpmnValidator().validate(broken)


# --- standard approval paths ------------------------------------------------------------------


def test_starting_standard_approval_waits_for_the_clerk_to_accept() -> None:
    step = _start(case="C-1")
    assert len(step.ready) == 1
    task = step.ready[0]
    assert (task.name, task.title, task.lane) == ("accept", "受理", "clerk")
    assert task.data["case"] == "C-1"
    assert isinstance(task.id, uuid.UUID)
    assert not step.completed and step.end_event == ""
    stored = _reload(step)
    assert stored.version == 1 and not stored.completed
    assert "spec" not in stored.state and "subprocess_specs" not in stored.state
    assert [t.name for t in process_ready_tasks(instance=stored)] == ["accept"]


def test_a_rejected_application_ends_at_rejected() -> None:
    step = _do(_start(), "accept", decision="reject", comment="不属于本部门职权")
    assert step.completed and step.end_event == "rejected" and step.ready == []
    stored = _reload(step)
    assert (stored.completed, stored.end_event, stored.version) == (True, "rejected", 2)
    assert stored.next_timer_at is None


def test_an_accepted_application_goes_through_review_and_decision_to_approved() -> None:
    step = _do(_start(), "accept", decision="accept")
    assert [(t.name, t.title, t.lane) for t in step.ready] == [("review", "审查", "reviewer")]
    # Once accepted, the acceptance timer is gone.
    assert _reload(step).next_timer_at is None
    step = _do(step, "review", decision="pass")
    assert [(t.name, t.title, t.lane) for t in step.ready] == [("decide", "决定", "approver")]
    step = _do(step, "decide", decision="approve")
    assert step.completed and step.end_event == "approved"
    assert _reload(step).end_event == "approved"


def test_a_failed_review_still_goes_to_the_approver_who_may_deny() -> None:
    step = _do(_start(), "accept", decision="accept")
    step = _do(step, "review", decision="fail")
    step = _do(step, "decide", decision="deny", comment="不符合条件")
    assert step.completed and step.end_event == "denied"
    assert step.instance.version == 4


def test_a_supplement_at_acceptance_returns_to_accept() -> None:
    step = _do(_start(), "accept", decision="request_supplement")
    assert [(t.name, t.lane) for t in step.ready] == [("supplement", "applicant")]
    assert step.ready[0].title == "补正材料"
    # While the applicant works on it, the acceptance clock is stopped.
    assert _reload(step).next_timer_at is None
    # Supplement time does not count: the applicant's answer brings a new deadline.
    new_deadline = timezone.now().replace(microsecond=0) + timedelta(days=12)
    step = _do(step, "supplement", answered=True, acceptance_deadline=new_deadline.isoformat())
    assert _names(step) == ["accept"]
    assert step.ready[0].data["answered"] is True
    assert _reload(step).next_timer_at == new_deadline
    step = _do(step, "accept", decision="accept")
    assert _names(step) == ["review"]


def test_a_supplement_during_review_returns_to_review() -> None:
    step = _do(_start(), "accept", decision="accept")
    step = _do(step, "review", decision="request_supplement")
    assert [(t.name, t.lane) for t in step.ready] == [("supplement_review", "applicant")]
    step = _do(step, "supplement_review")
    assert _names(step) == ["review"]
    step = _do(step, "review", decision="pass")
    step = _do(step, "decide", decision="approve")
    assert step.end_event == "approved"


@pytest.mark.parametrize("deadline", ["garbage", "2026-13-01", 12, None])
def test_it_refuses_an_acceptance_deadline_that_is_not_an_iso_datetime(deadline: Any) -> None:
    with pytest.raises(ValidationFailed, match="流程无法继续"):
        process_start(name="standard_approval", data={"acceptance_deadline": deadline})
    assert ProcessInstance.objects.count() == 0


def test_it_refuses_to_set_a_deadline_that_is_not_an_iso_datetime() -> None:
    step = _start()
    with pytest.raises(ValidationFailed, match="流程无法继续"):
        process_set_data(instance=step.instance, data={"acceptance_deadline": "next friday"})
    assert _reload(step).version == 1


def test_a_decision_without_a_decision_variable_is_refused_and_nothing_is_saved() -> None:
    step = _start()
    with pytest.raises(ValidationFailed, match="流程无法继续"):
        process_complete_task(instance=step.instance, task_id=step.ready[0].id, data={})
    assert _reload(step).version == 1


# --- the acceptance timer (行政许可法第三十二条) -----------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Moves SpiffWorkflow's clock (the timers' "now") forward by the given time."""

    def move(by: timedelta) -> None:
        class Later(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> Later:  # type: ignore[override]
                return super().now(tz) + by

        monkeypatch.setattr(spiff_timer, "datetime", Later)

    return move


def test_an_acceptance_deadline_that_passes_deems_the_application_accepted(
    clock: Callable[[timedelta], None],
) -> None:
    step = _start(acceptance_deadline=_deadline(timedelta(days=7)))
    assert _names(step) == ["accept"]
    clock(timedelta(days=8))
    step = process_refresh_timers(instance=step.instance)
    assert [(t.name, t.lane) for t in step.ready] == [("review", "reviewer")]
    assert step.ready[0].data["deemed_accepted"] is True
    stored = _reload(step)
    assert stored.version == 2 and stored.next_timer_at is None
    assert [t.name for t in process_ready_tasks(instance=stored)] == ["review"]


def test_an_acceptance_deadline_already_past_at_start_goes_straight_to_review() -> None:
    step = _start(acceptance_deadline=_deadline(-timedelta(minutes=1)))
    assert _names(step) == ["review"]
    assert step.ready[0].data["deemed_accepted"] is True
    assert step.instance.next_timer_at is None


def test_a_due_timer_fires_on_refresh_after_the_deadline_was_moved_into_the_past() -> None:
    step = _start(acceptance_deadline=_deadline(timedelta(days=5)))
    past = _deadline(-timedelta(minutes=1))
    instance = process_set_data(instance=step.instance, data={"acceptance_deadline": past})
    # Setting data never fires a timer; it only moves next_timer_at for the sweep.
    assert [t.name for t in process_ready_tasks(instance=instance)] == ["accept"]
    assert instance.next_timer_at is not None and instance.next_timer_at < timezone.now()
    step = process_refresh_timers(instance=instance)
    assert _names(step) == ["review"]
    assert step.ready[0].data["deemed_accepted"] is True


def test_an_acceptance_deadline_in_the_future_fires_nothing_and_is_the_next_timer() -> None:
    deadline = timezone.now().replace(microsecond=0) + timedelta(days=5)
    step = _start(acceptance_deadline=deadline.isoformat())
    assert step.instance.next_timer_at == deadline
    step = process_refresh_timers(instance=step.instance)
    assert _names(step) == ["accept"]
    stored = _reload(step)
    # Nothing changed, so nothing was written (and no lock was taken from anyone else).
    assert stored.version == 1
    assert stored.next_timer_at == deadline


def test_setting_a_new_deadline_moves_the_timer() -> None:
    step = _start(acceptance_deadline=_deadline(timedelta(days=5)))
    later = timezone.now().replace(microsecond=0) + timedelta(days=9)
    instance = process_set_data(
        instance=step.instance, data={"acceptance_deadline": later.isoformat()}
    )
    assert instance.version == 2
    assert _reload(step).next_timer_at == later
    assert step.ready[0].data.get("acceptance_deadline") != later.isoformat()
    assert process_ready_tasks(instance=instance)[0].data["acceptance_deadline"] == (
        later.isoformat()
    )


def test_a_timer_that_has_fired_cannot_be_pre_empted_by_the_clerk(
    clock: Callable[[timedelta], None],
) -> None:
    step = _start()
    accept_id = step.ready[0].id
    clock(timedelta(days=30))
    process_refresh_timers(instance=step.instance)
    with pytest.raises(Conflict, match="该环节已处理或不存在"):
        process_complete_task(
            instance=step.instance, task_id=accept_id, data={"decision": "reject"}
        )


# --- instant process --------------------------------------------------------------------------


def test_an_instant_matter_is_approved_by_the_clerk_alone() -> None:
    step = process_start(name="instant", data={})
    assert [(t.name, t.title, t.lane) for t in step.ready] == [("accept", "受理", "clerk")]
    assert step.instance.next_timer_at is None
    step = _do(step, "accept", decision="accept")
    assert step.completed and step.end_event == "approved"


def test_an_instant_matter_can_be_rejected() -> None:
    step = _do(process_start(name="instant", data={}), "accept", decision="reject")
    assert step.completed and step.end_event == "rejected"


def test_an_instant_matter_supplement_returns_to_accept() -> None:
    step = _do(process_start(name="instant", data={}), "accept", decision="request_supplement")
    assert [(t.name, t.lane) for t in step.ready] == [("supplement", "applicant")]
    step = _do(step, "supplement")
    step = _do(step, "accept", decision="accept")
    assert step.end_event == "approved"


# --- refusals and locking ---------------------------------------------------------------------


def test_it_refuses_an_unknown_task_id() -> None:
    step = _start()
    with pytest.raises(Conflict, match="该环节已处理或不存在"):
        process_complete_task(instance=step.instance, task_id=uuid.uuid4(), data={})


def test_it_refuses_a_task_that_is_not_a_ready_user_task() -> None:
    step = _start()
    workflow_task_ids = [uuid.UUID(tid) for tid in step.instance.state["tasks"]]
    not_ready = [tid for tid in workflow_task_ids if tid != step.ready[0].id]
    assert not_ready
    for tid in not_ready:
        with pytest.raises(Conflict):
            process_complete_task(instance=step.instance, task_id=tid, data={"decision": "x"})
    assert _reload(step).version == 1


def test_it_refuses_to_complete_the_same_task_twice() -> None:
    step = _start()
    task_id = step.ready[0].id
    process_complete_task(instance=step.instance, task_id=task_id, data={"decision": "accept"})
    with pytest.raises(Conflict, match="该环节已处理或不存在"):
        process_complete_task(instance=step.instance, task_id=task_id, data={"decision": "accept"})


def test_of_two_concurrent_completions_only_the_first_saved_wins() -> None:
    step = _start()
    task_id = step.ready[0].id
    first = ProcessInstance.objects.get(pk=step.instance.pk)
    second = ProcessInstance.objects.get(pk=step.instance.pk)
    winner = process_complete_task(instance=first, task_id=task_id, data={"decision": "reject"})
    with pytest.raises(Conflict, match="办件已被他人处理，请刷新后重试"):
        process_complete_task(instance=second, task_id=task_id, data={"decision": "accept"})
    stored = ProcessInstance.objects.get(pk=step.instance.pk)
    assert stored.version == 2 and second.version == 1
    assert stored.state == winner.instance.state
    assert (stored.completed, stored.end_event) == (True, "rejected")


def test_a_stale_instance_cannot_set_data_or_fire_timers(
    clock: Callable[[timedelta], None],
) -> None:
    step = _start()
    stale = ProcessInstance.objects.get(pk=step.instance.pk)
    process_set_data(instance=step.instance, data={"note": "x"})
    clock(timedelta(days=30))
    with pytest.raises(Conflict):
        process_refresh_timers(instance=stale)
    with pytest.raises(Conflict):
        process_set_data(instance=stale, data={"note": "y"})


@pytest.mark.django_db(transaction=True)
def test_two_threads_completing_the_same_task_let_exactly_one_win() -> None:
    step = _start()
    task_id = step.ready[0].id
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def act(decision: str) -> None:
        try:
            instance = ProcessInstance.objects.get(pk=step.instance.pk)
            barrier.wait(timeout=10)  # both have read version 1 before either writes
            outcomes[decision] = process_complete_task(
                instance=instance, task_id=task_id, data={"decision": decision}
            )
        except Exception as exc:
            outcomes[decision] = exc
        finally:
            close_old_connections()
            if connection.vendor != "sqlite":
                connection.close()

    threads = [threading.Thread(target=act, args=(d,)) for d in ("reject", "accept")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    won = [d for d, o in outcomes.items() if isinstance(o, ProcessStep)]
    lost = [o for o in outcomes.values() if isinstance(o, Conflict)]
    if connection.vendor == "sqlite":
        # The test database is SQLite in memory with a shared cache, where a writer that meets
        # another's open write fails at once ("table is locked") instead of waiting; on a
        # SQLite file it waits (busy timeout) and loses the version check like on PostgreSQL.
        lost += [o for o in outcomes.values() if isinstance(o, OperationalError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    stored = ProcessInstance.objects.get(pk=step.instance.pk)
    assert stored.version == 2
    # The loser recorded nothing of its path: the accept task was left once, by the winner.
    assert NodeVisit.objects.filter(instance=stored, node="accept").count() == 1
    assert stored.state == outcomes[won[0]].instance.state
    assert stored.end_event == ("rejected" if won[0] == "reject" else "")


# --- definitions ------------------------------------------------------------------------------


def test_one_definition_row_is_shared_by_every_instance() -> None:
    first = _start()
    second = _start()
    assert ProcessDefinition.objects.filter(name="standard_approval").count() == 1
    assert first.instance.definition_id == second.instance.definition_id
    definition = process_definition_get("standard_approval")
    assert definition.source_file == "processes/standard_approval.bpmn"
    assert "spec" in definition.spec and len(definition.digest) == 64


def test_a_changed_bpmn_file_makes_a_new_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    processes = tmp_path / "processes"
    processes.mkdir()
    shutil.copy(PROCESSES / "instant.bpmn", processes / "instant.bpmn")
    monkeypatch.setattr(engine, "PROCESS_DIR", processes)
    old = process_start(name="instant", data={})
    text = (processes / "instant.bpmn").read_text(encoding="utf-8")
    (processes / "instant.bpmn").write_text(text.replace("当场办结", "当场办结。"), "utf-8")
    new = process_start(name="instant", data={})
    assert ProcessDefinition.objects.filter(name="instant").count() == 2
    versions = ProcessDefinition.objects.filter(name="instant").order_by("version")
    assert [d.version for d in versions] == [1, 2]
    assert "当场办结。" in versions[1].source and versions[1].published_at is not None
    assert old.instance.definition_id != new.instance.definition_id
    # The old instance keeps running on its own version.
    assert _do(old, "accept", decision="accept").end_event == "approved"


def test_it_refuses_a_bpmn_file_that_is_not_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (PROCESSES / "instant.bpmn").read_text(encoding="utf-8")
    (tmp_path / "instant.bpmn").write_text(text.replace("bpmn:userTask", "bpmn:userTusk"))
    monkeypatch.setattr(engine, "PROCESS_DIR", tmp_path)
    with pytest.raises(ValidationFailed, match="流程文件“instant”无效"):
        process_start(name="instant", data={})
    assert ProcessDefinition.objects.count() == 0


@pytest.mark.parametrize("name", ["nonexistent", "../settings", "Standard_Approval", ""])
def test_it_refuses_an_unknown_process_name(name: str) -> None:
    with pytest.raises(ValidationFailed, match="未知的流程") as excinfo:
        process_start(name=name, data={})
    assert excinfo.value.field_errors()[0]["field"] == "name"
    assert ProcessInstance.objects.count() == 0


def test_an_instance_restores_when_its_definition_was_loaded_with_it() -> None:
    step = _start()
    instance = ProcessInstance.objects.select_related("definition").get(pk=step.instance.pk)
    assert [t.name for t in process_ready_tasks(instance=instance)] == ["accept"]


def test_a_state_from_an_older_serializer_is_migrated_on_restore() -> None:
    step = _start()
    instance = _reload(step)
    instance.state["serializer_version"] = "1.4"
    ProcessInstance.objects.filter(pk=instance.pk).update(state=instance.state)
    instance = _reload(step)
    assert [t.name for t in process_ready_tasks(instance=instance)] == ["accept"]
    done = process_complete_task(
        instance=instance, task_id=step.ready[0].id, data={"decision": "reject"}
    )
    assert done.end_event == "rejected"
    assert _reload(step).state["serializer_version"] == engine._serializer.VERSION


def test_the_order_of_tasks_in_the_stored_state_does_not_matter() -> None:
    # PostgreSQL's jsonb reorders keys; SpiffWorkflow restores task data as deltas on parents.
    step = _start(case="C-9")
    state = _reload(step).state
    state["tasks"] = dict(reversed(list(state["tasks"].items())))
    ProcessInstance.objects.filter(pk=step.instance.pk).update(state=state)
    instance = _reload(step)
    (accept,) = process_ready_tasks(instance=instance)
    assert accept.data["case"] == "C-9" and "acceptance_deadline" in accept.data
    step = process_complete_task(instance=instance, task_id=accept.id, data={"decision": "accept"})
    assert step.ready[0].data["case"] == "C-9"
    assert _reload(step).next_timer_at is None


def test_timer_values_are_utc_aware() -> None:
    deadline = datetime(2099, 1, 5, 9, 0, tzinfo=timezone.get_fixed_timezone(480))
    step = _start(acceptance_deadline=deadline.isoformat())
    assert step.instance.next_timer_at == deadline


# --- the recorded path ------------------------------------------------------------------------


def _path(step: ProcessStep) -> list[tuple[str, str, bool]]:
    visits = NodeVisit.objects.filter(instance=step.instance).order_by("entered_at", "pk")
    return [(v.from_node, v.node, v.left_at is not None) for v in visits]


def test_every_node_a_case_passes_is_recorded_with_the_flow_it_came_by() -> None:
    step = _start()
    assert ("route_default", "accept", False) in _path(step)
    # The acceptance timer waits beside the task: reached, not left.
    assert ("route_default", "acceptance_timeout", False) in _path(step)
    step = _do(step, "accept", decision="request_supplement")
    step = _do(step, "supplement", answered=True, acceptance_deadline=_deadline(timedelta(days=7)))
    step = _do(step, "accept", decision="accept")
    step = _do(step, "review", decision="pass")
    step = _do(step, "decide", decision="approve")
    path = _path(step)
    nodes = [node for _from, node, _left in path]
    # The supplement loop is two visits of accept, each its own row.
    assert nodes.count("accept") == 2 and nodes.count("supplement") == 1
    assert ("accept", "accept_gateway", True) in path
    assert ("accept_gateway", "supplement", True) in path
    assert nodes[-1] == "approved"
    # Every visit was left once the process ended; none is still waiting.
    assert all(left for _from, _node, left in path)
    # The acceptance timers that did not fire were cancelled, not passed; the tasks were passed.
    visits = NodeVisit.objects.filter(instance=step.instance)
    assert set(visits.filter(cancelled=True).values_list("node", flat=True)) == {
        "acceptance_timeout"
    }
    types = NodeVisit.objects.filter(instance=step.instance).values_list("node_type", flat=True)
    assert set(types) >= {
        "StartEvent",
        "UserTask",
        "ExclusiveGateway",
        "EndEvent",
    }


def test_a_joint_review_records_one_visit_per_department() -> None:
    step = process_start(
        name="joint_review",
        data={
            "acceptance_deadline": _deadline(timedelta(days=7)),
            "review_deadline": _deadline(timedelta(days=20)),
            "reviewers": ["planning", "fire", "greening"],
            "lead": "construction",
        },
    )
    step = _do(step, "accept", decision="accept")
    waiting = NodeVisit.objects.filter(instance=step.instance, left_at__isnull=True)
    assert sorted(waiting.values_list("node", "department")) == [
        ("department_review", "fire"),
        ("department_review", "greening"),
        ("department_review", "planning"),
    ]
    assert set(waiting.values_list("from_node", flat=True)) == {"accept_gateway"}
    first = step.ready[0]
    step = process_complete_task(instance=step.instance, task_id=first.id, data={"opinion": "pass"})
    left = NodeVisit.objects.get(instance=step.instance, task_id=first.id)
    assert left.left_at is not None and left.left_at >= left.entered_at
    assert NodeVisit.objects.filter(instance=step.instance, left_at__isnull=True).count() == 2


# --- the workflow kept from the last save ------------------------------------------------------


def _joint_review_accepted(reviewers: list[str]) -> ProcessStep:
    step = process_start(name="joint_review", data={"reviewers": reviewers, "lead": "lead"})
    [accept] = step.ready
    return process_complete_task(
        instance=step.instance, task_id=accept.id, data={"decision": "accept"}
    )


def test_the_next_change_goes_on_from_the_workflow_kept_after_the_commit(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    kept = _joint_review_accepted(["fire", "water", "greening"])
    with django_capture_on_commit_callbacks(execute=True):
        kept = process_complete_task(
            instance=_reload(kept), task_id=kept.ready[0].id, data={"decision": "pass"}
        )
    # The same path without the kept workflow: every step restored from the stored state.
    fresh = _joint_review_accepted(["fire", "water", "greening"])
    fresh = process_complete_task(
        instance=_reload(fresh), task_id=fresh.ready[0].id, data={"decision": "pass"}
    )

    restores: list[int] = []
    real_restore = engine.workflow_restore
    monkeypatch.setattr(
        engine, "workflow_restore", lambda i: restores.append(i.pk) or real_restore(i)
    )
    with django_capture_on_commit_callbacks(execute=True):
        kept = process_complete_task(
            instance=_reload(kept), task_id=kept.ready[0].id, data={"decision": "pass"}
        )
    assert restores == []  # went on from the kept object
    fresh = process_complete_task(
        instance=_reload(fresh), task_id=fresh.ready[0].id, data={"decision": "pass"}
    )
    assert restores == [fresh.instance.pk]
    # Both paths lead to the same place, and what was saved restores to the same tasks.
    assert [t.data["department"] for t in kept.ready] == ["greening"]
    assert [t.data["department"] for t in fresh.ready] == ["greening"]
    again = real_restore(_reload(kept))
    assert [t.task_spec.bpmn_id for t in again.get_tasks(state=SpiffState.READY)] == [
        "department_review"
    ]
    kept = process_complete_task(
        instance=_reload(kept), task_id=kept.ready[0].id, data={"decision": "fail"}
    )
    assert [(t.name, t.data["department"]) for t in kept.ready] == [("decide", "lead")]


def test_a_workflow_is_not_kept_when_its_transaction_rolls_back(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    step = _joint_review_accepted(["fire", "water"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        process_complete_task(
            instance=_reload(step), task_id=step.ready[0].id, data={"decision": "pass"}
        )
    assert len(callbacks) == 1  # never run: the transaction did not commit
    restores: list[int] = []
    real_restore = engine.workflow_restore
    monkeypatch.setattr(
        engine, "workflow_restore", lambda i: restores.append(i.pk) or real_restore(i)
    )
    instance = _reload(step)
    process_complete_task(instance=instance, task_id=step.ready[1].id, data={"decision": "pass"})
    assert restores == [instance.pk]


def test_a_failed_change_leaves_no_half_changed_workflow_behind(
    django_capture_on_commit_callbacks: Any,
) -> None:
    step = _joint_review_accepted(["fire", "water"])
    with django_capture_on_commit_callbacks(execute=True):
        step = process_complete_task(
            instance=_reload(step), task_id=step.ready[0].id, data={"decision": "pass"}
        )
    instance = _reload(step)
    with pytest.raises(Conflict):
        process_complete_task(instance=instance, task_id=uuid.uuid4(), data={"decision": "pass"})
    # The kept workflow was taken out; the next change restores and still works.
    step = process_complete_task(
        instance=_reload(step), task_id=step.ready[0].id, data={"decision": "pass"}
    )
    assert [t.name for t in step.ready] == ["decide"]


# --- the tasks a step looks at, read from the dictionaries ------------------------------------

#: A subprocess with a user task and a timer inside, beside a parallel branch.
_NESTED_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="d" targetNamespace="http://example.org/tongban">
  <bpmn:process id="nested" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="outer"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:subProcess id="sub"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:startEvent id="sub_start"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="inner"><bpmn:incoming>s1</bpmn:incoming>
        <bpmn:outgoing>s2</bpmn:outgoing></bpmn:userTask>
      <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>s2</bpmn:incoming>
        <bpmn:outgoing>s3</bpmn:outgoing>
        <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration>
        </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
      <bpmn:endEvent id="sub_end"><bpmn:incoming>s3</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="inner"/>
      <bpmn:sequenceFlow id="s2" sourceRef="inner" targetRef="wait"/>
      <bpmn:sequenceFlow id="s3" sourceRef="wait" targetRef="sub_end"/>
    </bpmn:subProcess>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="outer"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="sub"/>
    <bpmn:sequenceFlow id="f4" sourceRef="outer" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="sub" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

#: The masks the engine asks for. (Not COMPLETED alone: the tree walk then does not go below a
#: task that is not yet completed, and misses a multi-instance node's finished instances.)
_MASKS = {
    "ready": SpiffState.READY,
    "waiting": SpiffState.WAITING,
    "any": SpiffState.ANY_MASK,
}


def _same_tasks_as_the_tree_walk(workflow: Any) -> None:
    """What the engine reads and stores of ``workflow``'s tasks is what the library's own
    tree walk finds and its own converter makes."""
    from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter

    library = WorkflowConverter.to_dict(engine._workflow_converter, workflow)
    ours = engine._workflow_state(workflow)
    assert ours == {
        **library,
        "subprocesses": ours["subprocesses"],
        "bpmn_events": [],
        "typename": "BpmnWorkflow",
        "serializer_version": ours["serializer_version"],
    }
    for sub in workflow.subprocesses.values():
        assert engine._tasks_state(sub.tasks) == engine._workflow_converter.mapping_to_dict(
            sub.tasks
        )
    for name, mask in _MASKS.items():
        walked = {t.id for t in workflow.get_tasks(state=mask)}
        read = [t.id for t in engine._tasks_in(workflow, mask)]
        assert len(read) == len(set(read)), name  # each task once
        assert set(read) == walked, name


def test_the_tasks_read_from_the_dictionaries_are_those_the_tree_walk_finds() -> None:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    parser.add_bpmn_str(_NESTED_BPMN.encode())
    workflow = BpmnWorkflow(parser.get_spec("nested"), parser.get_subprocess_specs("nested"))
    workflow.do_engine_steps()
    _same_tasks_as_the_tree_walk(workflow)
    # Inside the subprocess and outside it: both user tasks are ready, found in both places.
    ready = {t.task_spec.bpmn_id for t in engine._tasks_in(workflow, SpiffState.READY)}
    assert {"outer", "inner"} <= ready
    for bpmn_id in ("inner", "outer"):
        [task] = [
            t
            for t in engine._tasks_in(workflow, SpiffState.READY)
            if t.task_spec.bpmn_id == bpmn_id
        ]
        task.run()
        workflow.do_engine_steps()
        _same_tasks_as_the_tree_walk(workflow)
    # The subprocess waits on its timer (and the join on the subprocess): the waiting task
    # inside the subprocess is found.
    waiting = {t.task_spec.bpmn_id for t in engine._tasks_in(workflow, SpiffState.WAITING)}
    assert waiting == {"wait", "join"}
    assert engine._next_timer_at(workflow) is not None


def test_a_joint_reviews_tasks_read_from_the_dictionaries_match_the_tree_walk() -> None:
    step = _joint_review_accepted(["fire", "water", "greening"])
    while step.ready:
        _same_tasks_as_the_tree_walk(engine.workflow_restore(_reload(step)))
        task = step.ready[0]
        data = {"decision": "approve"} if task.name == "decide" else {"decision": "pass"}
        step = process_complete_task(instance=_reload(step), task_id=task.id, data=data)
    _same_tasks_as_the_tree_walk(engine.workflow_restore(_reload(step)))
