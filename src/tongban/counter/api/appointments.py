"""预约 over HTTP: free places of a day (anyone), booking, one's own list, cancelling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from tongban.catalog.models import localized
from tongban.core.errors import NotFound
from tongban.counter import rules, selectors, services
from tongban.counter.choices import AppointmentStatus
from tongban.counter.models import Appointment
from tongban.counter.schemas import AppointmentIn, AppointmentOut, SlotOut
from tongban.identity.auth import signed_in
from tongban.identity.models import User

router = Router(tags=["appointments"], auth=signed_in)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def appointment_out(appointment: Appointment) -> dict[str, Any]:
    """One appointment as the API shows it to the person who booked it."""
    slot = appointment.slot
    matter = appointment.matter
    ticket = getattr(appointment, "ticket", None)
    return {
        "id": appointment.pk,
        "code": appointment.code,
        "section": slot.section.code,
        "section_name": localized(slot.section, "name"),
        "matter": matter.code if matter is not None else None,
        "matter_name": localized(matter, "name") if matter is not None else None,
        "start": rules.local_now(slot.start),
        "end": rules.local_now(slot.end),
        "status": appointment.status,
        "status_label": str(AppointmentStatus(appointment.status).label),
        "ticket": ticket.number if ticket is not None else None,
    }


def _own(user: User, appointment_id: int) -> dict[str, Any]:
    appointment = selectors.appointment_of(user=user, appointment_id=appointment_id)
    if appointment is None:
        raise NotFound(_("预约不存在"))
    return appointment_out(appointment)


@router.get(
    "/appointments/slots",
    response=list[SlotOut],
    auth=None,
    summary="可预约时段（工作日办公时间内）",
)
def slots(
    request: HttpRequest, section: str, date: dt.date, matter: str | None = None
) -> list[dict[str, Any]]:
    return [
        {"start": s.start, "end": s.end, "capacity": s.capacity, "left": s.left}
        for s in selectors.slots_for(section_code=section, matter_code=matter, day=date)
    ]


@router.post("/appointments", response={201: AppointmentOut}, summary="预约")
def appointment_book(request: HttpRequest, payload: AppointmentIn) -> Status[dict[str, Any]]:
    user = _user(request)
    appointment = services.appointment_book(
        actor=user, section_code=payload.section, matter_code=payload.matter, start=payload.start
    )
    return Status(201, _own(user, appointment.pk))


@router.get("/appointments", response=list[AppointmentOut], summary="我的预约")
def appointment_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [appointment_out(a) for a in selectors.appointments_of(user=_user(request))[:200]]


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut, summary="取消预约")
def appointment_cancel(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    user = _user(request)
    services.appointment_cancel(actor=user, appointment_id=appointment_id)
    return _own(user, appointment_id)
