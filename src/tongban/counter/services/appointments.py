"""预约: booking a slot of a section (or of a matter with its own slots), cancelling, no-shows.

A slot's row is created on its first booking and locked (``select_for_update``)
by every booking and cancellation, so ``booked`` never passes ``capacity``
however many people book at once; the database's check constraint stands
behind that as a last guard.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from tongban.core.errors import (
    Conflict,
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.counter import rules
from tongban.counter.choices import AppointmentStatus
from tongban.counter.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    CenterSection,
    GuidanceRequest,
)
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

#: Letters of an appointment code: no 0/O or 1/I/L to misread at the kiosk.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
#: Statuses that hold a place in a slot.
HOLDING = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def booking_suspension_of(*, user: User, now: datetime) -> BookingSuspension | None:
    """The suspension in force for ``user`` at ``now``, if any (the one ending last)."""
    return BookingSuspension.objects.filter(user=user, until__gt=now).order_by("-until").first()


def _slot_locked(center: CenterSection, matter_id: int | None, start: datetime) -> AppointmentSlot:
    """The slot row (created on first booking), locked for this transaction."""
    length = timedelta(minutes=center.slot_minutes)
    AppointmentSlot.objects.bulk_create(
        [
            AppointmentSlot(
                section_id=center.section_id,
                matter_id=matter_id,
                start=start,
                end=start + length,
                capacity=center.slot_capacity,
            )
        ],
        # Two first bookings at once: one inserts, the other finds the row below.
        ignore_conflicts=True,
    )
    return AppointmentSlot.objects.select_for_update().get(
        rules.slot_matter_q(matter_id), section_id=center.section_id, start=start
    )


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    section_code: str,
    matter_code: str | None = None,
    start: datetime,
    guidance_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a place in the slot beginning at ``start`` for the signed-in ``actor``."""
    now = now or rules.local_now()
    center = rules.center_section_get(section_code)
    matter = rules.section_matter_get(center.section, matter_code)
    start = rules.aware(start)
    errors = rules.slot_errors(center=center, start=start, now=now, calendar=WorkCalendar())
    if errors:
        raise ValidationFailed(_("预约时间不可预约"), errors=errors)
    guidance = None
    if guidance_id is not None:
        guidance = GuidanceRequest.objects.filter(pk=guidance_id, applicant_user=actor).first()
        if guidance is None:
            raise _refuse("guidance", _("预审预约记录不存在"))
    # One person's bookings run one after the other, so the daily limit holds for them too.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    suspension = booking_suspension_of(user=actor, now=now)
    if suspension is not None:
        until = rules.local_now(suspension.until)
        raise PermissionDenied(
            _("因多次预约未到，预约功能暂停至 %(until)s") % {"until": f"{until:%Y-%m-%d %H:%M}"},
            extra={"suspended_until": suspension.until.isoformat()},
        )
    own_slots = rules.matter_has_own_slots(matter)
    slot = _slot_locked(center, matter.pk if own_slots and matter else None, start)
    mine = Appointment.objects.filter(user=actor, status__in=HOLDING)
    if mine.filter(slot=slot).exists():
        raise Conflict(_("您已预约了这个时段"))
    day = rules.local_now(start).date()
    limit = settings.APPOINTMENTS_PER_PERSON_PER_DAY
    if mine.filter(slot__start__date=day).count() >= limit:
        raise _refuse("start", _("每人每天最多预约 %(n)s 次") % {"n": limit})
    if slot.booked >= slot.capacity:
        raise Conflict(_("该时段已约满，请选择其他时段"))
    slot.booked += 1
    slot.save(update_fields=["booked"])
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Appointment.objects.create(
                    code=_code(), slot=slot, user=actor, matter=matter, guidance=guidance
                )
        except IntegrityError:
            continue  # the rare code already taken: draw another
    raise InvalidStateChange(_("预约繁忙，请稍后再试"))


def _own_appointment(actor: User, appointment_id: int) -> Appointment:
    if not 0 < appointment_id <= rules.MAX_ID:
        raise NotFound(_("预约不存在"))
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot")
        .filter(pk=appointment_id, user_id=actor.pk)
        .first()
    )
    if appointment is None:
        raise NotFound(_("预约不存在"))
    return appointment


@transaction.atomic
def appointment_cancel(
    *, actor: User, appointment_id: int, now: datetime | None = None
) -> Appointment:
    """Cancel one's own booked appointment before its slot begins; the place is freed."""
    now = now or rules.local_now()
    appointment = _own_appointment(actor, appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidStateChange(
            _("该预约当前状态为“%(status)s”，不能取消")
            % {"status": AppointmentStatus(appointment.status).label}
        )
    slot = AppointmentSlot.objects.select_for_update().get(pk=appointment.slot_id)
    if slot.start <= now:
        raise InvalidStateChange(_("预约时段已开始，不能再取消"))
    slot.booked = max(0, slot.booked - 1)
    slot.save(update_fields=["booked"])
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.save(update_fields=["status", "cancelled_at", "updated_at"])
    appointment.slot = slot
    return appointment


@transaction.atomic
def appointment_no_shows_mark(*, now: datetime | None = None) -> int:
    """Mark booked appointments whose slot ended without check-in as no-shows; suspend repeaters.

    ``APPOINTMENT_NO_SHOW_LIMIT`` no-shows within ``APPOINTMENT_NO_SHOW_WINDOW_DAYS`` days
    suspend booking for ``APPOINTMENT_SUSPENSION_DAYS`` days.  Returns how many were marked.
    """
    now = now or rules.local_now()
    overdue = Appointment.objects.filter(status=AppointmentStatus.BOOKED, slot__end__lte=now)
    users = set(overdue.values_list("user_id", flat=True))
    marked = overdue.order_by().update(status=AppointmentStatus.NO_SHOW, updated_at=now)
    since = now - timedelta(days=settings.APPOINTMENT_NO_SHOW_WINDOW_DAYS)
    repeaters = (
        Appointment.objects.filter(
            user_id__in=users, status=AppointmentStatus.NO_SHOW, slot__start__gte=since
        )
        .values("user_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=settings.APPOINTMENT_NO_SHOW_LIMIT)
        .values_list("user_id", flat=True)
    )
    already = set(
        BookingSuspension.objects.filter(user_id__in=list(repeaters), until__gt=now).values_list(
            "user_id", flat=True
        )
    )
    until = now + timedelta(days=settings.APPOINTMENT_SUSPENSION_DAYS)
    reason = _("%(days)s 天内预约未到 %(n)s 次") % {
        "days": settings.APPOINTMENT_NO_SHOW_WINDOW_DAYS,
        "n": settings.APPOINTMENT_NO_SHOW_LIMIT,
    }
    BookingSuspension.objects.bulk_create(
        [
            BookingSuspension(user_id=user_id, until=until, reason=reason)
            for user_id in repeaters
            if user_id not in already
        ]
    )
    return marked
