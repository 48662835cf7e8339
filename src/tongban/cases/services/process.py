"""The case's process as staff see it: ready BPMN tasks mirrored as Task rows, with deadlines."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from django.utils import timezone

from tongban.cases.choices import OUT_OF_PROCESS_TASK_KINDS, TaskKind, TaskState
from tongban.cases.models import Case, SupplementRequest, Task
from tongban.cases.services import joint_review
from tongban.cases.services.common import TASK_SAVE
from tongban.cases.services.sla import case_acceptance_deadline, case_sla_state
from tongban.catalog.models import Department
from tongban.core.prepared import Param, PreparedRows
from tongban.identity.choices import StaffRole
from tongban.workflow import engine
from tongban.workflow.calendar import WorkCalendar, due_datetime
from tongban.workflow.models import ProcessInstance

logger = logging.getLogger(__name__)

#: Lanes of the BPMN processes that are the applicant's, not a department's.
APPLICANT_LANE = "applicant"
#: Applicant tasks of the processes: answering a supplement at acceptance or at review.
SUPPLEMENT_TASKS = ("supplement", "supplement_review")


def task_due(case: Case, kind: str, task: Task | None = None) -> date | None:
    """The due date of a task of ``kind``: acceptance, the joint review's own, else the case's."""
    if kind == TaskKind.JOINT_REVIEW:
        return joint_review.review_due_date(case, task)
    return case.acceptance_due_date if kind == TaskKind.ACCEPT else case.due_date


#: What ``tasks_sync`` reads of a case's task rows: compiled once (core/prepared.py).
_TASK_ROWS = PreparedRows(
    lambda: Task.objects.filter(case_id=Param("case", Case._meta.pk)).values_list(
        "pk", "engine_task_id", "state", "kind", "due_date"
    )
)


def tasks_sync(
    case: Case, step: engine.ProcessStep, *, started: bool = False, refresh_due: bool = False
) -> list[Task]:
    """Mirror the ready staff tasks of the process as Task rows; cancel rows no longer ready.

    A fixed number of queries however many tasks are ready (a joint review has one per
    reviewing department): the open rows and those already mirrored are read in one query,
    the rows no longer ready are cancelled in one UPDATE and the new ones inserted in one
    INSERT. ``started``: the process was started by this step, so no row of it can exist
    yet and nothing is read. ``refresh_due``: the case's deadlines moved, so the open rows
    that stay get the due dates they now imply (``tasks_due_refresh``) from the same read.
    """
    ready = {t.id: t for t in step.ready}
    # A case's task rows, few even in a joint review, are read whole by a compiled query and
    # the open ones and those already mirrored picked here.
    rows: list[tuple[int, uuid.UUID | None, str, str, date | None]] = (
        []
        if started
        else [
            row
            for row in _TASK_ROWS.all(case=case.pk)
            # An inspection (先证后查) or a bad rating's follow-up has no process task.
            if (row[2] == TaskState.OPEN and row[3] not in OUT_OF_PROCESS_TASK_KINDS)
            or row[1] in ready
        ]
    )
    open_rows = [
        row for row in rows if row[2] == TaskState.OPEN and row[3] not in OUT_OF_PROCESS_TASK_KINDS
    ]
    gone = [row[0] for row in open_rows if row[1] not in ready]
    if gone:
        Task.objects.filter(pk__in=gone).update(
            state=TaskState.CANCELLED, updated_at=timezone.now()
        )
    if refresh_due:
        # New rows get their due dates below from the deadlines as they are now.
        kept = [(pk, kind, due) for pk, _task_id, _state, kind, due in open_rows if pk not in gone]
        _due_refresh(case, kept)
    known = {row[1] for row in rows if row[1] in ready}
    new = [t for t in step.ready if t.lane != APPLICANT_LANE and t.id not in known]
    if not new:
        return []
    codes = {str(code) for t in new if (code := (t.data or {}).get("department"))}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)} if codes else {}
    created = []
    dues: dict[str, date | None] = {}
    for user_task in new:
        kind = joint_review.task_kind_for(user_task.name)
        if kind not in TaskKind.values or user_task.lane not in StaffRole.values:
            logger.warning("case %s: process task %s has no task kind", case.pk, user_task.name)
            continue
        code = (user_task.data or {}).get("department")
        department = (departments.get(str(code)) if code else None) or case.department
        assert department is not None
        if kind not in dues:  # a new row has no 补正 of its own yet: one due date per kind
            dues[kind] = task_due(case, kind)
        created.append(
            Task(
                case=case,
                kind=kind,
                name=str(user_task.title or TaskKind(kind).label),
                department=department,
                role=user_task.lane,
                engine_task_id=user_task.id,
                due_date=dues[kind],
            )
        )
    return TASK_SAVE.bulk_create(created)


def deadlines_of(case: Case) -> tuple[object, ...]:
    """What the due dates of a case's open tasks depend on, besides their own 补正."""
    return (case.accepted_at, case.acceptance_due_date, case.due_date)


def tasks_due_refresh(case: Case) -> None:
    """Give every open task the due date its case's current deadlines imply.

    A fixed number of queries however many tasks are open: the open rows (kind and due date)
    in one query, the reviewing departments' own 补正 in one more, and one UPDATE per due
    date that changed (none when nothing did). Departments whose 补正 history is the same
    (usually: none) share one computation.
    """
    rows = list(
        case.tasks.filter(state=TaskState.OPEN)
        .exclude(kind__in=OUT_OF_PROCESS_TASK_KINDS)
        .values_list("pk", "kind", "due_date")
    )
    _due_refresh(case, rows)


def _due_refresh(case: Case, rows: list[tuple[int, str, date | None]]) -> None:
    if not rows:
        return
    own: dict[int, list[SupplementRequest]] = {}
    if case.accepted_at is not None and any(kind == TaskKind.JOINT_REVIEW for _, kind, _ in rows):
        for request in SupplementRequest.objects.filter(case=case, task__isnull=False):
            own.setdefault(request.task_id, []).append(request)  # type: ignore[arg-type]
    calendar = WorkCalendar()
    reviews: dict[tuple[object, ...], date | None] = {}
    changed: dict[date | None, list[int]] = {}
    for pk, kind, current in rows:
        if kind == TaskKind.JOINT_REVIEW:
            mine = own.get(pk, [])
            key = tuple(sorted((r.state, r.requested_at, r.answered_at) for r in mine))
            if key not in reviews:
                reviews[key] = joint_review.review_due_date(
                    case, calendar=calendar, supplements=mine
                )
            due = reviews[key]
        else:
            due = task_due(case, kind)
        if due != current:
            changed.setdefault(due, []).append(pk)
    now = timezone.now()
    for due, pks in changed.items():
        Task.objects.filter(pk__in=pks).update(due_date=due, updated_at=now)


def acceptance_deadline_iso(
    case: Case, *, supplements: list[SupplementRequest] | None = None
) -> str:
    """Set the acceptance deadline on the case and return it as the process timer reads it
    (``supplements``: all of the case's, when the caller has read them)."""
    due = case_acceptance_deadline(case=case, supplements=supplements)
    case.acceptance_due_date = due.due_date
    return due_datetime(due).isoformat()


def sla_state_store(
    case: Case,
    *,
    supplements: list[SupplementRequest] | None = None,
    calendar: WorkCalendar | None = None,
) -> None:
    """Store the case's SLA colour when it changed (``supplements``: all of the case's, read
    already by the caller)."""
    state = case_sla_state(case=case, supplements=supplements, calendar=calendar)
    if state != case.sla_state:
        case.sla_state = state
        case.save(update_fields=["sla_state", "updated_at"])


def applicant_task(instance: ProcessInstance) -> engine.UserTask | None:
    """The applicant's ready supplement task of the process, if any."""
    for user_task in engine.process_ready_tasks(instance=instance):
        if user_task.lane == APPLICANT_LANE and user_task.name in SUPPLEMENT_TASKS:
            return user_task
    return None
