"""建设工程联审: many departments review one case in parallel, the lead department decides.

The process ``processes/joint_review.bpmn`` runs a parallel multi-instance user task
(``department_review``) over the matter's ``process_params["reviewers"]``; every instance
carries its department code, so ``cases.services`` opens one Task of kind ``joint_review``
per reviewing department. This module holds what is special about those tasks:

- each department has its own deadline (``review_days`` working days from acceptance,
  the days its own 补正 waited not counted);
- a department's 补正 stays outside the process: its instance stays ready, the applicant
  answers, and the same department re-reviews while the others go on;
- the opinions, with on time / overdue, for the lead department and the applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.cases.choices import (
    FINAL_STATUSES,
    CaseStatus,
    Decision,
    NotificationEvent,
    SupplementState,
    TaskKind,
    TaskState,
    TimelineAction,
)
from tongban.cases.models import Case, SupplementRequest, Task
from tongban.cases.services.common import timeline_add
from tongban.cases.services.notifications import notify_applicant
from tongban.cases.services.sla import case_suspensions, shanghai_date
from tongban.catalog.models import localized
from tongban.certificates.models import Certificate
from tongban.certificates.selectors import holder_masked
from tongban.certificates.services import certificate_status
from tongban.core.errors import InvalidStateChange
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

#: The process that runs a joint review (a matter's ``process``).
PROCESS = "joint_review"
#: BPMN id of the multi-instance review task (the process id owns "joint_review").
ENGINE_TASK = "department_review"
#: Working days each reviewing department has, unless the matter sets ``review_days``.
DEFAULT_REVIEW_DAYS = 5

#: Engine task ids whose Task kind is not the id itself.
ENGINE_TASK_KINDS: dict[str, str] = {ENGINE_TASK: TaskKind.JOINT_REVIEW}


class OpinionState:
    """What one reviewing department has said so far (shown to the lead and the applicant)."""

    PENDING = "pending"
    SUPPLEMENT = "supplement"
    PASSED = "pass"
    FAILED = "fail"


OPINION_LABELS = {
    OpinionState.PENDING: gettext_lazy("审查中"),
    OpinionState.SUPPLEMENT: gettext_lazy("待申请人补正"),
    OpinionState.PASSED: gettext_lazy("审查通过"),
    OpinionState.FAILED: gettext_lazy("审查不通过"),
}


@dataclass(frozen=True)
class Opinion:
    """One reviewing department's opinion on a case."""

    task_id: int
    department_code: str
    department: str
    state: str
    label: str
    comment: str
    decided_at: datetime | None
    due_date: date | None
    #: Due date passed with no opinion, or the opinion came after it.
    overdue: bool
    #: The opinion came in by its due date (None while there is none).
    on_time: bool | None
    #: What the department asked the applicant to supplement, while that is open.
    supplement_message: str


@dataclass(frozen=True)
class JointReviewSummary:
    """The lead department's view: every opinion and the counts that matter."""

    opinions: list[Opinion]
    total: int
    passed: int
    failed: int
    pending: int
    supplement: int
    overdue: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.passed + self.failed == self.total


def task_kind_for(engine_task: str) -> str:
    """The Task kind of a ready engine task (its BPMN id unless mapped here)."""
    return ENGINE_TASK_KINDS.get(engine_task, engine_task)


def is_joint_review(case: Case) -> bool:
    """Whether ``case`` runs the joint-review process."""
    guide = case.matter_version.guide if case.matter_version is not None else None
    return isinstance(guide, dict) and guide.get("process") == PROCESS


def review_days(case: Case) -> int:
    """The working days each reviewing department has (``process_params.review_days``)."""
    guide = case.matter_version.guide if case.matter_version is not None else None
    params = (guide or {}).get("process_params") if isinstance(guide, dict) else None
    value = (params or {}).get("review_days", DEFAULT_REVIEW_DAYS)
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
        else DEFAULT_REVIEW_DAYS
    )


def review_due_date(
    case: Case,
    task: Task | None = None,
    *,
    calendar: WorkCalendar | None = None,
    supplements: list[SupplementRequest] | None = None,
) -> date | None:
    """A reviewing department's due date: review_days working days after acceptance.

    The days that department's own 补正 waited for the applicant do not count, and it is
    never later than the case's own decision deadline (the lead still has to decide).
    ``supplements`` are that department's own requests when the caller has read them already.
    """
    if case.accepted_at is None:
        return case.due_date
    if supplements is None:
        supplements = (
            list(task.supplements.all()) if task is not None and task.pk is not None else []
        )
    due = (calendar or WorkCalendar()).add_working_days(
        shanghai_date(case.accepted_at),
        review_days(case),
        suspended=case_suspensions(case=case, supplements=supplements),
    )
    if case.due_date is not None and case.due_date < due.due_date:
        return case.due_date
    return due.due_date


def _open_supplement(task: Task) -> SupplementRequest | None:
    return task.supplements.filter(state=SupplementState.OPEN).first()


def department_decision_check(task: Task, decision: str) -> None:
    """A department decides only once the applicant has answered its own 补正."""
    if task.kind != TaskKind.JOINT_REVIEW:
        return
    if _open_supplement(task) is not None:
        raise InvalidStateChange(_("本部门的补正告知尚未答复，申请人补正后再审查"))
    if (
        decision == Decision.REQUEST_SUPPLEMENT
        and task.case.status == CaseStatus.SUPPLEMENT_REQUIRED
    ):
        # Another department's notice is open; one notice at a time keeps "一次性告知" true.
        raise InvalidStateChange(_("申请人正在答复另一部门的补正告知，请待其补正后再告知"))


def department_supplement_request(
    *,
    case: Case,
    task: Task,
    actor: User,
    items: list[dict[str, str]],
    message: str,
    now: datetime,
) -> Task:
    """One department asks the applicant to supplement; its task stays open, others go on."""
    SupplementRequest.objects.create(
        case=case,
        task=task,
        items=items,
        message=message,
        requested_by=actor,
        requested_at=now,
    )
    task.data = {**(task.data or {}), "items": items}
    task.save(update_fields=["data", "updated_at"])
    case.status = CaseStatus.SUPPLEMENT_REQUIRED
    case.save(update_fields=["status", "updated_at"])
    timeline_add(
        case,
        at=now,
        action=TimelineAction.SUPPLEMENT_REQUESTED,
        step=str(TaskKind(task.kind).label),
        actor=actor,
        department=task.department,
        comment=message,
    )
    notify_applicant(case=case, event=NotificationEvent.SUPPLEMENT_REQUIRED)
    return task


def is_department_supplement(request: SupplementRequest) -> bool:
    """Whether ``request`` came from a reviewing department of a joint review."""
    task = request.task if request.task_id is not None else None
    return task is not None and task.kind == TaskKind.JOINT_REVIEW


def department_supplement_answered(
    *, case: Case, request: SupplementRequest, actor: User, now: datetime
) -> Case:
    """The applicant answered a department's 补正: that department re-reviews."""
    case.status = CaseStatus.UNDER_REVIEW
    case.save(update_fields=["status", "updated_at"])
    timeline_add(
        case,
        at=now,
        action=TimelineAction.SUPPLEMENT_ANSWERED,
        step=_("补正"),
        actor=actor,
        comment=_("已补正：%(what)s")
        % {"what": "、".join(str(item.get("name", "")) for item in request.items or [])},
    )
    return case


# --- selectors ---------------------------------------------------------------------------------


def _review_tasks(case: Case) -> QuerySet[Task]:
    return (
        case.tasks.filter(kind=TaskKind.JOINT_REVIEW)
        .exclude(state=TaskState.CANCELLED)
        .select_related("department")
        .prefetch_related("supplements")
        .order_by("department__code", "id")
    )


def _opinion(task: Task, today: date) -> Opinion:
    open_request = next(
        (s for s in task.supplements.all() if s.state == SupplementState.OPEN), None
    )
    if task.state == TaskState.COMPLETED:
        state = OpinionState.PASSED if task.decision == Decision.PASS else OpinionState.FAILED
    elif open_request is not None:
        state = OpinionState.SUPPLEMENT
    else:
        state = OpinionState.PENDING
    decided_on = shanghai_date(task.completed_at) if task.completed_at else None
    due = task.due_date
    if decided_on is not None:
        on_time: bool | None = due is None or decided_on <= due
        overdue = not on_time
    else:
        on_time = None
        # While the applicant owes its 补正, the department's clock stands still.
        overdue = due is not None and due < today and open_request is None
    return Opinion(
        task_id=task.pk,
        department_code=task.department.code,
        department=localized(task.department, "name"),
        state=state,
        label=str(OPINION_LABELS[state]),
        comment=task.comment if task.state == TaskState.COMPLETED else "",
        decided_at=task.completed_at,
        due_date=due,
        overdue=overdue,
        on_time=on_time,
        supplement_message=open_request.message if open_request is not None else "",
    )


def joint_review_summary(*, case: Case, today: date | None = None) -> JointReviewSummary | None:
    """Every reviewing department's opinion with on time / overdue, or None for other cases.

    The caller has already decided the viewer may see ``case`` (its applicant or staff on it).
    """
    if not is_joint_review(case):
        return None
    today = today or shanghai_date(timezone.now())
    opinions = [_opinion(task, today) for task in _review_tasks(case)]
    if not opinions:
        return None
    return JointReviewSummary(
        opinions=opinions,
        total=len(opinions),
        passed=sum(o.state == OpinionState.PASSED for o in opinions),
        failed=sum(o.state == OpinionState.FAILED for o in opinions),
        pending=sum(o.state == OpinionState.PENDING for o in opinions),
        supplement=sum(o.state == OpinionState.SUPPLEMENT for o in opinions),
        overdue=sum(o.overdue for o in opinions),
    )


def joint_review_context(*, case: Case, today: date | None = None) -> dict[str, Any]:
    """Template context for the joint-review panels (workbench and portal)."""
    summary = joint_review_summary(case=case, today=today)
    return {
        "joint_review": summary,
        "joint_review_open": summary is not None and case.status not in FINAL_STATUSES,
    }


def joint_review_out(*, case: Case, today: date | None = None) -> dict[str, Any] | None:
    """The opinions as plain data for the API (``GET /applications/{id}``), None elsewhere."""
    summary = joint_review_summary(case=case, today=today)
    if summary is None:
        return None
    return {
        "total": summary.total,
        "passed": summary.passed,
        "failed": summary.failed,
        "pending": summary.pending,
        "supplement": summary.supplement,
        "overdue": summary.overdue,
        "complete": summary.complete,
        "opinions": [
            {
                "department_code": o.department_code,
                "department": o.department,
                "state": o.state,
                "state_label": o.label,
                "comment": o.comment,
                "decided_at": o.decided_at,
                "due_date": o.due_date,
                "on_time": o.on_time,
                "overdue": o.overdue,
            }
            for o in summary.opinions
        ],
    }


# --- 结果公开 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedPermit:
    """One issued joint-review permit as the public may see it (结果公开)."""

    number: str
    project: str
    holder: str
    issued_at: datetime
    status: str
    status_label: str
    matter: str


PERMIT_STATUS_LABELS = {
    "valid": gettext_lazy("有效"),
    "revoked": gettext_lazy("已撤销"),
    "expired": gettext_lazy("已过期"),
}


def permits_published(*, query: str = "") -> list[PublishedPermit]:
    """Permits issued by joint review, newest first; holders masked where they are persons."""

    rows = (
        Certificate.objects.filter(case__matter__process=PROCESS)
        .select_related("case", "case__matter")
        .order_by("-issued_at", "-id")
    )
    query = (query or "").strip()
    if query:
        rows = rows.filter(number__icontains=query) | rows.filter(
            case__form_data__project_name__icontains=query
        )
    out = []
    for certificate in rows:
        case = certificate.case
        form = case.form_data if case is not None and isinstance(case.form_data, dict) else {}
        fields = certificate.fields if isinstance(certificate.fields, dict) else {}
        project = str(fields.get("project_name") or form.get("project_name") or "—")
        out.append(
            PublishedPermit(
                number=certificate.number,
                project=project,
                holder=holder_masked(certificate)["name"],
                issued_at=certificate.issued_at,
                status=(status := str(certificate_status(certificate))),
                status_label=str(PERMIT_STATUS_LABELS.get(status, status)),
                matter=localized(case.matter, "name") if case and case.matter else "",
            )
        )
    return out
