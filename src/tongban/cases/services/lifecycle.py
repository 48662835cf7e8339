"""A case's life outside the applicant's draft and the staff's decisions: withdrawal (撤回),
extension (延期) and the process timers the SLA sweep fires (视为受理).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import (
    FINAL_STATUSES,
    WITHDRAWABLE_STATUSES,
    CaseStatus,
    NotificationEvent,
    SupplementState,
    TaskKind,
    TaskState,
    TimelineAction,
)
from tongban.cases.models import Case
from tongban.cases.rules import case_guide
from tongban.cases.services import themes
from tongban.cases.services.common import (
    applicant_required,
    case_lock,
    status_refused,
    timeline_add,
)
from tongban.cases.services.notifications import notify_applicant
from tongban.cases.services.process import sla_state_store, tasks_due_refresh, tasks_sync
from tongban.cases.services.sla import case_deadline_refresh
from tongban.core.errors import (
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.models import ProcessInstance
from tongban.workflow.selectors import process_instance_with_digest


@transaction.atomic
def case_withdraw(
    *, actor: User, case: Case, reason: str = "", now: datetime | None = None
) -> Case:
    """Withdraw an application that has no decision yet (撤回)."""
    case = case_lock(case)
    applicant_required(actor, case)
    if case.status not in WITHDRAWABLE_STATUSES:
        raise status_refused(case, _("撤回"))
    now = now or timezone.now()
    # A bad rating of the acceptance is still followed up after a withdrawal.
    case.tasks.filter(state=TaskState.OPEN).exclude(kind=TaskKind.EVALUATION_FOLLOW_UP).update(
        state=TaskState.CANCELLED, updated_at=now
    )
    case.supplements.filter(state=SupplementState.OPEN).update(
        state=SupplementState.CANCELLED, updated_at=now
    )
    was_draft = case.status == CaseStatus.DRAFT
    case.status = CaseStatus.WITHDRAWN
    case.withdrawn_at = now
    case.save()
    if case.process_id is not None:
        # The process is abandoned where it stands; its timers must not fire any more.
        ProcessInstance.objects.filter(pk=case.process_id).update(next_timer_at=None)
    timeline_add(
        case,
        at=now,
        action=TimelineAction.WITHDRAWN,
        step=_("撤回申请"),
        actor=actor,
        comment=(reason or "").strip(),
    )
    themes.theme_case_withdrawn(case=case, now=now, reason=(reason or "").strip())
    if not was_draft:
        notify_applicant(case=case, event=NotificationEvent.WITHDRAWN)
    return case


@transaction.atomic
def case_extend(
    *, actor: User, case: Case, days: int, reason: str, now: datetime | None = None
) -> Case:
    """Extend the decision limit once (延期, 行政许可法第四十二条), by the department's approver."""
    case = case_lock(case)
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != case.department_id:
        raise NotFound(_("办件不存在"))
    if StaffRole.APPROVER not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("只有审批岗位可以批准延期"))
    if case.status not in (CaseStatus.ACCEPTED, CaseStatus.UNDER_REVIEW):
        raise status_refused(case, _("延期"))
    if case.extension_days:
        raise InvalidStateChange(_("本办件已延期过一次，不能再次延期"))
    legal = int(case_guide(case).get("legal_limit_days") or 0)
    errors: list[FieldError] = []
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= max(legal, 1):
        errors.append(
            FieldError(
                field="days",
                message=_("延期天数应为 1 至 %(max)s 个工作日") % {"max": max(legal, 1)},
            )
        )
    reason = (reason or "").strip()
    if not reason:
        errors.append(FieldError(field="reason", message=_("请填写延期理由")))
    if errors:
        raise ValidationFailed(_("延期申请有误"), errors=errors)
    now = now or timezone.now()
    case.extension_days = days
    case.extension_reason = reason
    case.save()
    case_deadline_refresh(case=case)
    tasks_due_refresh(case)
    sla_state_store(case)
    timeline_add(
        case,
        at=now,
        action=TimelineAction.EXTENDED,
        step=_("延期"),
        actor=actor,
        department=profile.department,
        comment=_("延期 %(days)s 个工作日：%(reason)s") % {"days": days, "reason": reason},
    )
    return case


@transaction.atomic
def case_timers_fire(*, case: Case, now: datetime | None = None) -> Case:
    """Fire the due timers of a case's process (called by the SLA sweep) and follow them."""
    case = case_lock(case)
    if case.process_id is None or case.status in FINAL_STATUSES:
        return case
    now = now or timezone.now()
    instance = process_instance_with_digest(pk=case.process_id)
    step = engine.process_refresh_timers(instance=instance)
    case.process = step.instance
    ready = {t.name for t in step.ready}
    if (
        case.status == CaseStatus.SUBMITTED
        and TaskKind.ACCEPT not in ready
        and (TaskKind.REVIEW in ready)
    ):
        # 行政许可法第三十二条: not told within 5 working days, the application is accepted
        # from the day the (complete) materials were received.
        answered = (
            case.supplements.filter(state=SupplementState.ANSWERED)
            .order_by("-answered_at")
            .values_list("answered_at", flat=True)
            .first()
        )
        case.accepted_at = answered or case.submitted_at or now
        case.status = CaseStatus.UNDER_REVIEW
        case.save()
        timeline_add(
            case,
            at=now,
            action=TimelineAction.DEEMED_ACCEPTED,
            step=_("受理"),
            department=case.department,
            comment=_("逾期未作出受理决定，视为受理"),
        )
        case_deadline_refresh(case=case)
        tasks_sync(case, step)
        tasks_due_refresh(case)
        sla_state_store(case)
        notify_applicant(case=case, event=NotificationEvent.ACCEPTED)
        return case
    case.save()
    tasks_sync(case, step)
    return case
