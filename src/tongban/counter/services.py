"""批前指导 and 预约预审: an applicant asks the department before applying; the answer carries over.

Only matters whose ``process_params`` name ``pre_approval_guidance`` or
``pre_review_channel`` offer it.  The department's reviewer or approver answers
with an opinion and the items already checked; a later application that names
the guidance is pre-filled from its draft and its review starts from those items.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.forms import form_errors
from tongban.catalog.models import Matter
from tongban.core.errors import (
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.counter.choices import GuidanceKind, GuidanceStatus
from tongban.counter.models import GuidanceRequest
from tongban.counter.selectors import guidance_visible_to_applicant
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User
from tongban.workflow.calendar import SHANGHAI, WorkCalendar

#: Matter process parameters that open the guidance channel, and the kind each offers.
GUIDANCE_PARAMS = {
    "pre_approval_guidance": GuidanceKind.PRE_APPROVAL,
    "pre_review_channel": GuidanceKind.PRE_REVIEW,
}
#: The service center's appointment hours (Asia/Shanghai): mornings and afternoons.
OPENING_HOURS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 0)))
#: Roles of the department that may answer a guidance request.
ANSWERING_ROLES = (StaffRole.REVIEWER, StaffRole.APPROVER)
MAX_DESCRIPTION = 4000
MAX_ANSWER = 4000
MAX_CHECKED_ITEMS = 50
MAX_CHECKED_ITEM_LENGTH = 200


def matter_guidance_kinds(*, matter: Matter) -> list[str]:
    """The guidance kinds ``matter`` offers (empty for an ordinary matter)."""
    params = matter.process_params if isinstance(matter.process_params, dict) else {}
    return [kind for param, kind in GUIDANCE_PARAMS.items() if params.get(param)]


def _matter_get(matter_code: str) -> Matter:
    matter = (
        Matter.objects.select_related("department")
        .filter(code=(matter_code or "").strip(), is_active=True)
        .first()
    )
    if matter is None:
        raise ValidationFailed(
            _("事项不存在或已停止办理"),
            errors=[FieldError(field="matter", message=_("事项不存在或已停止办理"))],
        )
    return matter


def _enterprise_resolve(actor: User, applicant: dict[str, Any] | None) -> Enterprise | None:
    kind = (applicant or {}).get("type") or "person"
    if kind == "person":
        return None
    if kind != "enterprise":
        raise ValidationFailed(
            _("申请人类型无效"),
            errors=[FieldError(field="applicant.type", message=_("只能是 person 或 enterprise"))],
        )
    uscc = str((applicant or {}).get("uscc") or "").strip().upper()
    enterprise = Enterprise.objects.filter(uscc=uscc).first() if uscc else None
    if enterprise is None or not identity_selectors.user_is_agent_of(user=actor, uscc=uscc):
        raise PermissionDenied(_("您不是该企业的有效经办人，不能代其申请"))
    return enterprise


def appointment_errors(
    *, appointment_at: datetime, now: datetime, calendar: WorkCalendar | None = None
) -> list[FieldError]:
    """Why ``appointment_at`` is not a bookable time: past, not a working day, out of hours."""
    if timezone.is_naive(appointment_at):
        appointment_at = appointment_at.replace(tzinfo=SHANGHAI)
    local = appointment_at.astimezone(SHANGHAI)
    field = "appointment_at"
    if appointment_at <= now:
        return [FieldError(field=field, message=_("预约时间应晚于当前时间"))]
    calendar = calendar or WorkCalendar()
    if not calendar.is_working_day(local.date()):
        return [
            FieldError(
                field=field,
                message=_("%(day)s不是工作日（周末或法定节假日），请另选工作日")
                % {"day": local.date().isoformat()},
            )
        ]
    moment = local.time()
    if not any(start <= moment < end for start, end in OPENING_HOURS):
        hours = "、".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in OPENING_HOURS)
        return [
            FieldError(
                field=field,
                message=_("预约时间不在办公时间内（%(hours)s）") % {"hours": hours},
            )
        ]
    return []


def _draft_form_errors(matter: Matter, draft_form: Any) -> list[FieldError]:
    if not isinstance(draft_form, dict):
        return [FieldError(field="draft_form", message=_("应为对象"))]
    version = matter.versions.order_by("-version").first()
    guide = version.guide if version is not None and isinstance(version.guide, dict) else {}
    schema = guide.get("form_schema") or {"type": "object", "properties": {}}
    return [
        FieldError(field="draft_" + e.field, message=e.message)
        for e in form_errors(schema=schema, form=draft_form, complete=False)
    ]


@transaction.atomic
def guidance_request(
    *,
    actor: User,
    matter_code: str,
    kind: str,
    description: str,
    draft_form: dict[str, Any] | None = None,
    appointment_at: datetime | None = None,
    applicant: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> GuidanceRequest:
    """Ask the matter's department for 批前指导 or book a 预审 appointment before applying."""
    now = now or timezone.now()
    matter = _matter_get(matter_code)
    offered = matter_guidance_kinds(matter=matter)
    if not offered:
        raise ValidationFailed(
            _("该事项未开通批前指导或预约预审"),
            errors=[FieldError(field="matter", message=_("该事项未开通批前指导或预约预审"))],
        )
    enterprise = _enterprise_resolve(actor, applicant)
    errors: list[FieldError] = []
    if kind not in GuidanceKind.values:
        errors.append(
            FieldError(
                field="kind",
                message=_("只能是：%(values)s")
                % {"values": "、".join(f"{label}（{v}）" for v, label in GuidanceKind.choices)},
            )
        )
    description = (description or "").strip()
    if not description:
        errors.append(FieldError(field="description", message=_("请说明项目情况和需要指导的问题")))
    elif len(description) > MAX_DESCRIPTION:
        errors.append(
            FieldError(field="description", message=_("不能超过 %(n)s 字") % {"n": MAX_DESCRIPTION})
        )
    draft = {} if draft_form is None else draft_form
    errors.extend(_draft_form_errors(matter, draft))
    if kind == GuidanceKind.PRE_REVIEW and appointment_at is None:
        errors.append(FieldError(field="appointment_at", message=_("预约预审须选择预约时间")))
    if appointment_at is not None:
        errors.extend(appointment_errors(appointment_at=appointment_at, now=now))
    if errors:
        raise ValidationFailed(_("指导申请填写有误"), errors=errors)
    if appointment_at is not None and timezone.is_naive(appointment_at):
        appointment_at = appointment_at.replace(tzinfo=SHANGHAI)
    return GuidanceRequest.objects.create(
        kind=kind,
        matter=matter,
        applicant_user=actor,
        applicant_enterprise=enterprise,
        description=description,
        draft_form=draft,
        appointment_at=appointment_at,
    )


def _answerer_check(actor: User, guidance: GuidanceRequest) -> None:
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != guidance.matter.department_id:
        raise NotFound(_("指导申请不存在"))
    roles = identity_selectors.user_roles(user=actor)
    if not any(role in roles for role in ANSWERING_ROLES):
        raise PermissionDenied(_("只有本部门的审核或审批岗位可以答复批前指导"))


@transaction.atomic
def guidance_answer(
    *,
    actor: User,
    guidance: GuidanceRequest,
    answer: str,
    checked_items: list[str] | None = None,
    now: datetime | None = None,
) -> GuidanceRequest:
    """The department answers (reviewer or approver): its opinion and the items already checked."""
    guidance = (
        GuidanceRequest.objects.select_for_update(of=("self",))
        .select_related("matter")
        .get(pk=guidance.pk)
    )
    _answerer_check(actor, guidance)
    if guidance.status != GuidanceStatus.REQUESTED:
        raise InvalidStateChange(
            _("该指导申请当前状态为“%(status)s”，不能答复")
            % {"status": GuidanceStatus(guidance.status).label}
        )
    errors: list[FieldError] = []
    answer = (answer or "").strip()
    if not answer:
        errors.append(FieldError(field="answer", message=_("请填写指导意见")))
    elif len(answer) > MAX_ANSWER:
        errors.append(
            FieldError(field="answer", message=_("不能超过 %(n)s 字") % {"n": MAX_ANSWER})
        )
    items: list[str] = []
    raw = checked_items or []
    if not isinstance(raw, list) or len(raw) > MAX_CHECKED_ITEMS:
        errors.append(
            FieldError(
                field="checked_items",
                message=_("应为不超过 %(n)s 项的列表") % {"n": MAX_CHECKED_ITEMS},
            )
        )
    else:
        for index, item in enumerate(raw):
            text = item.strip() if isinstance(item, str) else ""
            if not text or len(text) > MAX_CHECKED_ITEM_LENGTH:
                errors.append(
                    FieldError(
                        field=f"checked_items[{index}]",
                        message=_("每项应为 1 至 %(n)s 字的文字") % {"n": MAX_CHECKED_ITEM_LENGTH},
                    )
                )
            elif text not in items:
                items.append(text)
    if errors:
        raise ValidationFailed(_("指导答复填写有误"), errors=errors)
    guidance.answer = answer
    guidance.checked_items = items
    guidance.answered_by = actor
    guidance.answered_at = now or timezone.now()
    guidance.status = GuidanceStatus.ANSWERED
    guidance.save()
    return guidance


def _guidance_field_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field="guidance", message=message)])


def guidance_for_application(*, actor: User, guidance_id: int, matter: Matter) -> GuidanceRequest:
    """The caller's answered guidance for ``matter``, locked, for a new application to build on."""
    guidance = (
        GuidanceRequest.objects.select_for_update(of=("self",))
        .select_related("matter")
        .filter(pk=guidance_id)
        .first()
    )
    if guidance is None or not guidance_visible_to_applicant(user=actor, guidance=guidance):
        raise _guidance_field_error(_("批前指导记录不存在"))
    if guidance.matter_id != matter.pk:
        raise _guidance_field_error(_("该批前指导不是针对本事项的"))
    if guidance.status == GuidanceStatus.USED:
        raise _guidance_field_error(_("该批前指导已用于另一件申请"))
    if guidance.status != GuidanceStatus.ANSWERED:
        raise _guidance_field_error(_("该批前指导尚未答复，答复后才能据此申请"))
    return guidance


def guidance_mark_used(*, guidance: GuidanceRequest) -> GuidanceRequest:
    """Mark guidance as used by an application (called by case_create in its transaction)."""
    guidance.status = GuidanceStatus.USED
    guidance.save(update_fields=["status", "updated_at"])
    return guidance
