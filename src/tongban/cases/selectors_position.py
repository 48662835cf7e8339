"""Where a case stands on its process diagram: the one rule that turns the recorded path
(``workflow.NodeVisit``) and the case's tasks into a position, for the API and both pages.

* **done**: the nodes the case passed (a loop back passes a node again: each pass is a step),
  with when it reached and left them, the department, and for staff who completed the task
  and what they decided;
* **current**: the nodes it waits at now, with the due date and the SLA colour (a joint
  review's department has its own due date);
* **flows**: the sequence flows taken, resolved from (came from, reached) through the XML;
* **not reached**: every other node and flow of the diagram (the paths not taken).

An interrupting boundary timer waits beside its task from the moment the task is reached; it
is a step only once it fired (something came from it). The applicant sees the same path with
no staff names and no internal decisions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongban.cases.choices import Decision, SlaState, SupplementState, TaskKind, TaskState
from tongban.cases.models import Case, SupplementRequest, Task
from tongban.cases.rules import case_guide
from tongban.cases.selectors import case_get_for_user, user_is_staff_on_case
from tongban.cases.services.joint_review import ENGINE_TASK as JOINT_REVIEW_NODE
from tongban.cases.services.sla import case_sla_state, shanghai_date
from tongban.catalog.models import Department, localized
from tongban.core.errors import NotFound
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.diagram import Diagram, diagram_read, label_pair, node_label
from tongban.workflow.models import NodeVisit, ProcessDefinition, ProcessInstance

#: The largest key a case can have (PostgreSQL bigint): larger ones are not looked up.
MAX_ID = 2**63 - 1
#: The lane of the applicant's own steps (补正): the clock stops while the case waits there.
APPLICANT_LANE = "applicant"
#: Node types the text list of steps leaves out (the diagram still shows them).
UNLISTED_TYPES = ("ExclusiveGateway", "ParallelGateway", "InclusiveGateway", "ScriptTask")

#: Marker classes the diagram viewer applies (portal/static/portal/js/diagram.js).
MARK_DONE = "done"
MARK_CURRENT = "current"
MARK_WARNING = "current-warning"
MARK_OVERDUE = "current-overdue"
MARK_NOT_TAKEN = "not-taken"
_SLA_MARK: dict[str, str] = {SlaState.WARNING: MARK_WARNING, SlaState.OVERDUE: MARK_OVERDUE}
_MARK_RANK = {MARK_DONE: 0, MARK_CURRENT: 1, MARK_WARNING: 2, MARK_OVERDUE: 3}


@dataclass(frozen=True)
class PositionStep:
    """One pass of the case through one node."""

    node: str
    #: In the reader's language; ``name_zh``/``name_en`` both.
    name: str
    name_zh: str
    name_en: str
    type: str
    lane: str
    #: "done" or "current".
    state: str
    entered_at: datetime
    left_at: datetime | None
    #: The sequence flow the case came by (None for the start, or a timer's own path).
    flow: str | None
    department: str
    department_name: str
    #: Staff only: who completed the task, and the decision (None for the applicant).
    by: str | None
    decision: str | None
    decision_label: str | None
    due_date: date | None
    #: SlaState of a current node ("" when done).
    sla: str
    listed: bool

    @property
    def at(self) -> datetime:
        """When it was left (done) or reached (current)."""
        return self.left_at or self.entered_at


@dataclass(frozen=True)
class Position:
    process: str
    #: None before the case has a process (a draft, a theme's parent).
    version: int | None
    #: False for a case whose path was never recorded (started before the recording, and not
    #: backfilled yet: ``tongban visits backfill``).
    recorded: bool
    as_staff: bool
    #: The process's name in the reader's language.
    title: str = ""
    done: list[PositionStep] = field(default_factory=list)
    current: list[PositionStep] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)
    not_reached: list[dict[str, str]] = field(default_factory=list)
    flows_not_taken: list[str] = field(default_factory=list)
    #: Node id → marker class for the diagram.
    markers: dict[str, str] = field(default_factory=dict)
    #: Node id → a short text shown on the diagram (a joint review's "3/11").
    overlays: dict[str, str] = field(default_factory=dict)
    #: One row per department of a joint review (each instance of its review node).
    departments: list[PositionStep] = field(default_factory=list)
    completed: bool = False
    end_event: str = ""

    @property
    def steps(self) -> list[PositionStep]:
        """The text alternative: every listed step, in the order the case reached them."""
        return sorted(
            (s for s in [*self.done, *self.current] if s.listed),
            key=lambda s: (s.entered_at, s.state == "current"),
        )


#: Parsed diagrams by the version's content digest: a stored version's XML never changes, so
#: the XML is read from its row and parsed once per process, not on every request.
_DIAGRAMS: dict[str, Diagram] = {}
_DIAGRAMS_MAX = 64


def _diagram(definition_id: int, digest: str) -> Diagram:
    diagram = _DIAGRAMS.get(digest)
    if diagram is None:
        source = ProcessDefinition.objects.values_list("source", flat=True).get(pk=definition_id)
        diagram = diagram_read(source)
        if len(_DIAGRAMS) >= _DIAGRAMS_MAX:
            _DIAGRAMS.clear()  # many versions is rare: start again rather than track use
        _DIAGRAMS[digest] = diagram
    return diagram


def _flow_in(diagram: Diagram, visit: NodeVisit, reached: set[str]) -> str | None:
    """The sequence flow a visit came by.

    The engine records the node the path came from; a multi-instance node's own pass is not
    a visit (its instances are), so the node after it names the node before it. Then the one
    incoming flow from a node the case reached is the flow taken.
    """
    flow = diagram.flow_between(visit.from_node, visit.node)
    if flow is not None:
        return flow
    incoming = [f.id for f in diagram.flows if f.target == visit.node and f.source in reached]
    return incoming[0] if len(incoming) == 1 else None


def _person(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


def _task_sla(task: Task, case_sla: str, today: date) -> str:
    # ``open_supplement`` is annotated by case_position (no query per task).
    if getattr(task, "open_supplement", False):
        return SlaState.SUSPENDED
    if task.kind == TaskKind.JOINT_REVIEW and task.due_date is not None:
        # A reviewing department runs on its own due date, not the case's.
        if today > task.due_date:
            return SlaState.OVERDUE
        return SlaState.WARNING if today == task.due_date else SlaState.NORMAL
    return case_sla


def sees_unpublished_processes(*, user: User) -> bool:
    """Center admins also see process versions not published yet (the studio's candidates)."""
    return StaffRole.CENTER_ADMIN in identity_selectors.user_roles(user=user)


def position_for(*, user: User, case_id: int) -> Position:
    """The position of a case the caller may see (404 otherwise, as for the case)."""
    if not 0 < case_id <= MAX_ID:
        raise NotFound(_("办件不存在"))
    case = case_get_for_user(user=user, case_id=case_id)
    return case_position(user=user, case=case)


def case_position(*, user: User, case: Case, today: date | None = None) -> Position:
    """The position of ``case``; the caller has been let see it (case_get_for_user)."""
    as_staff = case.applicant_user_id != user.pk and user_is_staff_on_case(user=user, case=case)
    if case.process_id is None:
        return Position(
            process=str(case_guide(case).get("process") or ""),
            version=None,
            recorded=False,
            as_staff=as_staff,
        )
    # One query for the instance's end state and its version (never the XML, nor the
    # instance's serialised workflow state).
    instance = (
        ProcessInstance.objects.filter(pk=case.process_id)
        .select_related("definition")
        .only(
            "completed",
            "end_event",
            "definition__name",
            "definition__version",
            "definition__digest",
        )
        .get()
    )
    definition = instance.definition
    instance_state = {"completed": instance.completed, "end_event": instance.end_event}
    diagram = _diagram(definition.pk, definition.digest)
    visits = list(
        NodeVisit.objects.filter(instance_id=case.process_id).order_by("entered_at", "pk")
    )
    if not visits:
        # Started before paths were recorded and not backfilled yet: the diagram, no markers.
        return Position(
            process=definition.name,
            version=definition.version,
            recorded=False,
            as_staff=as_staff,
            title=node_label(diagram.title, definition.name),
            completed=bool(instance_state["completed"]),
            end_event=str(instance_state["end_event"]),
        )
    tasks = {
        t.engine_task_id: t
        for t in Task.objects.filter(case=case, engine_task_id__in=[v.task_id for v in visits])
        .select_related("department", "completed_by")
        .annotate(
            open_supplement=Exists(
                SupplementRequest.objects.filter(task=OuterRef("pk"), state=SupplementState.OPEN)
            )
        )
    }
    departments = {
        d.code: d
        for d in Department.objects.filter(code__in={v.department for v in visits if v.department})
    }
    today = today or shanghai_date(timezone.now())
    waiting_staff = any(v.left_at is None and v.lane != APPLICANT_LANE for v in visits)
    case_sla = case_sla_state(case=case, today=today) if waiting_staff else ""
    fired = {v.from_node for v in visits}
    decisions = dict(Decision.choices)

    done: list[PositionStep] = []
    current: list[PositionStep] = []
    reached: set[str] = set()
    flows: list[str] = []
    for visit in visits:
        if visit.node_type == "BoundaryEvent" and visit.node not in fired:
            # A timer armed beside its task, which did not (or not yet) fire: a path not taken.
            continue
        reached.add(visit.node)
        task = tasks.get(visit.task_id)
        if visit.cancelled or (task is not None and task.state == TaskState.CANCELLED):
            # Left because the path went elsewhere (e.g. the acceptance timer fired).
            continue
        flow = _flow_in(diagram, visit, reached) if visit.from_node else None
        if flow and flow not in flows:
            flows.append(flow)
        node = diagram.nodes.get(visit.node)
        raw_name = node.name if node is not None else ""
        name_zh, name_en = label_pair(raw_name, visit.node)
        department = departments.get(visit.department) if visit.department else None
        if department is None and task is not None:
            department = task.department
        waiting = visit.left_at is None
        if not waiting:
            sla = ""
        elif visit.lane == APPLICANT_LANE:
            sla = SlaState.SUSPENDED
        elif task is not None:
            sla = _task_sla(task, case_sla, today)
        else:
            sla = case_sla
        due = None
        if task is not None:
            due = task.due_date
        elif waiting and visit.lane != APPLICANT_LANE:
            due = case.due_date
        decision = task.decision if (task is not None and as_staff and task.decision) else None
        step = PositionStep(
            node=visit.node,
            name=node_label(raw_name, visit.node),
            name_zh=name_zh,
            name_en=name_en,
            type=visit.node_type,
            lane=visit.lane,
            state="current" if waiting else "done",
            entered_at=visit.entered_at,
            left_at=visit.left_at,
            flow=flow,
            department=department.code if department is not None else "",
            department_name=localized(department, "name") if department is not None else "",
            by=_person(task.completed_by) if (task is not None and as_staff) else None,
            decision=decision,
            decision_label=str(decisions.get(decision, decision)) if decision else None,
            due_date=due,
            sla=sla,
            listed=visit.node_type not in UNLISTED_TYPES,
        )
        (current if waiting else done).append(step)

    markers = {s.node: MARK_DONE for s in done}
    for step in current:
        mark = _SLA_MARK.get(step.sla, MARK_CURRENT)
        # The worst colour wins when several instances (departments) wait at one node.
        if _MARK_RANK.get(mark, 0) >= _MARK_RANK.get(markers.get(step.node, ""), 0):
            markers[step.node] = mark
    not_reached = [
        {"node": n.id, "name": node_label(n.name, n.id), "type": n.type}
        for n in diagram.nodes.values()
        if n.id not in reached
    ]
    for item in not_reached:
        markers[item["node"]] = MARK_NOT_TAKEN

    joint = [s for s in [*done, *current] if s.node == JOINT_REVIEW_NODE and s.department]
    overlays: dict[str, str] = {}
    if joint:
        finished = sum(1 for s in joint if s.state == "done")
        overlays[JOINT_REVIEW_NODE] = f"{finished}/{len(joint)}"
    return Position(
        process=definition.name,
        version=definition.version,
        recorded=bool(visits),
        as_staff=as_staff,
        title=node_label(diagram.title, definition.name),
        done=done,
        current=current,
        flows=flows,
        not_reached=not_reached,
        flows_not_taken=[f.id for f in diagram.flows if f.id not in flows],
        markers=markers,
        overlays=overlays,
        departments=sorted(joint, key=lambda s: (s.state != "current", s.department_name)),
        completed=bool(instance_state["completed"]),
        end_event=str(instance_state["end_event"]),
    )


def position_out(position: Position) -> dict[str, Any]:
    """The position as the API and the diagram's JSON give it."""

    def step(s: PositionStep) -> dict[str, Any]:
        return {
            "node": s.node,
            "name": s.name,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "type": s.type,
            "lane": s.lane,
            "state": s.state,
            "at": s.at,
            "entered_at": s.entered_at,
            "left_at": s.left_at,
            "flow": s.flow,
            "department": s.department or None,
            "department_name": s.department_name or None,
            "by": s.by,
            "decision": s.decision,
            "decision_label": s.decision_label,
            "due_date": s.due_date,
            "sla": s.sla or None,
        }

    return {
        "process": position.process,
        "version": position.version,
        "title": position.title,
        "recorded": position.recorded,
        "completed": position.completed,
        "end_event": position.end_event or None,
        "done": [step(s) for s in position.done],
        "current": [step(s) for s in position.current],
        "steps": [step(s) for s in position.steps],
        "departments": [step(s) for s in position.departments],
        "flows": position.flows,
        "not_reached": position.not_reached,
        "flows_not_taken": position.flows_not_taken,
        "markers": position.markers,
        "overlays": position.overlays,
    }


def position_page_context(*, user: User, case: Case) -> dict[str, Any]:
    """What ``portal/_position.html`` needs (the staff case page and the applicant's); nothing
    for a case without a process yet.

    In a language other than Chinese, the diagram (whose file carries Chinese names) gets the
    translated name under each node.
    """
    if case.process_id is None:
        return {}
    position = case_position(user=user, case=case)
    labels = ""
    if not (translation.get_language() or "zh").startswith("zh"):
        names = {n["node"]: n["name"] for n in position.not_reached}
        names.update({s.node: s.name for s in [*position.done, *position.current]})
        labels = json.dumps(names, ensure_ascii=False)
    return {
        "position": position,
        "position_title": position.title,
        "position_xml_url": reverse(
            "api:process_version", kwargs={"name": position.process, "version": position.version}
        ),
        "position_json_url": reverse("api:application_position", kwargs={"case_id": case.pk}),
        "position_labels": labels,
    }
