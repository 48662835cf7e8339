"""Staff decisions on tasks (受理/审查/决定/联审/核查): claim a task, decide it, move the case on.

``task_complete`` checks the decision against the task's kind (``DECISIONS_BY_KIND``),
advances the BPMN process and hands the case to one short handler per decision
(``DECISION_HANDLERS``); what follows every decision (deadlines, the theme parent,
tasks, notifications) happens in one place after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import (
    DECISIONS_BY_KIND,
    FINAL_STATUSES,
    CaseStatus,
    Decision,
    NotificationEvent,
    TaskKind,
    TaskState,
    TimelineAction,
)
from tongban.cases.models import Case, SupplementRequest, Task
from tongban.cases.rules import case_form_schema
from tongban.cases.selectors import case_supplements
from tongban.cases.services import inspection, joint_review, outputs, themes
from tongban.cases.services.common import (
    CASE_SAVE,
    TASK_SAVE,
    case_lock,
    status_refused,
    timeline_add,
)
from tongban.cases.services.notifications import notify_applicant_events
from tongban.cases.services.process import deadlines_of, sla_state_store, tasks_sync
from tongban.cases.services.sla import case_deadlines_set
from tongban.catalog.forms import schema_field_title
from tongban.core.errors import (
    Conflict,
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.core.prepared import Param, Prepared
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.calendar import WorkCalendar
from tongban.workflow.selectors import process_instance_with_digest


class OutOfProcessHandler(Protocol):
    """Completes a task kind that lives outside the case's BPMN process (an app above cases)."""

    def __call__(
        self,
        *,
        actor: User,
        task: Task,
        decision: str,
        comment: str,
        data: dict[str, Any],
        now: datetime,
    ) -> Task: ...


#: Task kinds completed outside the process by an app above ``cases``, which fills this in its
#: ``AppConfig.ready()`` (``evaluation`` for ``evaluation_follow_up``): cases never imports it.
OUT_OF_PROCESS_HANDLERS: dict[str, OutOfProcessHandler] = {}

#: Decisions whose reason the applicant is legally owed (行政许可法第三十二、三十八条).
DECISIONS_NEEDING_REASON = (Decision.REJECT, Decision.DENY, Decision.FAIL)


def _staff_check(actor: User, task: Task) -> None:
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != task.department_id:
        raise NotFound(_("待办不存在"))
    if task.role not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("此待办需要“%(role)s”岗位办理") % {"role": _role_label(task.role)})


def _role_label(role: str) -> str:
    return str(StaffRole(role).label) if role in StaffRole.values else role


def _task_locked(task: Task) -> Task:
    return _TASK_LOCKED.get(pk=task.pk)


#: Every decision reads its task under a lock: compiled once (core/prepared.py).
_TASK_LOCKED: Prepared[Task] = Prepared(
    lambda: (
        Task.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(pk=Param("pk", Task._meta.pk))
    )
)


@transaction.atomic
def task_claim(*, actor: User, task: Task) -> Task:
    """Claim an open task so colleagues see who is handling it."""
    case_lock(task.case)
    task = _task_locked(task)
    _staff_check(actor, task)
    if task.state != TaskState.OPEN:
        raise InvalidStateChange(
            _("该待办当前状态为“%(state)s”，不能认领") % {"state": TaskState(task.state).label}
        )
    if task.claimed_by_id == actor.pk:
        return task
    if task.claimed_by_id is not None:
        raise Conflict(_("该待办已由他人认领"))
    task.claimed_by = actor
    task.claimed_at = timezone.now()
    task.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return task


def supplement_items(case: Case, data: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The checked items of a supplement request (this case's materials or form fields)."""
    items = (data or {}).get("items")
    if not isinstance(items, list) or not items:
        raise ValidationFailed(
            _("请列出需要补正的全部内容"),
            errors=[FieldError(field="data.items", message=_("至少列出一项需要补正的内容"))],
        )
    materials = {m.requirement_code: m.name for m in case.materials.all()}
    properties = case_form_schema(case).get("properties") or {}
    errors: list[FieldError] = []
    clean: list[dict[str, str]] = []
    for index, item in enumerate(items):
        field = f"data.items[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError(field=field, message=_("应为对象")))
            continue
        kind, code = item.get("kind"), str(item.get("code") or "")
        reason = str(item.get("reason") or "").strip()
        if kind == "material":
            if code not in materials:
                errors.append(FieldError(field=f"{field}.code", message=_("本事项没有该材料")))
                continue
            label = materials[code]
        elif kind == "field":
            if code not in properties:
                errors.append(FieldError(field=f"{field}.code", message=_("申请表没有该字段")))
                continue
            label = schema_field_title(properties[code], code)
        else:
            errors.append(FieldError(field=f"{field}.kind", message=_("只能是 material 或 field")))
            continue
        clean.append({"kind": str(kind), "code": code, "name": label, "reason": reason})
    if errors:
        raise ValidationFailed(_("补正内容有误"), errors=errors)
    return clean


def supplement_message(items: list[dict[str, str]], comment: str) -> str:
    """The one-time notice (一次性告知) listing every item to supplement, in order."""
    lines = [_("请一次性补正以下全部内容：")]
    for number, item in enumerate(items, start=1):
        what = _("材料") if item["kind"] == "material" else _("申请表")
        line = f"{number}. {what}“{item['name']}”"
        if item["reason"]:
            line += f"：{item['reason']}"
        lines.append(line)
    if comment:
        lines.append(_("说明：%(comment)s") % {"comment": comment})
    return "\n".join(lines)


def _decision_check(task: Task, decision: str, comment: str) -> None:
    allowed = DECISIONS_BY_KIND.get(task.kind, ())
    if decision not in allowed:
        names = "、".join(f"{Decision(d).label}（{d}）" for d in allowed)
        raise ValidationFailed(
            _("该环节不允许此决定"),
            errors=[
                FieldError(
                    field="decision",
                    message=_("“%(task)s”环节的决定只能是：%(names)s")
                    % {"task": TaskKind(task.kind).label, "names": names},
                )
            ],
        )
    if decision in DECISIONS_NEEDING_REASON and not comment:
        raise ValidationFailed(
            _("请填写理由"),
            errors=[FieldError(field="comment", message=_("作出此决定必须说明理由"))],
        )


@dataclass
class Decided:
    """One decision being applied: what the handler reads, and the events it leaves."""

    case: Case
    task: Task
    actor: User
    comment: str
    items: list[dict[str, str]]
    step: engine.ProcessStep
    now: datetime
    events: list[str] = field(default_factory=list)

    def record(self, action: str, text: str) -> None:
        """The decision's entry on the case's timeline, under the task's step."""
        timeline_add(
            self.case,
            at=self.now,
            action=action,
            step=str(TaskKind(self.task.kind).label),
            actor=self.actor,
            department=self.task.department,
            comment=text,
        )


def _case_approved(case: Case, *, now: datetime, events: list[str]) -> None:
    case.status = CaseStatus.APPROVED
    case.decided_at = now
    events.append(NotificationEvent.APPROVED)
    # The one place where an approved case gets its results (payment, certificate, delivery).
    outputs.case_outputs_issue(case, now=now, events=events)


def _accept(d: Decided) -> None:
    d.case.status = CaseStatus.ACCEPTED
    d.case.accepted_at = d.now
    d.record(TimelineAction.ACCEPTED, d.comment)
    d.events.append(NotificationEvent.ACCEPTED)
    outputs.case_payment_on_accept(d.case, now=d.now, events=d.events)
    if any(t.name in (TaskKind.REVIEW, joint_review.ENGINE_TASK) for t in d.step.ready):
        d.case.status = CaseStatus.UNDER_REVIEW


def _reject(d: Decided) -> None:
    d.case.status = CaseStatus.REJECTED
    d.case.outcome_reason = d.comment
    d.case.completed_at = d.now
    d.record(TimelineAction.REJECTED, d.comment)
    d.events.append(NotificationEvent.REJECTED)


def _request_supplement(d: Decided) -> None:
    message = supplement_message(d.items, d.comment)
    SupplementRequest.objects.create(
        case=d.case,
        task=d.task,
        items=d.items,
        message=message,
        requested_by=d.actor,
        requested_at=d.now,
    )
    d.case.status = CaseStatus.SUPPLEMENT_REQUIRED
    d.record(TimelineAction.SUPPLEMENT_REQUESTED, message)
    d.events.append(NotificationEvent.SUPPLEMENT_REQUIRED)


def _review_pass(d: Decided) -> None:
    d.record(TimelineAction.REVIEW_PASS, d.comment)


def _review_fail(d: Decided) -> None:
    d.record(TimelineAction.REVIEW_FAIL, d.comment)


def _approve(d: Decided) -> None:
    d.record(TimelineAction.APPROVED, d.comment)
    _case_approved(d.case, now=d.now, events=d.events)


def _deny(d: Decided) -> None:
    d.case.status = CaseStatus.DENIED
    d.case.decided_at = d.now
    d.case.completed_at = d.now
    d.case.outcome_reason = d.comment
    d.record(TimelineAction.DENIED, d.comment)
    d.events.append(NotificationEvent.DENIED)


#: What each decision does to the case once the process has moved on.
DECISION_HANDLERS: dict[str, Callable[[Decided], None]] = {
    Decision.ACCEPT: _accept,
    Decision.REJECT: _reject,
    Decision.REQUEST_SUPPLEMENT: _request_supplement,
    Decision.PASS: _review_pass,
    Decision.FAIL: _review_fail,
    Decision.APPROVE: _approve,
    Decision.DENY: _deny,
}


def _task_open_check(actor: User, task: Task) -> None:
    _staff_check(actor, task)
    if task.state != TaskState.OPEN:
        raise InvalidStateChange(
            _("该待办已办理（当前状态：%(state)s），请刷新后重试")
            % {"state": TaskState(task.state).label}
        )
    if task.claimed_by_id is not None and task.claimed_by_id != actor.pk:
        raise Conflict(_("该待办已由他人认领"))


@transaction.atomic
def task_complete(
    *,
    actor: User,
    task: Task,
    decision: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Task:
    """Decide a task (受理/审查/决定) and move the case and its process on."""
    case = case_lock(task.case)
    deadlines = deadlines_of(case)
    task = _task_locked(task)
    _task_open_check(actor, task)
    comment = (comment or "").strip()
    _decision_check(task, decision, comment)
    if task.kind == TaskKind.INSPECTION:
        # 先证后查: outside the process, which ended when the certificate was issued.
        return inspection.inspection_complete(
            actor=actor, task=task, decision=decision, comment=comment, now=now
        )
    handler = OUT_OF_PROCESS_HANDLERS.get(task.kind)
    if handler is not None:
        return handler(
            actor=actor,
            task=task,
            decision=decision,
            comment=comment,
            data=dict(data or {}),
            now=now or timezone.now(),
        )
    joint_review.department_decision_check(task, decision)
    items = supplement_items(case, data) if decision == Decision.REQUEST_SUPPLEMENT else []
    if task.kind == TaskKind.JOINT_REVIEW and decision == Decision.REQUEST_SUPPLEMENT:
        # 联审补正: the department's instance stays ready; the others go on reviewing.
        return joint_review.department_supplement_request(
            case=case,
            task=task,
            actor=actor,
            items=items,
            message=supplement_message(items, comment),
            now=now or timezone.now(),
        )
    if case.process_id is None or task.engine_task_id is None:
        raise status_refused(case, _("办理此待办"))
    now = now or timezone.now()

    instance = process_instance_with_digest(pk=case.process_id)
    # A Conflict here (the process moved on) propagates and the transaction rolls back.
    step = engine.process_complete_task(
        instance=instance, task_id=task.engine_task_id, data={"decision": decision}
    )
    case.process = step.instance
    _task_completed(task, actor=actor, decision=decision, comment=comment, items=items, now=now)

    decided = Decided(
        case=case, task=task, actor=actor, comment=comment, items=items, step=step, now=now
    )
    DECISION_HANDLERS[decision](decided)
    events = decided.events

    # 即办件: the process ends at acceptance with the approval itself.
    # (A case approved by this very decision may already be waiting for payment or issued.)
    already = case.status in FINAL_STATUSES or case.decided_at is not None
    if step.completed and step.end_event == "approved" and not already:
        _case_approved(case, now=now, events=events)

    # The decision's 补正 (if any) is written: one read serves the deadlines and the colour,
    # and the deadlines are saved with the decision (one UPDATE of the case).
    supplements = case_supplements(case)
    calendar = WorkCalendar()
    case_deadlines_set(case=case, supplements=supplements, calendar=calendar)
    CASE_SAVE.save(case)
    themes.theme_child_refresh(child=case, now=now)
    # New rows get their due dates here; the open ones change only with the deadlines
    # (a joint review's own 补正 is answered elsewhere), so one department's opinion
    # does not touch the other departments' rows.
    tasks_sync(case, step, refresh_due=deadlines_of(case) != deadlines)
    if decision == Decision.ACCEPT and case.decided_at == now:
        # Approved at acceptance (告知承诺 or on the spot): inspected afterwards (先证后查).
        inspection.case_inspection_open(case=case, now=now)
    sla_state_store(case, supplements=supplements, calendar=calendar)
    notify_applicant_events(case=case, events=events)
    task.case = case  # the locked case as this decision left it, for the caller's answer
    return task


def _task_completed(
    task: Task,
    *,
    actor: User,
    decision: str,
    comment: str,
    items: list[dict[str, str]],
    now: datetime,
) -> None:
    task.state = TaskState.COMPLETED
    task.completed_by = actor
    task.completed_at = now
    task.decision = decision
    task.comment = comment
    if items:
        task.data = {**(task.data or {}), "items": items}
    TASK_SAVE.save(task)
