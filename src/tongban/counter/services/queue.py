"""取号/叫号: tickets of a section's queue, called at a window, served, transferred.

A ticket's times are recorded when they happen (issued, called, started,
finished), so the waiting and service times the hall shows are read, never
recomputed from guesses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, IntegerField, Max, Q, Value, When
from django.utils.translation import gettext as _

from tongban.catalog.models import Matter
from tongban.core.errors import (
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.counter import rules
from tongban.counter.choices import AppointmentStatus, TicketSource, TicketStatus
from tongban.counter.models import Appointment, CenterSection, Ticket, Window
from tongban.counter.selectors.queue import ticket_due_q, window_staffed_by
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

#: Ticket statuses a clerk still holds (one at a time per window).
HELD = (TicketStatus.CALLED, TicketStatus.SERVING)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _appointment_check_in(
    *, code: str, center: CenterSection, user: User | None, now: datetime
) -> Appointment:
    """The booked appointment ``code`` for this section, due now; locked and checked in."""
    code = (code or "").strip().upper()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot")
        .filter(code=code)
        .first()
        if code and "\x00" not in code
        else None
    )
    signed_in = user is not None and user.is_authenticated
    if (
        appointment is None
        or appointment.slot.section_id != center.section_id
        or (signed_in and user is not None and appointment.user_id != user.pk)
    ):
        raise _refuse("appointment", _("预约码无效，或不是本板块的预约"))
    if appointment.status != AppointmentStatus.BOOKED:
        raise _refuse(
            "appointment",
            _("该预约当前状态为“%(status)s”，不能签到")
            % {"status": AppointmentStatus(appointment.status).label},
        )
    early = timedelta(minutes=settings.APPOINTMENT_CHECK_IN_EARLY_MINUTES)
    if not appointment.slot.start - early <= now < appointment.slot.end:
        start = rules.local_now(appointment.slot.start)
        end = rules.local_now(appointment.slot.end)
        raise _refuse(
            "appointment",
            _("预约时段为 %(start)s–%(end)s，可在开始前 %(early)s 分钟至结束前签到")
            % {
                "start": f"{start:%Y-%m-%d %H:%M}",
                "end": f"{end:%H:%M}",
                "early": settings.APPOINTMENT_CHECK_IN_EARLY_MINUTES,
            },
        )
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = now
    appointment.save(update_fields=["status", "checked_in_at", "updated_at"])
    return appointment


def _ticket_create(
    *,
    center: CenterSection,
    day_now: datetime,
    matter: Matter | None,
    source: str,
    user: User | None,
    appointment: Appointment | None,
    priority: int,
) -> Ticket:
    """The next number of the section's day; the section row is locked while it is taken."""
    CenterSection.objects.select_for_update().filter(pk=center.pk).first()
    day = rules.local_now(day_now).date()
    for _attempt in range(5):
        last = Ticket.objects.filter(day=day, section_id=center.section_id).aggregate(
            last=Max("sequence")
        )["last"]
        sequence = (last or 0) + 1
        try:
            # Without row locks (SQLite) two issuers may pick one number: the unique
            # constraint refuses the second, which takes the next.
            with transaction.atomic():
                return Ticket.objects.create(
                    day=day,
                    section_id=center.section_id,
                    sequence=sequence,
                    number=rules.ticket_number_format(center.letter, sequence),
                    matter=matter,
                    source=source,
                    appointment=appointment,
                    priority=priority,
                    user=user if user is not None and user.is_authenticated else None,
                    issued_at=day_now,
                )
        except IntegrityError:
            continue
    raise InvalidStateChange(_("取号繁忙，请稍后再试"))


@transaction.atomic
def ticket_issue(
    *,
    section_code: str,
    matter_code: str | None = None,
    appointment_code: str | None = None,
    user: User | None = None,
    source: str = TicketSource.KIOSK,
    now: datetime | None = None,
) -> Ticket:
    """Take a ticket of a section (kiosk or phone); with an appointment code, with priority."""
    now = now or rules.local_now()
    center = rules.center_section_get(section_code)
    reason = rules.closed_reason(center, now, WorkCalendar())
    if reason is not None:
        raise _refuse("section", reason)
    matter = rules.section_matter_get(center.section, matter_code)
    if source not in TicketSource.values:
        raise _refuse("source", _("取号来源无效"))
    appointment = None
    holder = None
    if appointment_code:
        appointment = _appointment_check_in(
            code=appointment_code, center=center, user=user, now=now
        )
        source = TicketSource.APPOINTMENT
        matter = matter or appointment.matter
        holder = appointment.user
    return _ticket_create(
        center=center,
        day_now=now,
        matter=matter,
        source=source,
        user=user if user is not None and user.is_authenticated else holder,
        appointment=appointment,
        priority=1 if appointment is not None else 0,
    )


def _window_get(code: str) -> Window:
    code = (code or "").strip()
    window = (
        Window.objects.select_related("section").filter(code=code, is_active=True).first()
        if code and "\x00" not in code
        else None
    )
    if window is None:
        raise NotFound(_("窗口不存在"))
    return window


def _next_waiting(window: Window, now: datetime) -> list[int]:
    """Ids of waiting tickets the window may call, in calling order (a short head)."""
    day = rules.local_now(now).date()
    rows = Ticket.objects.filter(day=day, section_id=window.section_id, status=TicketStatus.WAITING)
    matter_ids = list(window.matters.values_list("pk", flat=True))
    if matter_ids:
        # A window with a matter list takes its matters, and tickets taken for no matter.
        rows = rows.filter(Q(matter_id__in=matter_ids) | Q(matter__isnull=True))
    rows = rows.annotate(
        due=Case(
            When(ticket_due_q(now), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    ).order_by("-due", "sequence")
    return list(rows.values_list("pk", flat=True)[:20])


@transaction.atomic
def ticket_call_next(
    *, actor: User, window_code: str, now: datetime | None = None
) -> Ticket | None:
    """Call the next ticket at the clerk's window (appointments due first); None if nobody waits."""
    now = now or rules.local_now()
    window = _window_get(window_code)
    if not window_staffed_by(user=actor, window=window, day=rules.local_now(now).date()):
        raise PermissionDenied(_("您今天不在该窗口值班，不能在此叫号"))
    held = Ticket.objects.filter(
        day=rules.local_now(now).date(), window=window, clerk=actor, status__in=HELD
    ).first()
    if held is not None:
        raise InvalidStateChange(
            _("请先办结、转移或标记过号当前的 %(number)s，再叫下一号") % {"number": held.number}
        )
    for pk in _next_waiting(window, now):
        rows = Ticket.objects.filter(pk=pk, status=TicketStatus.WAITING)
        if connection.features.has_select_for_update_skip_locked:
            # Another clerk holding this row is calling it: take the next instead of waiting.
            locked = rows.select_for_update(skip_locked=True, of=("self",))
            if not list(locked.values_list("pk", flat=True)):
                continue
        # The conditional update is the guard everywhere (SQLite has no row locks).
        claimed = rows.order_by().update(
            status=TicketStatus.CALLED,
            window=window,
            clerk=actor,
            called_at=now,
            announced_at=now,
            updated_at=now,
        )
        if claimed:
            return Ticket.objects.select_related("window", "section").get(pk=pk)
    return None


def _held_ticket(actor: User, number: str, now: datetime) -> Ticket:
    """Today's ticket ``number``, locked; only the clerk who called it may act on it."""
    clean = rules.ticket_number_clean(number)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("window", "section")
        .filter(day=rules.local_now(now).date(), number=clean)
        .first()
        if clean
        else None
    )
    if ticket is None:
        raise NotFound(_("今天没有这个号：%(number)s") % {"number": (number or "")[:12]})
    if ticket.clerk_id != actor.pk:
        raise PermissionDenied(_("只有叫这个号的工作人员可以办理它"))
    return ticket


def _require(ticket: Ticket, allowed: tuple[str, ...], action: str) -> None:
    if ticket.status not in allowed:
        raise InvalidStateChange(
            _("%(number)s 当前状态为“%(status)s”，不能%(action)s")
            % {
                "number": ticket.number,
                "status": TicketStatus(ticket.status).label,
                "action": action,
            }
        )


@transaction.atomic
def ticket_recall(*, actor: User, number: str, now: datetime | None = None) -> Ticket:
    """Call the same ticket again (the screen announces it once more)."""
    now = now or rules.local_now()
    ticket = _held_ticket(actor, number, now)
    _require(ticket, (TicketStatus.CALLED,), _("重呼该号"))
    ticket.recalls += 1
    ticket.announced_at = now
    ticket.save(update_fields=["recalls", "announced_at", "updated_at"])
    return ticket


@transaction.atomic
def ticket_start(*, actor: User, number: str, now: datetime | None = None) -> Ticket:
    """The person came to the window: service starts."""
    now = now or rules.local_now()
    ticket = _held_ticket(actor, number, now)
    _require(ticket, (TicketStatus.CALLED,), _("开始办理该号"))
    ticket.status = TicketStatus.SERVING
    ticket.started_at = now
    ticket.save(update_fields=["status", "started_at", "updated_at"])
    return ticket


@transaction.atomic
def ticket_finish(*, actor: User, number: str, now: datetime | None = None) -> Ticket:
    """Service finished (办结); a called ticket finished at once counts from its call."""
    now = now or rules.local_now()
    ticket = _held_ticket(actor, number, now)
    _require(ticket, HELD, _("办结该号"))
    ticket.status = TicketStatus.DONE
    ticket.started_at = ticket.started_at or ticket.called_at
    ticket.finished_at = now
    ticket.save(update_fields=["status", "started_at", "finished_at", "updated_at"])
    return ticket


@transaction.atomic
def ticket_no_show(*, actor: User, number: str, now: datetime | None = None) -> Ticket:
    """Called and never came (过号)."""
    now = now or rules.local_now()
    ticket = _held_ticket(actor, number, now)
    _require(ticket, (TicketStatus.CALLED,), _("将该号标记为过号"))
    ticket.status = TicketStatus.NO_SHOW
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at", "updated_at"])
    return ticket


@transaction.atomic
def ticket_transfer(
    *, actor: User, number: str, section_code: str, now: datetime | None = None
) -> Ticket:
    """Close the ticket as transferred and queue the person in another section (same priority).

    Returns the closed ticket; ``transferred_to`` is the new one.
    """
    now = now or rules.local_now()
    ticket = _held_ticket(actor, number, now)
    _require(ticket, HELD, _("转移该号"))
    center = rules.center_section_get(section_code)
    if center.section_id == ticket.section_id:
        raise _refuse("section", _("已在该板块排队，请选择另一个板块"))
    reason = rules.closed_reason(center, now, WorkCalendar())
    if reason is not None:
        raise _refuse("section", reason)
    matter = None
    if ticket.matter_id is not None:
        matter = Matter.objects.filter(pk=ticket.matter_id, section_id=center.section_id).first()
    new = _ticket_create(
        center=center,
        day_now=now,
        matter=matter,
        source=TicketSource.TRANSFER,
        user=ticket.user,
        appointment=None,
        priority=ticket.priority,
    )
    ticket.status = TicketStatus.TRANSFERRED
    ticket.started_at = ticket.started_at or ticket.called_at
    ticket.finished_at = now
    ticket.transferred_to = new
    ticket.save(
        update_fields=["status", "started_at", "finished_at", "transferred_to", "updated_at"]
    )
    return ticket
