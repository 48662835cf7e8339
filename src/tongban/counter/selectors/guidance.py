"""Reads of 批前指导 / 预审 requests: an applicant sees their own, staff their department's."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.counter.choices import GuidanceStatus
from tongban.counter.models import GuidanceRequest
from tongban.identity import selectors as identity_selectors
from tongban.identity.models import User

_RELATED = ("matter", "matter__department", "applicant_user", "applicant_enterprise", "answered_by")


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def guidance_visible_to_applicant(*, user: User, guidance: GuidanceRequest) -> bool:
    """Whether ``user`` asked for it, or is a live agent of the enterprise it was asked for."""
    if not _signed_in(user):
        return False
    if guidance.applicant_user_id == user.pk:
        return True
    return guidance.applicant_enterprise_id is not None and identity_selectors.user_is_agent_of_id(
        user=user, enterprise_id=guidance.applicant_enterprise_id
    )


def guidance_visible_to_staff(*, user: User, guidance: GuidanceRequest) -> bool:
    """Whether ``user`` is staff of the department of the guidance's matter."""
    profile = identity_selectors.user_staff(user=user) if _signed_in(user) else None
    return profile is not None and profile.department_id == guidance.matter.department_id


def guidance_list_for_applicant(*, user: User) -> QuerySet[GuidanceRequest]:
    """The caller's guidance requests (and their enterprises'), newest first."""
    if not _signed_in(user):
        return GuidanceRequest.objects.none()
    enterprise_ids = [e.pk for e in identity_selectors.user_enterprises(user=user)]
    return (
        GuidanceRequest.objects.filter(
            Q(applicant_user=user) | Q(applicant_enterprise_id__in=enterprise_ids)
        )
        .select_related(*_RELATED)
        .order_by("-created_at", "-id")
    )


def guidance_list_for_staff(*, user: User, status: str | None = None) -> QuerySet[GuidanceRequest]:
    """Guidance requests for the matters of the caller's department, open ones first."""
    profile = identity_selectors.user_staff(user=user) if _signed_in(user) else None
    if profile is None:
        return GuidanceRequest.objects.none()
    if status and status not in GuidanceStatus.values:
        raise ValidationFailed(
            _("状态无效"),
            errors=[
                FieldError(
                    field="status",
                    message=_("只能是：%(values)s") % {"values": "、".join(GuidanceStatus.values)},
                )
            ],
        )
    rows = GuidanceRequest.objects.filter(matter__department_id=profile.department_id)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related(*_RELATED).order_by("appointment_at", "-created_at", "-id")


def guidance_get_for_user(*, user: User, guidance_id: int) -> GuidanceRequest:
    """One guidance request the caller may see (its applicant or staff of its department)."""
    guidance = GuidanceRequest.objects.select_related(*_RELATED).filter(pk=guidance_id).first()
    if guidance is None or not (
        guidance_visible_to_applicant(user=user, guidance=guidance)
        or guidance_visible_to_staff(user=user, guidance=guidance)
    ):
        raise NotFound(_("指导申请不存在"))
    return guidance
