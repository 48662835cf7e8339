"""Reads of the hall: sections and their queues, one ticket, the call screen, who staffs what."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from tongban.catalog.models import localized
from tongban.core.errors import NotFound
from tongban.counter import rules
from tongban.counter.choices import TicketStatus
from tongban.counter.models import CenterSection, Ticket, Window, WindowAssignment
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

#: The department whose clerks staff the center's windows (CONTRACT: demo department codes).
CENTER_DEPARTMENT = "center"


@dataclass(frozen=True)
class SectionView:
    code: str
    name: str
    letter: str
    #: Windows of the section staffed today.
    windows: int
    waiting: int
    #: Today's measured wait (taken → called) on average; the estimate until someone is called.
    average_wait_minutes: int
    #: What a ticket taken now would wait: people waiting × median service time ÷ windows.
    estimated_wait_minutes: int
    open_now: bool
    opens_at: time
    closes_at: time
    break_start: time | None
    break_end: time | None


@dataclass(frozen=True)
class TicketView:
    number: str
    section: str
    section_name: str
    status: str
    status_label: str
    window: str | None
    window_name: str | None
    ahead: int
    estimated_wait_minutes: int
    priority: bool
    issued_at: datetime
    called_at: datetime | None
    transferred_to: str | None


@dataclass(frozen=True)
class CalledTicket:
    number: str
    window: str
    window_name: str
    window_name_en: str
    section: str
    status: str
    called_at: datetime
    announced_at: datetime
    recalls: int


@dataclass(frozen=True)
class SectionDay:
    code: str
    name: str
    letter: str
    windows: int
    issued: int
    waiting: int
    called: int
    serving: int
    served: int
    no_shows: int
    transferred: int
    median_wait_minutes: float | None
    median_service_minutes: float | None


def center_today(now: datetime | None = None) -> date:
    """Today in the service center's time zone."""
    return rules.local_now(now).date()


def _staffing(day: date, calendar: WorkCalendar | None = None) -> Q:
    """Assignments that hold on ``day``: dated that day, or standing on a working day."""
    calendar = calendar or WorkCalendar()
    if calendar.is_working_day(day):
        return Q(date=day) | Q(date__isnull=True)
    return Q(date=day)


def windows_staffed_by(*, user: User, day: date) -> list[Window]:
    """The active windows ``user`` staffs on ``day``."""
    if not getattr(user, "is_authenticated", False):
        return []
    window_ids = WindowAssignment.objects.filter(_staffing(day), clerk=user).values("window_id")
    return list(Window.objects.filter(pk__in=window_ids, is_active=True).select_related("section"))


def window_staffed_by(*, user: User, window: Window, day: date) -> bool:
    """Whether ``user`` staffs ``window`` on ``day``."""
    if not getattr(user, "is_authenticated", False) or not window.is_active:
        return False
    return WindowAssignment.objects.filter(_staffing(day), clerk=user, window=window).exists()


def is_center_window_clerk(*, user: User, day: date | None = None) -> bool:
    """A clerk (窗口受理) of the center department who staffs a window on ``day`` (today)."""
    profile = identity_selectors.user_staff(user=user)
    if profile is None or profile.department.code != CENTER_DEPARTMENT:
        return False
    if StaffRole.CLERK not in identity_selectors.user_roles(user=user):
        return False
    return bool(windows_staffed_by(user=user, day=day or rules.local_now().date()))


def _staffed_windows_per_section(day: date) -> dict[int, int]:
    staffed = WindowAssignment.objects.filter(_staffing(day), window__is_active=True)
    rows = (
        Window.objects.filter(pk__in=staffed.values("window_id"))
        .values("section_id")
        .annotate(n=Count("pk"))
    )
    return {row["section_id"]: row["n"] for row in rows}


def median_service_minutes(*, section_id: int, default: int) -> float:
    """The median service time of the section's recent finished tickets (default until some)."""
    recent = (
        Ticket.objects.filter(
            section_id=section_id,
            status=TicketStatus.DONE,
            started_at__isnull=False,
            finished_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[: settings.COUNTER_SERVICE_SAMPLE]
    )
    median = rules.median_minutes(end - start for start, end in recent if start and end)
    return float(default) if median is None else median


def _estimate(ahead: int, service_minutes: float, windows: int) -> int:
    """People ahead × median service time ÷ windows staffed (at least one), whole minutes."""
    if ahead <= 0:
        return 0
    return math.ceil(ahead * service_minutes / max(1, windows))


def center_sections(*, now: datetime | None = None) -> list[SectionView]:
    """Every section of the center: windows today, queue length, waits, whether open now."""
    now = rules.local_now(now)
    today = now.date()
    calendar = WorkCalendar()
    centers = list(CenterSection.objects.select_related("section"))
    windows = _staffed_windows_per_section(today)
    waiting = dict(
        Ticket.objects.filter(day=today, status=TicketStatus.WAITING)
        .values_list("section_id")
        .annotate(n=Count("pk"))
        .values_list("section_id", "n")
    )
    called_today = Ticket.objects.filter(day=today, called_at__isnull=False).values_list(
        "section_id", "issued_at", "called_at"
    )
    waits: dict[int, list[float]] = {}
    for section_id, issued_at, called_at in called_today:
        if called_at is not None:
            waits.setdefault(section_id, []).append((called_at - issued_at).total_seconds() / 60)
    out = []
    for center in centers:
        section_id = center.section_id
        staffed = windows.get(section_id, 0)
        queue = waiting.get(section_id, 0)
        estimate = _estimate(
            queue,
            median_service_minutes(section_id=section_id, default=center.default_service_minutes),
            staffed,
        )
        measured = waits.get(section_id)
        average = round(sum(measured) / len(measured)) if measured else estimate
        out.append(
            SectionView(
                code=center.section.code,
                name=localized(center.section, "name"),
                letter=center.letter,
                windows=staffed,
                waiting=queue,
                average_wait_minutes=average,
                estimated_wait_minutes=estimate,
                open_now=rules.is_open_at(center, now, calendar),
                opens_at=center.opens_at,
                closes_at=center.closes_at,
                break_start=center.break_start,
                break_end=center.break_end,
            )
        )
    return out


def ticket_due_q(now: datetime) -> Q:
    """Waiting tickets called before the rest: appointments whose slot has begun, transfers."""
    return Q(priority__gt=0) & (Q(appointment__isnull=True) | Q(appointment__slot__start__lte=now))


def ticket_ahead(*, ticket: Ticket, now: datetime) -> int:
    """How many waiting tickets of the section come before ``ticket``."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    others = Ticket.objects.filter(
        day=ticket.day, section_id=ticket.section_id, status=TicketStatus.WAITING
    ).exclude(pk=ticket.pk)
    mine_due = Ticket.objects.filter(ticket_due_q(now), pk=ticket.pk).exists()
    if mine_due:
        return others.filter(ticket_due_q(now), sequence__lt=ticket.sequence).count()
    return others.filter(ticket_due_q(now) | Q(sequence__lt=ticket.sequence)).count()


def ticket_view(*, number: str, now: datetime | None = None) -> TicketView:
    """Today's ticket ``number`` as its holder sees it: status, window, people ahead, wait."""
    now = rules.local_now(now)
    clean = rules.ticket_number_clean(number)
    ticket = (
        Ticket.objects.select_related("section", "window", "transferred_to")
        .filter(day=now.date(), number=clean)
        .first()
        if clean
        else None
    )
    if ticket is None:
        raise NotFound(_("今天没有这个号：%(number)s") % {"number": (number or "")[:12]})
    return ticket_view_of(ticket=ticket, now=now)


def ticket_view_of(*, ticket: Ticket, now: datetime | None = None) -> TicketView:
    """``ticket`` as its holder sees it (see ``ticket_view``)."""
    now = rules.local_now(now)
    ahead = ticket_ahead(ticket=ticket, now=now)
    estimate = 0
    if ticket.status == TicketStatus.WAITING:
        center = CenterSection.objects.filter(section_id=ticket.section_id).first()
        default = center.default_service_minutes if center is not None else 10
        estimate = _estimate(
            ahead,
            median_service_minutes(section_id=ticket.section_id, default=default),
            _staffed_windows_per_section(ticket.day).get(ticket.section_id, 0),
        )
    window = ticket.window
    return TicketView(
        number=ticket.number,
        section=ticket.section.code,
        section_name=localized(ticket.section, "name"),
        status=ticket.status,
        status_label=str(TicketStatus(ticket.status).label),
        window=window.code if window is not None else None,
        window_name=localized(window, "name") if window is not None else None,
        ahead=ahead,
        estimated_wait_minutes=estimate,
        priority=ticket.priority > 0,
        issued_at=rules.local_now(ticket.issued_at),
        called_at=rules.local_now(ticket.called_at) if ticket.called_at else None,
        transferred_to=ticket.transferred_to.number if ticket.transferred_to else None,
    )


def called_tickets(*, now: datetime | None = None, limit: int = 8) -> list[CalledTicket]:
    """Today's tickets at a window (called or being served), the latest call or recall first."""
    now = rules.local_now(now)
    rows = (
        Ticket.objects.filter(
            day=now.date(),
            status__in=(TicketStatus.CALLED, TicketStatus.SERVING),
            window__isnull=False,
        )
        .select_related("window", "section")
        .order_by("-announced_at", "-pk")[: max(1, min(limit, 50))]
    )
    out = []
    for ticket in rows:
        assert ticket.window is not None and ticket.called_at is not None
        out.append(
            CalledTicket(
                number=ticket.number,
                window=ticket.window.code,
                window_name=ticket.window.name,
                window_name_en=ticket.window.name_en,
                section=ticket.section.code,
                status=ticket.status,
                called_at=rules.local_now(ticket.called_at),
                announced_at=rules.local_now(ticket.announced_at or ticket.called_at),
                recalls=ticket.recalls,
            )
        )
    return out


def queue_today(*, now: datetime | None = None) -> list[SectionDay]:
    """The center admin's view of today per section: counts, median wait and service time."""
    now = rules.local_now(now)
    today = now.date()
    windows = _staffed_windows_per_section(today)
    tickets = Ticket.objects.filter(day=today).values_list(
        "section_id", "status", "issued_at", "called_at", "started_at", "finished_at"
    )
    by_section: dict[
        int, list[tuple[str, datetime, datetime | None, datetime | None, datetime | None]]
    ]
    by_section = {}
    for section_id, *rest in tickets:
        by_section.setdefault(section_id, []).append(tuple(rest))  # type: ignore[arg-type]
    out = []
    for center in CenterSection.objects.select_related("section"):
        rows = by_section.get(center.section_id, [])
        statuses = [row[0] for row in rows]
        waits = [called - issued for _s, issued, called, _st, _f in rows if called is not None]
        services = [
            finished - started
            for status, _i, _c, started, finished in rows
            if status == TicketStatus.DONE and started is not None and finished is not None
        ]
        median_wait = rules.median_minutes(waits)
        median_service = rules.median_minutes(services)
        out.append(
            SectionDay(
                code=center.section.code,
                name=localized(center.section, "name"),
                letter=center.letter,
                windows=windows.get(center.section_id, 0),
                issued=len(rows),
                waiting=statuses.count(TicketStatus.WAITING),
                called=statuses.count(TicketStatus.CALLED),
                serving=statuses.count(TicketStatus.SERVING),
                served=statuses.count(TicketStatus.DONE),
                no_shows=statuses.count(TicketStatus.NO_SHOW),
                transferred=statuses.count(TicketStatus.TRANSFERRED),
                median_wait_minutes=None if median_wait is None else round(median_wait, 1),
                median_service_minutes=None if median_service is None else round(median_service, 1),
            )
        )
    return out


def held_ticket(*, user: User, window: Window, now: datetime | None = None) -> Ticket | None:
    """The ticket the clerk is calling or serving at ``window`` now, if any."""
    now = rules.local_now(now)
    return (
        Ticket.objects.filter(
            day=now.date(),
            window=window,
            clerk=user,
            status__in=(TicketStatus.CALLED, TicketStatus.SERVING),
        )
        .select_related("section", "window")
        .first()
    )
