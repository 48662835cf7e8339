"""The BPMN process engine: SpiffWorkflow behind a small, typed API.

This is the only module that imports SpiffWorkflow (besides its tests and the studio's dry
run, ``studio/dry_run.py``, which replays recorded cases on a candidate version).  It
knows processes, tasks and timers; it knows nothing about cases — the cases
app maps its own steps onto the user tasks returned here.

A process is ``src/tongban/processes/<name>.bpmn`` whose process id is
``<name>``.  Its parsed spec is stored once per content digest in
ProcessDefinition; a ProcessInstance stores only the workflow state, and every
save is an ``UPDATE … WHERE version = <version read>`` so that two people acting
on the same instance cannot both win.
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from tongban.core.errors import Conflict, FieldError, ValidationFailed
from tongban.core.prepared import Param, Prepared, PreparedSave, PreparedUpdate
from tongban.workflow import rollup
from tongban.workflow.choices import DefinitionKind, DefinitionStatus
from tongban.workflow.models import NodeVisit, ProcessDefinition, ProcessInstance

PROCESS_DIR = Path(__file__).resolve().parent.parent / "processes"

#: A process name is a file name under PROCESS_DIR, never a path.
_PROCESS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")

_registry = BpmnWorkflowSerializer.configure()
_serializer = BpmnWorkflowSerializer(registry=_registry)
# A second converter for BpmnWorkflow on the same registry (it re-registers an identical
# one), kept so workflow_restore/_workflow_state can call its pieces with our own spec.
_workflow_converter = BpmnWorkflowConverter(BpmnWorkflow, _registry)

_PENDING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class UserTask:
    id: uuid.UUID
    #: BPMN element id: "accept", "review", "decide", "supplement", "supplement_review".
    name: str
    #: BPMN name, e.g. "受理".
    title: str
    #: Lane name: "clerk" | "reviewer" | "approver" | "applicant".
    lane: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ProcessStep:
    instance: ProcessInstance
    ready: list[UserTask]
    completed: bool
    #: BPMN id of the end event reached, "" while running.
    end_event: str


# --- definitions -------------------------------------------------------------------------------


def _process_path(name: str) -> Path:
    path = PROCESS_DIR / f"{name}.bpmn"
    if not _PROCESS_NAME.match(name) or not path.is_file():
        raise ValidationFailed(
            _("未知的流程：%(name)s") % {"name": name},
            errors=[FieldError("name", _("流程“%(name)s”不存在") % {"name": name})],
        )
    return path


def xml_parser() -> etree.XMLParser:
    """A parser that never resolves entities, loads a DTD or touches the network (per call:
    lxml parsers are not shared between threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@lru_cache(maxsize=1)
def _validator() -> BpmnValidator:
    # Loading the BPMN XSD takes a while; it is only needed when a new version is parsed.
    return BpmnValidator()


def bpmn_schema() -> etree.XMLSchema:
    """The BPMN 2.0 XML schema (loaded once per process)."""
    schema: etree.XMLSchema = _validator().validator
    return schema


@lru_cache(maxsize=4)
def dmn_schema(namespace: str) -> etree.XMLSchema | None:
    """The DMN XML schema of ``namespace`` (DMN 1.2 or 1.3), None for an unknown one."""
    path = DMN_SCHEMAS.get(namespace)
    if path is None:
        return None
    # Spiff's schema imports DMNDI etc. by relative path: parse from the file.
    return etree.XMLSchema(etree.parse(path))


def bpmn_parse(*, name: str, source: bytes) -> tuple[Any, dict[str, Any]]:
    """Parse and validate BPMN source: the spec of process ``name`` and its subprocess specs."""
    parser = BpmnParser(validator=_validator())
    try:
        parser.add_bpmn_xml(etree.fromstring(source, xml_parser()), filename=f"{name}.bpmn")
        return parser.get_spec(name), parser.get_subprocess_specs(name)
    except (SpiffWorkflowException, etree.LxmlError) as exc:
        raise ValidationFailed(
            _("流程文件“%(name)s”无效：%(error)s") % {"name": name, "error": exc}
        ) from exc


#: The columns a case step needs of its definition; the spec and source stay in the database
#: (the spec is restored once per process from its digest, see _spec_restore).
_DEFINITION_HEAD = ("id", "name", "kind", "status", "digest", "version", "published_at")


def _definition_current(
    *, name: str, kind: str, path: Path, store: Callable[[bytes, str], ProcessDefinition]
) -> ProcessDefinition:
    """The latest published version of ``name``, storing the release file first if it is new.

    One query when the file is known (the usual case): the latest published version with,
    alongside, whether the file's digest is stored at all.
    """
    source = path.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    current = _DEFINITION_CURRENT.first(name=name, kind=kind, digest=digest)
    file_status = getattr(current, "file_status", None)  # the annotation
    if current is not None and file_status == DefinitionStatus.PUBLISHED:
        return current
    if current is None or file_status is None:
        store(source, digest)
    else:
        # A release file whose content waits in the studio (or was refused there): the file
        # is reviewed code and publishes it; its audit trail says it came as a release.
        ProcessDefinition.objects.filter(digest=digest).update(
            status=DefinitionStatus.PUBLISHED, published_at=timezone.now()
        )
    return _DEFINITION_CURRENT.first(
        name=name, kind=kind, digest=digest
    ) or ProcessDefinition.objects.only(*_DEFINITION_HEAD).get(digest=digest)


#: Every submit reads its process and credit table in force: compiled once (core/prepared.py).
_DEFINITION_CURRENT: Prepared[ProcessDefinition] = Prepared(
    lambda: (
        ProcessDefinition.objects.filter(
            name=Param("name"), kind=Param("kind"), status=DefinitionStatus.PUBLISHED
        )
        .annotate(
            file_status=Subquery(
                ProcessDefinition.objects.filter(digest=Param("digest")).values("status")[:1]
            )
        )
        .only(*_DEFINITION_HEAD)
        .order_by("-version")[:1]
    )
)


def _release_store(
    *, name: str, kind: str, path: Path, source: bytes, digest: str, spec: dict[str, Any]
) -> ProcessDefinition:
    # A file in the release is reviewed code: it is published the moment it is first seen.
    last = ProcessDefinition.objects.filter(name=name).order_by("-version").first()
    definition, _created = ProcessDefinition.objects.get_or_create(
        digest=digest,
        defaults={
            "name": name,
            "kind": kind,
            "status": DefinitionStatus.PUBLISHED,
            "source_file": str(path.relative_to(PROCESS_DIR.parent)),
            "source": source.decode(),
            "version": (last.version + 1) if last else 1,
            "published_at": timezone.now(),
            "spec": spec,
        },
    )
    return definition


def bpmn_spec(*, name: str, source: bytes) -> dict[str, Any]:
    """The serialized spec (and subprocess specs) of BPMN ``source``, as a definition stores it."""
    spec, subprocess_specs = bpmn_parse(name=name, source=source)
    return {
        "spec": _registry.convert(spec),
        "subprocess_specs": _workflow_converter.mapping_to_dict(subprocess_specs),
    }


def process_definition_get(name: str) -> ProcessDefinition:
    """The version of process ``name`` new cases start on: its latest published version.

    The content of ``processes/<name>.bpmn`` is stored (and published) the first time it is
    seen; a version approved in the studio later takes over until the next changed file.
    Only the head columns are loaded.
    """
    path = _process_path(name)

    def store(source: bytes, digest: str) -> ProcessDefinition:
        return _release_store(
            name=name,
            kind=DefinitionKind.BPMN,
            path=path,
            source=source,
            digest=digest,
            spec=bpmn_spec(name=name, source=source),
        )

    return _definition_current(name=name, kind=DefinitionKind.BPMN, path=path, store=store)


# Safe across requests, threads and processes: a spec is immutable once built, and the key
# is the SHA-256 of the BPMN source, so an entry can never go stale — a changed file has a
# different digest. Each process keeps its own small cache.
@lru_cache(maxsize=32)
def _spec_restore(digest: str) -> tuple[Any, dict[str, Any]]:
    stored = ProcessDefinition.objects.values_list("spec", flat=True).get(digest=digest)
    spec = _registry.restore(stored["spec"])
    subprocess_specs = _workflow_converter.mapping_from_dict(stored["subprocess_specs"])
    return spec, subprocess_specs


def spec_from_dict(stored: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The spec and subprocess specs of a serialized spec (``bpmn_spec``'s result)."""
    stored = copy.deepcopy(stored)  # restoring changes the dict in place
    spec = _registry.restore(stored["spec"])
    subprocess_specs = _workflow_converter.mapping_from_dict(stored["subprocess_specs"])
    return spec, subprocess_specs


def _definition_digest(instance: ProcessInstance) -> str:
    digest: str | None = getattr(instance, "definition_digest", None)  # the manager's annotation
    if digest:
        return digest
    if ProcessInstance.definition.is_cached(instance):
        return instance.definition.digest
    # Only the digest: the spec itself comes from the cache above.
    return ProcessDefinition.objects.values_list("digest", flat=True).get(pk=instance.definition_id)


# --- state ------------------------------------------------------------------------------------


def _in_tree_order(workflow_dct: dict[str, Any]) -> dict[str, Any]:
    """A copy of a serialized (sub)workflow whose tasks come parents first.

    SpiffWorkflow restores a task's data as a delta on its parent's, looking the parent up
    among the tasks restored so far, so it relies on the key order of ``tasks``. PostgreSQL's
    jsonb does not keep key order; without this, data silently goes missing there.
    """
    tasks = workflow_dct["tasks"]
    ordered: dict[str, Any] = {}
    pending = [workflow_dct["root"]]
    while pending:
        task_id = pending.pop()
        if task_id in tasks and task_id not in ordered:
            ordered[task_id] = tasks[task_id]
            pending.extend(reversed(tasks[task_id]["children"]))
    for task_id, task in tasks.items():  # unreachable ones, if any, keep their place last
        ordered.setdefault(task_id, task)
    return {**workflow_dct, "tasks": ordered}


def workflow_restore(instance: ProcessInstance) -> BpmnWorkflow:
    """Rebuild the workflow of ``instance`` on top of its (cached) spec.

    This mirrors BpmnWorkflowConverter.from_dict, which insists on restoring the spec from
    the same dict every time. Our spec lives once in ProcessDefinition and is restored once
    per process (the LRU above), so we build the workflow around the ready spec object and
    restore only the state. If a SpiffWorkflow upgrade changes the serializer version, we
    take the library's own path (spec + state, migrated) instead.
    """
    digest = _definition_digest(instance)
    state = instance.state
    if state.get(_serializer.VERSION_KEY) != _serializer.VERSION:
        stored = ProcessDefinition.objects.values_list("spec", flat=True).get(digest=digest)
        # The library's migrations change the dict in place: work on a deep copy.
        state = copy.deepcopy(state)
        full = {**_in_tree_order(state), **stored}
        full["subprocesses"] = {k: _in_tree_order(v) for k, v in state["subprocesses"].items()}
        full.setdefault(_serializer.VERSION_KEY, "1.0")
        _serializer.migrate(full)
        return _serializer.from_dict(full)

    spec, subprocess_specs = _spec_restore(digest)
    # A copy: the converter pops keys, and instance.state must stay as loaded.
    dct = _in_tree_order(state)
    converter = _workflow_converter
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    workflow.tasks = converter.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
    converter.set_default_attributes(workflow, dct)
    subprocesses = {k: _in_tree_order(v) for k, v in dct["subprocesses"].items()}
    converter.subprocesses_from_dict(subprocesses, workflow)
    workflow.bpmn_events = _registry.restore(dct.get("bpmn_events", []))
    return workflow


#: Workflows this process saved last, kept after their transaction committed, by
#: (database, instance, version, saved at, spec digest): the next change of the same instance
#: goes on from the object instead of restoring every task (a joint review has one per
#: department) from the stored state. An entry is taken out when used, so a change that
#: fails never leaves a half-changed workflow behind; a version saved elsewhere simply
#: misses. Per process and small: a miss costs one restore.
_RECENT_MAX = 32
_recent: OrderedDict[tuple[Any, ...], BpmnWorkflow] = OrderedDict()
_recent_lock = threading.Lock()


def _recent_key(instance: ProcessInstance) -> tuple[Any, ...]:
    return (
        instance._state.db,
        instance.pk,
        instance.version,
        instance.updated_at,
        _definition_digest(instance),
    )


def _workflow_to_change(instance: ProcessInstance) -> BpmnWorkflow:
    """The workflow of ``instance`` to change and save: kept from its last save here, or
    restored from its stored state."""
    # Read the digest once (the manager's annotation when loaded with_digest()): the key,
    # the restore and the keeping after the save all need it.
    instance.definition_digest = _definition_digest(instance)  # type: ignore[attr-defined]
    with _recent_lock:
        workflow = _recent.pop(_recent_key(instance), None)
    return workflow if workflow is not None else workflow_restore(instance)


def _recent_keep(instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Keep the just-saved ``workflow`` for the next change, once its transaction commits."""
    key = _recent_key(instance)

    def keep() -> None:
        with _recent_lock:
            _recent[key] = workflow
            _recent.move_to_end(key)
            while len(_recent) > _RECENT_MAX:
                _recent.popitem(last=False)

    transaction.on_commit(keep)


def _workflow_state(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The serializer's to_dict minus 'spec'/'subprocess_specs' (never even converted)."""
    dct: dict[str, Any] = {
        "data": _registry.convert(_registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _tasks_state(workflow.tasks),
        "root": str(workflow.task_tree.id),
    }
    dct["subprocesses"] = _workflow_converter.mapping_to_dict(workflow.subprocesses)
    dct["bpmn_events"] = _registry.convert(workflow.bpmn_events)
    dct["typename"] = _registry.typenames[BpmnWorkflow]
    dct[_serializer.VERSION_KEY] = _serializer.VERSION
    return dct


#: Values the serializer's registry leaves as they are.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _tasks_state(tasks: dict[uuid.UUID, Any]) -> dict[str, Any]:
    """What the serializer's ``mapping_to_dict(workflow.tasks)`` makes of the tasks, made here.

    The same dictionaries as SpiffWorkflow's ``TaskConverter.to_dict`` (a task's data stored
    as its changes against its parent's), built without the registry's dispatch and with
    each parent looked up once: every step stores every task, and a joint review has one a
    reviewing department (ADR 0006, round-10 addendum). ``test_engine`` holds it equal to the
    library's conversion.
    """
    convert = _registry.convert
    typenames = _registry.typenames
    out: dict[str, Any] = {}
    for task_id, task in tasks.items():
        parent_id = task._parent
        parent = tasks.get(parent_id) if parent_id is not None else None
        data = task.data
        if parent is None:
            stored, delta = data, {}
        else:
            above = parent.data
            stored = {}
            delta = {
                "updates": {k: data[k] for k in data if k not in above or data[k] != above[k]},
                "deletions": [k for k in above if k not in data],
            }
        internal = task.internal_data
        # A multi-instance child's index, a fired flag: plain values the registry would give
        # back as they are.
        plain = all(type(value) in _PLAIN for value in internal.values())
        internal = dict(internal) if plain else convert(internal)
        key = str(task_id)
        out[key] = {
            "id": key,
            "parent": str(parent_id) if parent is not None else None,
            "children": [str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": internal,
            "data": stored,
            "delta": delta,
            "typename": typenames[task.__class__],
        }
    return out


def _timer_fire_at(task: Any) -> datetime | None:
    definition = task.task_spec.event_definition
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        return datetime.fromisoformat(value["next"])
    if isinstance(definition, DurationTimerEventDefinition):
        return TimerEventDefinition.get_datetime(value)
    if isinstance(definition, TimeDateEventDefinition):
        when = TimerEventDefinition.parse_time_or_duration(value)
        return when if isinstance(when, datetime) else None
    return None


def _tasks_in(workflow: BpmnWorkflow, state: int) -> Iterator[Any]:
    """The tasks of ``workflow`` and of its subprocesses whose state is in the mask ``state``.

    What ``workflow.get_tasks(state=…)`` finds, read from the workflow's task dictionaries
    (creation order) instead of a walk of the task tree, which costs several calls a task:
    a joint review has one task a reviewing department, and every step looks at all of them
    several times (ADR 0006, round-10 addendum).
    """
    for tasks in (workflow.tasks, *(sub.tasks for sub in workflow.subprocesses.values())):
        for task in tasks.values():
            if task.state & state:
                yield task


def _next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    times = [
        when
        for task in _tasks_in(workflow, TaskState.WAITING)
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
        and (when := _timer_fire_at(task)) is not None
    ]
    return min(times, default=None)


def end_event_of(workflow: BpmnWorkflow) -> str:
    reached = workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent)
    if not reached:
        return ""
    return str(max(reached, key=lambda t: t.last_state_change).task_spec.bpmn_id)


def _user_task(task: Any) -> UserTask:
    spec = task.task_spec
    return UserTask(
        id=task.id,
        name=spec.bpmn_id,
        title=spec.bpmn_name or spec.bpmn_id,
        lane=spec.lane or "",
        data=dict(task.data),
    )


def _ready(workflow: BpmnWorkflow) -> list[UserTask]:
    return [_user_task(t) for t in _tasks_in(workflow, TaskState.READY) if t.task_spec.manual]


def _step(instance: ProcessInstance, workflow: BpmnWorkflow) -> ProcessStep:
    return ProcessStep(
        instance=instance,
        ready=_ready(workflow),
        completed=instance.completed,
        end_event=instance.end_event,
    )


def _instance_field(name: str) -> Any:
    return ProcessInstance._meta.get_field(name)


#: Every step saves its state under the optimistic lock: compiled once (core/prepared.py).
#: The base manager: a plain UPDATE, without the digest join of the default manager.
_STATE_SAVE = PreparedUpdate(
    lambda: (
        ProcessInstance._base_manager.filter(
            pk=Param("pk", ProcessInstance._meta.pk),
            version=Param("version", _instance_field("version")),
        ),
        {
            "state": Param("state", _instance_field("state")),
            "version": F("version") + 1,
            "completed": Param("completed", _instance_field("completed")),
            "end_event": Param("end_event", _instance_field("end_event")),
            "next_timer_at": Param("next_timer_at", _instance_field("next_timer_at")),
            "updated_at": Param("now", _instance_field("updated_at")),
        },
    )
)


def _save(
    instance: ProcessInstance, workflow: BpmnWorkflow, *, state: dict[str, Any] | None = None
) -> None:
    state = _workflow_state(workflow) if state is None else state
    completed = bool(workflow.completed)
    end_event = end_event_of(workflow) if completed else ""
    next_timer_at = None if completed else _next_timer_at(workflow)
    now = timezone.now()
    # The optimistic lock: whoever saved since we read bumped the version, and we lose.
    updated = _STATE_SAVE.run(
        pk=instance.pk,
        version=instance.version,
        state=state,
        completed=completed,
        end_event=end_event,
        next_timer_at=next_timer_at,
        now=now,
    )
    if updated == 0:
        raise Conflict(_("办件已被他人处理，请刷新后重试"))
    _visits_record(instance, workflow, instance.state)
    instance.state = state
    instance.version += 1
    instance.completed = completed
    instance.end_event = end_event
    instance.next_timer_at = next_timer_at
    instance.updated_at = now


# --- the recorded path (NodeVisit) -------------------------------------------------------------

#: States in which a task has been reached: waiting on a timer or message, ready, running, done.
_REACHED = (
    TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR
)
_LEFT = TaskState.COMPLETED | TaskState.CANCELLED


def node_task(task: Any) -> bool:
    """A task that stands for a BPMN node a case passes (not an engine-internal one).

    The parent of a multi-instance node's instances is left out: its instances are the visits.
    """
    spec = task.task_spec
    return bool(getattr(spec, "bpmn_id", None)) and not isinstance(spec, MultiInstanceTask)


def _from_node(task: Any) -> str:
    parent = task.parent
    while parent is not None and not node_task(parent):
        parent = parent.parent
    return str(parent.task_spec.bpmn_id) if parent is not None else ""


def _visit_department(task: Any) -> str:
    """The reviewing department of one instance of a multi-instance node ("" otherwise)."""
    if getattr(task.task_spec, "name", "").endswith("[child]"):
        return str(task.data.get("department") or "")[:40]
    return ""


def _visits_record(
    instance: ProcessInstance, workflow: BpmnWorkflow, before: dict[str, Any] | None
) -> None:
    """Record the nodes reached and left since ``before`` (the stored state; None at start)."""
    old_tasks: dict[str, Any] = (before or {}).get("tasks", {})
    now = timezone.now()
    reached: list[NodeVisit] = []
    left: list[uuid.UUID] = []
    #: Left because the path went elsewhere (a boundary timer that did not fire).
    cancelled: list[uuid.UUID] = []
    for task in _tasks_in(workflow, TaskState.ANY_MASK):
        if not node_task(task):
            continue
        old = old_tasks.get(str(task.id))
        was_reached = old is not None and bool(old["state"] & _REACHED)
        was_left = old is not None and bool(old["state"] & _LEFT)
        if not was_reached and task.state & _REACHED:
            done = bool(task.state & _LEFT)
            reached.append(
                NodeVisit(
                    instance=instance,
                    definition_id=instance.definition_id,
                    task_id=task.id,
                    node=task.task_spec.bpmn_id,
                    node_type=type(task.task_spec).__name__,
                    from_node=_from_node(task),
                    lane=task.task_spec.lane or "",
                    department=_visit_department(task),
                    entered_at=now,
                    left_at=now if done else None,
                    cancelled=bool(task.state & TaskState.CANCELLED),
                )
            )
        elif was_reached and not was_left and task.state & _LEFT:
            (cancelled if task.state & TaskState.CANCELLED else left).append(task.id)
    days: Counter[rollup.DayKey] = Counter()
    if reached:
        _VISIT_SAVE.bulk_create(reached)
        days = rollup.visit_days_of(reached, department=instance.department)
    if left:
        _visits_leave(instance, left, now, days=days)
    if cancelled:
        _visits_leave(instance, cancelled, now, cancelled=True)
    # The heat map's daily rollup, in this same transaction (workflow.rollup).
    rollup.visit_days_add(days)


def _visits_leave(
    instance: ProcessInstance,
    task_ids: list[uuid.UUID],
    now: datetime,
    *,
    cancelled: bool = False,
    days: Counter[rollup.DayKey] | None = None,
) -> None:
    if days is None:
        # One compiled UPDATE per node left (a step leaves one or two; a list would need a
        # new statement for each length).
        for task_id in task_ids:
            _VISIT_LEAVE.run(instance=instance.pk, task=task_id, now=now, cancelled=cancelled)
        return
    # What the rollup counts of a visit leaving (its node, flow, department and day reached)
    # comes back from the UPDATE itself.
    today = rollup.shanghai_day(now)
    for task_id in task_ids:
        for node, from_node, department, entered_at in _VISIT_LEAVE.rows(
            instance=instance.pk, task=task_id, now=now, cancelled=cancelled
        ):
            days[
                rollup.DayKey(
                    instance.definition_id,
                    node,
                    from_node,
                    department or instance.department,
                    rollup.shanghai_day(entered_at),
                    today,
                )
            ] += 1


#: The writes of the recorded path, compiled once (core/prepared.py).
_INSTANCE_SAVE = PreparedSave(ProcessInstance)
_VISIT_SAVE = PreparedSave(NodeVisit)
_VISIT_LEAVE = PreparedUpdate(
    lambda: (
        NodeVisit.objects.filter(
            instance_id=Param("instance", ProcessInstance._meta.pk),
            task_id=Param("task", NodeVisit._meta.get_field("task_id")),
            left_at__isnull=True,
        ),
        {
            "left_at": Param("now", NodeVisit._meta.get_field("left_at")),
            "cancelled": Param("cancelled", NodeVisit._meta.get_field("cancelled")),
        },
    ),
    returning=("node", "from_node", "department", "entered_at"),
)


@contextmanager
def _refusing_bad_data() -> Iterator[None]:
    # A missing variable in a gateway condition or a timer value that is not an ISO datetime
    # is the caller's input error, not a crash: it becomes a 422 and nothing is saved.
    # (SpiffWorkflow lets the parse errors of timer values through as plain Python errors.)
    try:
        yield
    except (SpiffWorkflowException, ValueError, TypeError, AttributeError) as exc:
        raise ValidationFailed(_("流程无法继续：%(error)s") % {"error": exc}) from exc


def _run_engine(workflow: BpmnWorkflow) -> None:
    with _refusing_bad_data():
        # do_engine_steps refreshes timers only after its last step, leaving a due timer
        # READY but not run; refreshing first lets its path run in the same step.
        workflow.refresh_timers()
        workflow.do_engine_steps()


# --- the API ----------------------------------------------------------------------------------


@transaction.atomic
def process_start(*, name: str, data: dict[str, Any], department: str = "") -> ProcessStep:
    """Start process ``name`` with ``data`` as its variables and save the new instance.

    ``department``: the code of the department it runs for (the heat map counts its visits
    there, workflow.rollup).
    """
    definition = process_definition_get(name)
    spec, subprocess_specs = _spec_restore(definition.digest)
    workflow = BpmnWorkflow(spec, subprocess_specs)
    # Variables go on the start task so that every later task inherits them.
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    _run_engine(workflow)
    completed = bool(workflow.completed)
    instance = _INSTANCE_SAVE.create(
        definition=definition,
        state=_workflow_state(workflow),
        completed=completed,
        end_event=end_event_of(workflow) if completed else "",
        next_timer_at=None if completed else _next_timer_at(workflow),
        department=department[:40],
    )
    _visits_record(instance, workflow, None)
    return _step(instance, workflow)


def process_complete_task(
    *, instance: ProcessInstance, task_id: uuid.UUID, data: dict[str, Any]
) -> ProcessStep:
    """Complete the ready user task ``task_id`` with ``data`` merged into its data, and save."""
    workflow = _workflow_to_change(instance)
    task = workflow.tasks.get(task_id)
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise Conflict(_("该环节已处理或不存在"))
    task.data.update(data)
    with _refusing_bad_data():
        task.run()
    _run_engine(workflow)
    # One UPDATE statement: atomic on its own, and the caller's transaction wraps it anyway.
    _save(instance, workflow)
    _recent_keep(instance, workflow)
    return _step(instance, workflow)


def process_refresh_timers(*, instance: ProcessInstance) -> ProcessStep:
    """Fire the timers of ``instance`` that are due; saves only if something changed."""
    workflow = workflow_restore(instance)
    _run_engine(workflow)
    state = _workflow_state(workflow)
    # Nothing due, nothing written: the sweep then never bumps a version under someone's feet.
    if state != instance.state:
        _save(instance, workflow, state=state)
    return _step(instance, workflow)


def process_ready_tasks(*, instance: ProcessInstance) -> list[UserTask]:
    """Every ready user task of ``instance``."""
    return _ready(workflow_restore(instance))


def process_set_data(*, instance: ProcessInstance, data: dict[str, Any]) -> ProcessInstance:
    """Set process variables on every pending task (e.g. a new acceptance_deadline); save.

    Timers that wait are re-evaluated against the new values, so next_timer_at follows a
    changed deadline; they fire on the next process_refresh_timers, not here.
    """
    workflow = workflow_restore(instance)
    for task in workflow.get_tasks(state=_PENDING):
        task.data.update(data)
        definition = getattr(task.task_spec, "event_definition", None)
        if task.state == TaskState.WAITING and isinstance(definition, TimeDateEventDefinition):
            # SpiffWorkflow evaluates a timer's expression once and keeps the value; without
            # this a changed deadline would be ignored.
            with _refusing_bad_data():
                value = workflow.script_engine.evaluate(task, definition.expression)
                TimerEventDefinition.parse_time_or_duration(value)
            task._set_internal_data(event_value=value)
    _save(instance, workflow)
    return instance


# --- decisions (DMN) ---------------------------------------------------------------------------


def _decision_path(name: str) -> Path:
    path = PROCESS_DIR / f"{name}.dmn"
    if not _PROCESS_NAME.match(name) or not path.is_file():
        raise ValidationFailed(
            _("未知的决策表：%(name)s") % {"name": name},
            errors=[FieldError("name", _("决策表“%(name)s”不存在") % {"name": name})],
        )
    return path


def dmn_parse(*, name: str, source: bytes) -> Any:
    """Parse and validate DMN source (against the DMN XSD): the parser of decision ``name``."""
    parser = BpmnDmnParser(validator=_validator())
    try:
        parser.add_dmn_xml(etree.fromstring(source, xml_parser()), filename=f"{name}.dmn")
        dmn_parser = parser.dmn_parsers[name]
        dmn_parser.parse()
    except (SpiffWorkflowException, etree.LxmlError, KeyError) as exc:
        raise ValidationFailed(
            _("决策表“%(name)s”无效：%(error)s") % {"name": name, "error": exc}
        ) from exc
    return dmn_parser


# Keyed by the SHA-256 of the DMN source like the process specs: a new version is a new key,
# so a cached table never goes stale, and each process parses a version once.
@lru_cache(maxsize=16)
def _decision_engine(name: str, digest: str) -> DMNEngine:
    source = ProcessDefinition.objects.values_list("source", flat=True).get(digest=digest)
    dmn_parser = dmn_parse(name=name, source=source.encode())
    return DMNEngine(dmn_parser.decision.decisionTables[0])


def decision_definition_get(name: str) -> ProcessDefinition:
    """The version of decision table ``name`` in force: its latest published version.

    Stored and published from ``processes/<name>.dmn`` the first time that content is seen.
    """
    path = _decision_path(name)

    def store(source: bytes, digest: str) -> ProcessDefinition:
        dmn_parse(name=name, source=source)
        return _release_store(
            name=name, kind=DefinitionKind.DMN, path=path, source=source, digest=digest, spec={}
        )

    return _definition_current(name=name, kind=DefinitionKind.DMN, path=path, store=store)


class _DecisionWorkflow:
    """What the DMN engine needs of a workflow: a script engine."""

    script_engine = PythonScriptEngine()


class _DecisionTask:
    """What the DMN engine needs of a task: its data (the decision's context) and workflow."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.workflow = _DecisionWorkflow()
        self.task_spec = None


def decision_evaluate(*, name: str, context: dict[str, Any]) -> dict[str, Any]:
    """Evaluate the published version of decision table ``name`` (id ``name``) on ``context``.

    Returns the outputs of the matching rule by output name ({} when no rule matches).
    """
    engine = _decision_engine(name, decision_definition_get(name).digest)
    with _refusing_bad_data():
        return dict(engine.result(_DecisionTask(dict(context))))


# --- the recorded path of instances started before it was recorded ----------------------------


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@transaction.atomic
def visits_backfill(*, instance: ProcessInstance) -> int:
    """Record the path of an instance that has none, from its stored SpiffWorkflow state.

    For instances started before the path was recorded. Each task keeps the time of its last
    state change: a node was left then (if it was), and reached when the task before it
    changed last (when that one completed). A task cancelled after its parent completed was
    reached and left because the path went elsewhere (a timer that did not fire, or the task
    a timer interrupted). Idempotent: an instance that has visits is left alone, and a row
    written meanwhile by another run is not written twice. Returns the rows written.
    """
    # Two runs on one instance wait for each other here, so the rows and their rollup counts
    # are written once.
    ProcessInstance.objects.select_for_update().filter(pk=instance.pk).values_list("pk").first()
    if NodeVisit.objects.filter(instance=instance).exists():
        return 0
    workflow = workflow_restore(instance)
    rows: list[NodeVisit] = []
    for task in workflow.get_tasks():
        if not node_task(task):
            continue
        parent = task.parent
        cancelled = bool(task.state & TaskState.CANCELLED)
        if cancelled:
            if parent is None or not parent.state & TaskState.COMPLETED:
                continue
        elif not task.state & _REACHED:
            continue
        left_at = _moment(task.last_state_change) if task.state & _LEFT else None
        entered_at = _moment(parent.last_state_change) if parent is not None else left_at
        if entered_at is None:
            entered_at = _moment(task.last_state_change)
        if left_at is not None and entered_at > left_at:
            entered_at = left_at
        rows.append(
            NodeVisit(
                instance=instance,
                definition_id=instance.definition_id,
                task_id=task.id,
                node=task.task_spec.bpmn_id,
                node_type=type(task.task_spec).__name__,
                from_node=_from_node(task),
                lane=task.task_spec.lane or "",
                department=_visit_department(task),
                entered_at=entered_at,
                left_at=left_at,
                cancelled=cancelled,
            )
        )
    NodeVisit.objects.bulk_create(rows, ignore_conflicts=True)
    days = rollup.visit_days_of(rows, department=instance.department)
    rollup.visit_days_add(days)
    return len(rows)
