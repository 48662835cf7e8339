"""Reads of appointments: the free places of a day's slots, a person's own bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from tongban.counter import rules
from tongban.counter.models import Appointment, AppointmentSlot
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar


@dataclass(frozen=True)
class SlotView:
    start: datetime
    end: datetime
    capacity: int
    left: int


def slots_for(
    *, section_code: str, matter_code: str | None = None, day: date, now: datetime | None = None
) -> list[SlotView]:
    """The bookable slots of ``day``: opening hours less lunch, working days, never past ones.

    An unknown section or matter is refused (422); a holiday, a day too far ahead or a
    past day has no slots.
    """
    now = rules.local_now(now)
    center = rules.center_section_get(section_code)
    matter = rules.section_matter_get(center.section, matter_code)
    if (
        not center.is_open
        or day < now.date()
        or day > now.date() + timedelta(days=rules.bookable_days_ahead())
        or not WorkCalendar().is_working_day(day)
    ):
        return []
    matter_id = matter.pk if rules.matter_has_own_slots(matter) and matter else None
    slots = [slot for slot in rules.day_slots(center, day) if slot.start > now]
    if not slots:
        return []
    rows = {
        start: (capacity, booked)
        for start, capacity, booked in AppointmentSlot.objects.filter(
            rules.slot_matter_q(matter_id),
            section_id=center.section_id,
            start__gte=slots[0].start,
            start__lte=slots[-1].start,
        ).values_list("start", "capacity", "booked")
    }
    out = []
    for slot in slots:
        capacity, booked = rows.get(slot.start, (center.slot_capacity, 0))
        out.append(
            SlotView(
                start=slot.start, end=slot.end, capacity=capacity, left=max(0, capacity - booked)
            )
        )
    return out


def appointments_of(*, user: User) -> QuerySet[Appointment]:
    """The appointments ``user`` booked, the latest slot first."""
    if not getattr(user, "is_authenticated", False):
        return Appointment.objects.none()
    return (
        Appointment.objects.filter(user=user)
        .select_related("slot", "slot__section", "matter", "ticket")
        .order_by("-slot__start", "-pk")
    )


def appointment_of(*, user: User, appointment_id: int) -> Appointment | None:
    """One appointment of ``user`` (None when it is not theirs or does not exist)."""
    if not 0 < appointment_id <= rules.MAX_ID:
        return None
    return appointments_of(user=user).filter(pk=appointment_id).first()


def appointment_slots_of_day(*, day: date) -> QuerySet[AppointmentSlot]:
    """The center admin's view: every slot of ``day`` that has bookings, by section and time."""
    return (
        AppointmentSlot.objects.filter(start__date=day)
        .select_related("section", "matter")
        .order_by("section__order", "start", "matter__code")
    )
