"""批前指导 / 预约预审 over HTTP: thin handlers over counter services and selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from tongban.catalog.models import localized
from tongban.counter import selectors, services
from tongban.counter.choices import GuidanceKind, GuidanceStatus
from tongban.counter.models import GuidanceRequest
from tongban.counter.schemas import GuidanceAnswerIn, GuidanceIn, GuidanceOut
from tongban.identity import selectors as identity_selectors
from tongban.identity.auth import signed_in
from tongban.identity.models import User

router = Router(tags=["guidance"], auth=signed_in)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def guidance_applicant_name(guidance: GuidanceRequest) -> str:
    """The enterprise asked for, else the account's person name (or user name)."""
    if guidance.applicant_enterprise is not None:
        return guidance.applicant_enterprise.name
    person = getattr(guidance.applicant_user, "person", None)
    return person.name if person is not None else guidance.applicant_user.get_username()


def guidance_out(guidance: GuidanceRequest) -> dict[str, Any]:
    """One guidance request as the API shows it."""
    matter = guidance.matter
    apply_url = (
        f"/apply/{matter.code}/?guidance={guidance.pk}"
        if guidance.status == GuidanceStatus.ANSWERED
        else None
    )
    return {
        "id": guidance.pk,
        "kind": guidance.kind,
        "kind_label": str(GuidanceKind(guidance.kind).label),
        "status": guidance.status,
        "status_label": str(GuidanceStatus(guidance.status).label),
        "matter": {"code": matter.code, "name": localized(matter, "name")},
        "department": {
            "code": matter.department.code,
            "name": localized(matter.department, "name"),
        },
        "applicant_name": guidance_applicant_name(guidance),
        "description": guidance.description,
        "draft_form": guidance.draft_form or {},
        "appointment_at": guidance.appointment_at,
        "answer": guidance.answer,
        "checked_items": list(guidance.checked_items or []),
        "answered_at": guidance.answered_at,
        "created_at": guidance.created_at,
        "apply_url": apply_url,
    }


@router.post("/guidance", response={201: GuidanceOut}, summary="申请批前指导 / 预约预审")
def guidance_create(request: HttpRequest, payload: GuidanceIn) -> Status[dict[str, Any]]:
    user = _user(request)
    guidance = services.guidance_request(
        actor=user,
        matter_code=payload.matter,
        kind=payload.kind,
        description=payload.description,
        draft_form=payload.draft_form,
        appointment_at=payload.appointment_at,
        applicant=payload.applicant.dict(exclude_none=True) if payload.applicant else None,
    )
    return Status(
        201, guidance_out(selectors.guidance_get_for_user(user=user, guidance_id=guidance.pk))
    )


@router.get(
    "/guidance",
    response=list[GuidanceOut],
    summary="批前指导列表（申请人：本人的；工作人员：本部门的）",
)
def guidance_list(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    user = _user(request)
    if identity_selectors.user_staff(user=user) is not None:
        rows = selectors.guidance_list_for_staff(user=user, status=status)
    else:
        rows = selectors.guidance_list_for_applicant(user=user)
        if status:
            rows = rows.filter(status=status)
    return [guidance_out(g) for g in rows[:200]]


@router.get("/guidance/{guidance_id}", response=GuidanceOut, summary="批前指导详情")
def guidance_detail(request: HttpRequest, guidance_id: int) -> dict[str, Any]:
    return guidance_out(
        selectors.guidance_get_for_user(user=_user(request), guidance_id=guidance_id)
    )


@router.post("/guidance/{guidance_id}/answer", response=GuidanceOut, summary="答复批前指导")
def guidance_answer(
    request: HttpRequest, guidance_id: int, payload: GuidanceAnswerIn
) -> dict[str, Any]:
    user = _user(request)
    guidance = selectors.guidance_get_for_user(user=user, guidance_id=guidance_id)
    services.guidance_answer(
        actor=user, guidance=guidance, answer=payload.answer, checked_items=payload.checked_items
    )
    return guidance_out(selectors.guidance_get_for_user(user=user, guidance_id=guidance_id))
