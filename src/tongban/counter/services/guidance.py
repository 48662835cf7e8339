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
from tongban.counter import rules
from tongban.counter.choices import GuidanceKind, GuidanceStatus
from tongban.counter.models import CenterSection, GuidanceRequest
from tongban.counter.selectors.guidance import guidance_visible_to_applicant
from tongban.counter.services.appointments import appointment_book
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User
from tongban.workflow.calendar import WorkCalendar

#: Matter process parameters that open the guidance channel, and the kind each offers.
GUIDANCE_PARAMS = {
    "pre_approval_guidance": GuidanceKind.PRE_APPROVAL,
    "pre_review_channel": GuidanceKind.PRE_REVIEW,
}
#: Appointment hours shown on the portal's guidance form (the slots follow each section's hours).
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


def _appointment_errors(
    *, matter: Matter, appointment_at: datetime, now: datetime
) -> list[FieldError]:
    """Why ``appointment_at`` is not the start of a bookable slot of the matter's section."""
    center = CenterSection.objects.filter(section_id=matter.section_id).first()
    if center is None:
        return [FieldError(field="appointment_at", message=_("该事项所在板块未开放预约"))]
    return [
        FieldError(field="appointment_at", message=e.message)
        for e in rules.slot_errors(
            center=center, start=appointment_at, now=now, calendar=WorkCalendar()
        )
    ]


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
        appointment_at = rules.aware(appointment_at)
        errors.extend(_appointment_errors(matter=matter, appointment_at=appointment_at, now=now))
    if errors:
        raise ValidationFailed(_("指导申请填写有误"), errors=errors)
    guidance = GuidanceRequest.objects.create(
        kind=kind,
        matter=matter,
        applicant_user=actor,
        applicant_enterprise=enterprise,
        description=description,
        draft_form=draft,
        appointment_at=appointment_at,
    )
    if appointment_at is not None:
        # The pre-review appointment takes a place in the same slots as every other booking.
        try:
            appointment_book(
                actor=actor,
                section_code=matter.section.code,
                matter_code=matter.code,
                start=appointment_at,
                guidance_id=guidance.pk,
                now=now,
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.detail,
                errors=[FieldError(field="appointment_at", message=e.message) for e in exc.errors],
            ) from exc
    return guidance


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
