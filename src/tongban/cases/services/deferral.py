"""容缺受理: a non-key material deferred at submission, with a promised date and reminders.

At submission an applicant without bad credit may defer a NON-KEY material by
naming a date at most ``settings.DEFERRAL_MAX_WORKING_DAYS`` working days ahead.
The case is accepted and reviewed as usual, but issuing waits (the case stays
``approved``) until every deferred material has arrived.  The SLA sweep reminds
the applicant two working days before the date and on the date, and tells them
(once) when the date has passed; the certificate stays held.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongban.cases.choices import (
    FINAL_STATUSES,
    CaseStatus,
    MaterialStatus,
    NotificationEvent,
    TimelineAction,
)
from tongban.cases.models import Case, CaseMaterial, TimelineEntry
from tongban.cases.rules import case_deferred_materials
from tongban.cases.services.common import timeline_add
from tongban.cases.services.notifications import notify_applicant
from tongban.core.errors import FieldError
from tongban.credit.choices import CreditList
from tongban.credit.selectors import credit_status
from tongban.workflow.calendar import SHANGHAI, WorkCalendar

logger = logging.getLogger(__name__)

#: Working days before the promised date at which the applicant is reminded.
REMINDER_WORKING_DAYS = 2
#: Credit levels that rule out 容缺 (C 较差, D 差).
BAD_CREDIT_LEVELS = frozenset({"C", "D"})


def _today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(SHANGHAI).date()


def deferral_latest_date(*, today: date, calendar: WorkCalendar | None = None) -> date:
    """The latest date a deferred material may be promised for, counted from ``today``."""
    calendar = calendar or WorkCalendar()
    return calendar.add_working_days(today, settings.DEFERRAL_MAX_WORKING_DAYS).due_date


def _credit_subject(case: Case) -> str:
    if case.applicant_enterprise_id is not None and case.applicant_enterprise is not None:
        return case.applicant_enterprise.uscc
    if case.applicant_person is not None:
        return case.applicant_person.id_number
    return ""


def deferral_credit_refusal(*, case: Case, today: date) -> str | None:
    """Why the applicant's credit rules out 容缺 (black list, key supervision, C/D), or None."""
    subject = _credit_subject(case)
    if not subject:
        return None
    status = credit_status(subject=subject, today=today)
    if status.joint_punishment:
        return _("申请人列入失信联合惩戒名单，不适用容缺受理")
    if CreditList.KEY_SUPERVISION in status.lists:
        return _("申请人列入重点关注名单，不适用容缺受理")
    if status.level in BAD_CREDIT_LEVELS:
        return _("申请人信用等级为 %(level)s，不适用容缺受理") % {"level": status.level}
    return None


def _parse_until(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def case_deferrals_apply(*, case: Case, deferred: Iterable[Any], today: date) -> list[FieldError]:
    """Mark the requested materials deferred (容缺); the field errors when a request is refused.

    Called by ``case_submit`` inside its transaction: when errors come back the caller
    raises and everything written here rolls back with the submission.
    """
    items = list(deferred or [])
    if not items:
        return []
    materials = {m.requirement_code: m for m in case.materials.all()}
    latest = deferral_latest_date(today=today)
    errors: list[FieldError] = []
    plan: list[tuple[CaseMaterial, date]] = []
    credit_checked = False
    credit_refusal: str | None = None
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(FieldError(field=f"deferred[{index}]", message=_("应为对象")))
            continue
        code = str(item.get("requirement") or "").strip()
        material = materials.get(code)
        field = f"materials.{code}" if code else f"deferred[{index}].requirement"
        if material is None:
            errors.append(
                FieldError(
                    field=field,
                    message=_("本事项没有编码为“%(code)s”的材料") % {"code": code},
                )
            )
            continue
        if material.key:
            errors.append(
                FieldError(
                    field=field,
                    message=_("“%(name)s”是关键材料，不能容缺后补") % {"name": material.name},
                )
            )
            continue
        if material.status in (MaterialStatus.PROVIDED, MaterialStatus.VERIFIED):
            errors.append(
                FieldError(
                    field=field,
                    message=_("“%(name)s”已提交，无需容缺") % {"name": material.name},
                )
            )
            continue
        until = _parse_until(item.get("until"))
        if until is None:
            errors.append(FieldError(field=field, message=_("请填写补交期限（格式 YYYY-MM-DD）")))
            continue
        if until <= today or until > latest:
            errors.append(
                FieldError(
                    field=field,
                    message=_("补交期限应在今天之后、%(latest)s（%(days)s个工作日）之前")
                    % {"latest": latest.isoformat(), "days": settings.DEFERRAL_MAX_WORKING_DAYS},
                )
            )
            continue
        if not credit_checked:
            credit_refusal = deferral_credit_refusal(case=case, today=today)
            credit_checked = True
        if credit_refusal:
            errors.append(FieldError(field=field, message=credit_refusal))
            continue
        plan.append((material, until))
    if errors:
        return errors
    for material, until in plan:
        material.status = MaterialStatus.DEFERRED
        material.deferred_until = until
        material.save(update_fields=["status", "deferred_until", "updated_at"])
    return []


def deferral_timeline_note(*, case: Case, at: datetime) -> None:
    """Record on the timeline which materials were deferred and until when (at submission)."""
    outstanding = case_deferred_materials(case=case)
    if not outstanding:
        return
    timeline_add(
        case,
        at=at,
        action=TimelineAction.DEFERRED,
        step=_("容缺受理"),
        actor=case.applicant_user,
        comment=_materials_text(outstanding),
    )


def material_is_deferred(*, case: Case, requirement_code: str) -> bool:
    """Whether ``requirement_code`` of ``case`` is a deferred material still to be uploaded."""
    return CaseMaterial.objects.filter(
        case=case, requirement_code=requirement_code, status=MaterialStatus.DEFERRED
    ).exists()


def _materials_text(materials: Iterable[CaseMaterial]) -> str:
    return "、".join(
        _("“%(name)s”（%(until)s前）")
        % {"name": m.name, "until": m.deferred_until.isoformat() if m.deferred_until else "—"}
        for m in materials
    )


def case_issue_held(case: Case, *, now: datetime) -> bool:
    """Whether issuing must wait for deferred materials; records the hold on the timeline."""
    outstanding = case_deferred_materials(case=case)
    if not outstanding:
        return False
    timeline_add(
        case,
        at=now,
        action=TimelineAction.DEFERRAL_HELD,
        step=_("证照待容缺材料补齐后发放"),
        department=case.department,
        comment=_("待补交：%(items)s") % {"items": _materials_text(outstanding)},
    )
    return True


# --- reminders (called by the SLA sweep) ----------------------------------------------------


def _notice_sent(case: Case, action: str, until: date) -> bool:
    return TimelineEntry.objects.filter(
        case=case, action=action, comment__startswith=until.isoformat()
    ).exists()


def _notice(
    case: Case, *, action: str, until: date, materials: list[CaseMaterial], now: datetime
) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        steps: dict[str, str] = {
            TimelineAction.DEFERRAL_REMINDER: _("容缺材料补交提醒"),
            TimelineAction.DEFERRAL_DUE: _("容缺材料今日到期"),
            TimelineAction.DEFERRAL_OVERDUE: _("容缺材料逾期未补交，证照暂缓发放"),
        }
        step = steps[action]
        # The comment starts with the date: it is what makes each notice once per date.
        comment = f"{until.isoformat()} {_materials_text(materials)}"
    timeline_add(
        case,
        at=now,
        action=action,
        step=step,
        department=case.department,
        comment=comment,
    )
    event = (
        NotificationEvent.DEFERRAL_OVERDUE
        if action == TimelineAction.DEFERRAL_OVERDUE
        else NotificationEvent.DEFERRAL_REMINDER
    )
    notify_applicant(case=case, event=event)


def _case_deferrals_sweep(
    case_id: int, *, today: date, now: datetime, calendar: WorkCalendar
) -> int:
    sent = 0
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.status in FINAL_STATUSES or case.status == CaseStatus.DRAFT:
            return 0
        by_date: dict[date, list[CaseMaterial]] = {}
        for material in case_deferred_materials(case=case):
            if material.deferred_until is not None:
                by_date.setdefault(material.deferred_until, []).append(material)
        for until, materials in sorted(by_date.items()):
            if today > until:
                action = TimelineAction.DEFERRAL_OVERDUE
            elif today == until:
                action = TimelineAction.DEFERRAL_DUE
            elif calendar.working_days_between(today, until) <= REMINDER_WORKING_DAYS:
                action = TimelineAction.DEFERRAL_REMINDER
            else:
                continue
            if _notice_sent(case, action, until):
                continue
            _notice(case, action=action, until=until, materials=materials, now=now)
            sent += 1
    return sent


def deferral_sweep(*, now: datetime | None = None) -> int:
    """Remind applicants of deferred materials (2 working days before, on the date, overdue)."""
    now = now or timezone.now()
    today = _today(now)
    calendar = WorkCalendar()
    case_ids = (
        CaseMaterial.objects.filter(status=MaterialStatus.DEFERRED, deferred_until__isnull=False)
        .exclude(case__status__in=[*FINAL_STATUSES, CaseStatus.DRAFT])
        .values_list("case_id", flat=True)
        .distinct()
        .order_by("case_id")
    )
    sent = 0
    for case_id in list(case_ids):
        try:
            sent += _case_deferrals_sweep(case_id, today=today, now=now, calendar=calendar)
        except Exception:
            logger.exception("deferral sweep: case %s failed", case_id)
    return sent
