"""The case's process as staff see it: ready BPMN tasks mirrored as Task rows, with deadlines."""

from __future__ import annotations

import logging
from datetime import date

from django.db.models import Q

from tongban.cases.choices import OUT_OF_PROCESS_TASK_KINDS, TaskKind, TaskState
from tongban.cases.models import Case, Task
from tongban.cases.services import joint_review
from tongban.cases.services.sla import case_acceptance_deadline, case_sla_state
from tongban.catalog.models import Department
from tongban.identity.choices import StaffRole
from tongban.workflow import engine
from tongban.workflow.calendar import due_datetime
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


def tasks_sync(case: Case, step: engine.ProcessStep, *, refresh_due: bool = False) -> list[Task]:
    """Mirror the ready staff tasks of the process as Task rows; cancel rows no longer ready.

    ``refresh_due`` then gives every open task the due date the case's deadlines imply, as
    ``tasks_due_refresh`` does, from the rows this read already.
    """
    ready = {t.id: t for t in step.ready}
    # One read: the open rows (to cancel those no longer ready) and those already mirrored.
    rows = list(case.tasks.filter(Q(state=TaskState.OPEN) | Q(engine_task_id__in=list(ready))))
    for row in rows:
        # An inspection (先证后查) or a bad rating's follow-up has no process task.
        if (
            row.state == TaskState.OPEN
            and row.kind not in OUT_OF_PROCESS_TASK_KINDS
            and row.engine_task_id not in ready
        ):
            row.state = TaskState.CANCELLED
            row.save(update_fields=["state", "updated_at"])
    known = {row.engine_task_id for row in rows if row.engine_task_id in ready}
    created = []
    for user_task in step.ready:
        if user_task.lane == APPLICANT_LANE or user_task.id in known:
            continue
        kind = joint_review.task_kind_for(user_task.name)
        if kind not in TaskKind.values or user_task.lane not in StaffRole.values:
            logger.warning("case %s: process task %s has no task kind", case.pk, user_task.name)
            continue
        department = case.department
        code = (user_task.data or {}).get("department")
        if code:
            department = Department.objects.filter(code=code).first() or department
        assert department is not None
        created.append(
            Task.objects.create(
                case=case,
                kind=kind,
                name=str(user_task.title or TaskKind(kind).label),
                department=department,
                role=user_task.lane,
                engine_task_id=user_task.id,
                due_date=task_due(case, kind),
            )
        )
    if refresh_due:
        still_open = [row for row in rows if row.state == TaskState.OPEN]
        for row in still_open + created:
            if row.kind not in OUT_OF_PROCESS_TASK_KINDS:
                _due_store(case, row)
    return created


def tasks_due_refresh(case: Case) -> None:
    """Give every open task the due date its case's current deadlines imply."""
    for row in case.tasks.filter(state=TaskState.OPEN).exclude(kind__in=OUT_OF_PROCESS_TASK_KINDS):
        _due_store(case, row)


def _due_store(case: Case, row: Task) -> None:
    due = task_due(case, row.kind, row)
    if row.due_date != due:
        row.due_date = due
        row.save(update_fields=["due_date", "updated_at"])


def acceptance_deadline_iso(case: Case) -> str:
    """Set the acceptance deadline on the case and return it as the process timer reads it."""
    due = case_acceptance_deadline(case=case)
    case.acceptance_due_date = due.due_date
    return due_datetime(due).isoformat()


def sla_state_store(case: Case) -> None:
    """Store the case's SLA colour when it changed."""
    state = case_sla_state(case=case)
    if state != case.sla_state:
        case.sla_state = state
        case.save(update_fields=["sla_state", "updated_at"])


def applicant_task(instance: ProcessInstance) -> engine.UserTask | None:
    """The applicant's ready supplement task of the process, if any."""
    for user_task in engine.process_ready_tasks(instance=instance):
        if user_task.lane == APPLICANT_LANE and user_task.name in SUPPLEMENT_TASKS:
            return user_task
    return None
