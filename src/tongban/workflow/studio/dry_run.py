"""The dry run: recorded cases of the published version replayed on a candidate version.

For each of the latest instances of the published version (running or completed), a fresh
workflow of the candidate starts with the instance's start data, and the recorded steps are
taken again in the recorded order: each completed user task with its recorded data (the
decision …), each timer that fired. After every step the nodes the candidate passed are
compared with the nodes the recording passed in the same step; the first difference is where
the case would diverge. Timers fire only where they fired in the recording.

It reads the serialized state (which holds every task's data and when it changed state), not
NodeVisit, so instances from before the visits were recorded replay too. It needs nothing of
cases: the case number comes from the start data.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from tongban.workflow import engine
from tongban.workflow.models import ProcessDefinition, ProcessInstance

#: A timer that must not fire in the replay waits until then; one that fired is due at once.
_NEVER = "9999-01-01T00:00:00+00:00"
_DUE = "2000-01-01T00:00:00+00:00"


def dry_run_cases() -> int:
    """How many recorded cases a dry run replays (``TONGBAN_PROCESS_DRY_RUN_CASES``, 50)."""
    return int(settings.PROCESS_DRY_RUN_CASES)


class _ReplayScriptEngine(PythonScriptEngine):
    """Timers never fire on their own in a replay: the replay fires those the recording did."""

    def evaluate(self, task: Any, expression: Any, external_context: Any = None) -> Any:
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            return _NEVER
        return super().evaluate(task, expression, external_context)


def _is_timer(task: Any) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def _node(task: Any) -> str:
    return str(task.task_spec.bpmn_id)


def _start_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    for task in workflow.get_tasks():
        if task.task_spec.name == "Start":
            return dict(task.data)
    return {}


def _completed_nodes(workflow: BpmnWorkflow) -> list[Any]:
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if engine.node_task(t)]
    return sorted(done, key=lambda t: t.last_state_change)


def _recorded_steps(workflow: BpmnWorkflow) -> tuple[list[Any], list[list[str]]]:
    """The recorded triggers (user tasks completed, timers fired) and the nodes of each step.

    Step 0 is the start; step i+1 begins with trigger i.
    """
    completed = _completed_nodes(workflow)
    triggers = [t for t in completed if t.task_spec.manual or _is_timer(t)]
    steps: list[list[str]] = [[] for _ in range(len(triggers) + 1)]
    bounds = [t.last_state_change for t in triggers]
    for task in completed:
        index = sum(1 for bound in bounds if bound <= task.last_state_change)
        steps[index].append(_node(task))
    return triggers, steps


def _new_nodes(workflow: BpmnWorkflow, seen: set[Any]) -> list[str]:
    fresh = [t for t in _completed_nodes(workflow) if t.id not in seen]
    seen.update(t.id for t in fresh)
    return [_node(t) for t in fresh]


def _difference(expected: list[str], got: list[str]) -> tuple[str, str] | None:
    missing = Counter(expected) - Counter(got)
    extra = Counter(got) - Counter(expected)
    if not missing and not extra:
        return None
    first_missing = next((n for n in expected if n in missing), "")
    first_extra = next((n for n in got if n in extra), "")
    return first_missing, first_extra


def _take(candidate: BpmnWorkflow, trigger: Any) -> bool:
    """Take the recorded step ``trigger`` on the candidate; False when it cannot."""
    node = _node(trigger)
    if trigger.task_spec.manual:
        department = trigger.data.get("department")
        ready = [
            t for t in candidate.get_tasks(state=TaskState.READY, manual=True) if _node(t) == node
        ]
        ready.sort(key=lambda t: t.data.get("department") != department)
        if not ready:
            return False
        ready[0].data.update(trigger.data)
        ready[0].run()
    else:
        waiting = [
            t
            for t in candidate.get_tasks(state=TaskState.WAITING)
            if _node(t) == node
            and isinstance(t.task_spec.event_definition, TimeDateEventDefinition)
        ]
        if not waiting:
            return False
        waiting[0]._set_internal_data(event_value=_DUE)
        candidate.refresh_timers()
    candidate.do_engine_steps()
    return True


def _replay(instance: ProcessInstance, spec: Any, subprocess_specs: Any) -> dict[str, Any]:
    recorded = engine.workflow_restore(instance)
    start = _start_data(recorded)
    triggers, steps = _recorded_steps(recorded)
    result: dict[str, Any] = {
        "instance": instance.pk,
        "case_no": str(start.get("case_no") or ""),
        "steps": len(triggers),
    }
    candidate = BpmnWorkflow(spec, subprocess_specs, script_engine=_ReplayScriptEngine())
    for task in candidate.get_tasks(state=TaskState.READY):
        task.data.update(start)
    seen: set[Any] = set()
    expected_waiting = sorted(
        _node(t) for t in recorded.get_tasks(state=TaskState.READY, manual=True)
    )
    waiting = ", ".join(expected_waiting) or engine.end_event_of(recorded)
    candidate.do_engine_steps()
    for index, expected in enumerate(steps):
        if index > 0:
            trigger = triggers[index - 1]
            if not _take(candidate, trigger):
                ready = [_node(t) for t in candidate.get_tasks(state=TaskState.READY, manual=True)]
                return {
                    **result,
                    "status": "diverged",
                    "step": index,
                    "after": _node(triggers[index - 2]) if index > 1 else "",
                    "decision": "",
                    "expected": _node(trigger),
                    "got": ", ".join(ready) or engine.end_event_of(candidate) or "",
                }
        got = _new_nodes(candidate, seen)
        difference = _difference(expected, got)
        if difference is not None:
            previous = triggers[index - 1] if index > 0 else None
            # Nothing missing but something more: the recording went on to its next step.
            upcoming = _node(triggers[index]) if index < len(triggers) else waiting
            return {
                **result,
                "status": "diverged",
                "step": index,
                "after": _node(previous) if previous is not None else "",
                "decision": str(previous.data.get("decision") or "") if previous else "",
                "expected": difference[0] or upcoming,
                "got": difference[1],
            }
    got_waiting = sorted(_node(t) for t in candidate.get_tasks(state=TaskState.READY, manual=True))
    if expected_waiting != got_waiting:
        return {
            **result,
            "status": "diverged",
            "step": len(steps),
            "after": _node(triggers[-1]) if triggers else "",
            "decision": str(triggers[-1].data.get("decision") or "") if triggers else "",
            "expected": ", ".join(expected_waiting),
            "got": ", ".join(got_waiting),
        }
    return {**result, "status": "same"}


def definition_dry_run(
    *, spec: dict[str, Any], published: ProcessDefinition, limit: int | None = None
) -> dict[str, Any]:
    """Replay the latest ``limit`` instances of ``published`` on the candidate ``spec``."""
    candidate_spec, subprocess_specs = engine.spec_from_dict(spec)
    instances = (
        ProcessInstance.objects.with_digest()
        .filter(definition=published)
        .order_by("-created_at", "-pk")[: dry_run_cases() if limit is None else limit]
    )
    cases = []
    for instance in instances:
        try:
            cases.append(_replay(instance, candidate_spec, subprocess_specs))
        except (SpiffWorkflowException, ValueError, TypeError, KeyError, AttributeError) as exc:
            cases.append(
                {"instance": instance.pk, "case_no": "", "status": "error", "error": str(exc)[:300]}
            )
    counts = Counter(c["status"] for c in cases)
    return {
        "against_version": published.version,
        "replayed": len(cases),
        "same": counts["same"],
        "diverged": counts["diverged"],
        "errors": counts["error"],
        "cases": cases,
    }
