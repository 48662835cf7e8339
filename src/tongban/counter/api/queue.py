"""取号/叫号 over HTTP: sections, tickets (anyone, throttled), the clerk's window and steps."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from tongban.catalog.models import localized
from tongban.core.errors import FieldError, PermissionDenied, ValidationFailed
from tongban.core.throttling import SettingRateThrottle
from tongban.counter import selectors, services
from tongban.counter.choices import TicketSource
from tongban.counter.models import Ticket, Window
from tongban.counter.schemas import (
    CalledOut,
    CenterSectionOut,
    SectionDayOut,
    TicketIn,
    TicketOut,
    TransferIn,
    WindowOut,
)
from tongban.identity import selectors as identity_selectors
from tongban.identity.auth import signed_in
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.identity.services import api_token_user

router = Router(tags=["counter"], auth=signed_in)

#: Anonymous tickets (kiosk, phone): TONGBAN_COUNTER_TICKET_RATE per client address.
ticket_throttle = SettingRateThrottle(scope="counter-ticket", setting="COUNTER_TICKET_RATE")
#: What a kiosk or a phone may ask for; appointments and transfers have their own way in.
PUBLIC_SOURCES = (TicketSource.KIOSK, TicketSource.PHONE)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _optional_user(request: HttpRequest) -> User | None:
    """The caller when signed in (session or bearer token); None for a kiosk."""
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        return user
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return api_token_user(token=header[7:].strip())
    return None


def _ticket_out(ticket: Ticket) -> dict[str, Any]:
    return asdict(selectors.ticket_view_of(ticket=ticket))


def _window_out(window: Window) -> dict[str, Any]:
    return {
        "code": window.code,
        "section": window.section.code,
        "section_name": localized(window.section, "name"),
        "name": localized(window, "name"),
        "kind": window.kind,
    }


def _center_staff(user: User, roles: tuple[str, ...]) -> bool:
    profile = identity_selectors.user_staff(user=user)
    if profile is None or profile.department.code != selectors.CENTER_DEPARTMENT:
        return False
    return any(role in identity_selectors.user_roles(user=user) for role in roles)


@router.get("/counter/sections", response=list[CenterSectionOut], auth=None, summary="中心各板块")
def sections(request: HttpRequest) -> list[dict[str, Any]]:
    return [asdict(section) for section in selectors.center_sections()]


@router.post(
    "/counter/tickets",
    response={201: TicketOut},
    auth=None,
    throttle=[ticket_throttle],
    summary="取号（现场取号机、手机；预约签到）",
)
def ticket_issue(request: HttpRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    user = _optional_user(request)
    source = payload.source or (TicketSource.PHONE if user is not None else TicketSource.KIOSK)
    if source not in PUBLIC_SOURCES:
        message = _("只能是：%(values)s") % {"values": "、".join(PUBLIC_SOURCES)}
        raise ValidationFailed(message, errors=[FieldError(field="source", message=message)])
    ticket = services.ticket_issue(
        section_code=payload.section,
        matter_code=payload.matter,
        appointment_code=payload.appointment,
        user=user,
        source=source,
    )
    return Status(201, _ticket_out(ticket))


@router.get("/counter/tickets/{number}", response=TicketOut, auth=None, summary="查询排队号")
def ticket_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    return asdict(selectors.ticket_view(number=number))


@router.get("/counter/called", response=list[CalledOut], auth=None, summary="叫号屏：最近叫到的号")
def called(
    request: HttpRequest, limit: int = Query(8, ge=1, le=50, description="条数")
) -> list[dict[str, Any]]:
    return [asdict(c) for c in selectors.called_tickets(limit=max(1, min(limit, 50)))]


@router.get("/counter/windows/mine", response=list[WindowOut], summary="我今天值班的窗口")
def windows_mine(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    if not _center_staff(user, (StaffRole.CLERK,)):
        raise PermissionDenied(_("只有服务中心的窗口工作人员可以查看"))
    day = selectors.center_today()
    return [_window_out(w) for w in selectors.windows_staffed_by(user=user, day=day)]


@router.get("/counter/today", response=list[SectionDayOut], summary="今日排队情况（中心管理）")
def today(request: HttpRequest) -> list[dict[str, Any]]:
    if not _center_staff(_user(request), (StaffRole.CENTER_ADMIN, StaffRole.CLERK)):
        raise PermissionDenied(_("只有服务中心的工作人员可以查看"))
    return [asdict(section) for section in selectors.queue_today()]


@router.post(
    "/counter/windows/{code}/call",
    response={200: TicketOut, 204: None},
    summary="叫下一号（预约到时者优先，其余按号序）",
)
def window_call(request: HttpRequest, code: str) -> Status[Any]:
    ticket = services.ticket_call_next(actor=_user(request), window_code=code)
    if ticket is None:
        return Status(204, None)
    return Status(200, _ticket_out(ticket))


@router.post("/counter/tickets/{number}/recall", response=TicketOut, summary="重呼")
def ticket_recall(request: HttpRequest, number: str) -> dict[str, Any]:
    return _ticket_out(services.ticket_recall(actor=_user(request), number=number))


@router.post("/counter/tickets/{number}/start", response=TicketOut, summary="开始办理")
def ticket_start(request: HttpRequest, number: str) -> dict[str, Any]:
    return _ticket_out(services.ticket_start(actor=_user(request), number=number))


@router.post("/counter/tickets/{number}/finish", response=TicketOut, summary="办结")
def ticket_finish(request: HttpRequest, number: str) -> dict[str, Any]:
    return _ticket_out(services.ticket_finish(actor=_user(request), number=number))


@router.post("/counter/tickets/{number}/no-show", response=TicketOut, summary="过号")
def ticket_no_show(request: HttpRequest, number: str) -> dict[str, Any]:
    return _ticket_out(services.ticket_no_show(actor=_user(request), number=number))


@router.post(
    "/counter/tickets/{number}/transfer",
    response=TicketOut,
    summary="转到另一个板块排队（保留优先级）",
)
def ticket_transfer(request: HttpRequest, number: str, payload: TransferIn) -> dict[str, Any]:
    ticket = services.ticket_transfer(
        actor=_user(request), number=number, section_code=payload.section
    )
    return _ticket_out(ticket)
