"""取号/叫号: numbers, hours, calling order, the clerk's steps, transfers, the hall's figures."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.catalog.models import Department
from tongban.core.errors import InvalidStateChange, NotFound, PermissionDenied, ValidationFailed
from tongban.counter import selectors, services
from tongban.counter.choices import AppointmentStatus, TicketSource, TicketStatus
from tongban.counter.models import CenterSection, NegativeListEntry, Ticket, Window
from tongban.counter.tests.factories import at, center_section, section_matter, window
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def commerce(departments: dict[str, Department]) -> CenterSection:
    return center_section("commerce", "A", name="商事登记")


@pytest.fixture
def general(departments: dict[str, Department]) -> CenterSection:
    return center_section("general", "F", name="综合办事")


@pytest.fixture
def center_clerk(departments: dict[str, Department]) -> User:
    return identity_services.staff_create(
        username="center-clerk-1",
        password="x-pass-2026",
        department_code="center",
        roles=[StaffRole.CLERK],
        name="窗口一",
    )


@pytest.fixture
def center_clerk2(departments: dict[str, Department]) -> User:
    return identity_services.staff_create(
        username="center-clerk-2",
        password="x-pass-2026",
        department_code="center",
        roles=[StaffRole.CLERK],
        name="窗口二",
    )


@pytest.fixture
def a1(commerce: CenterSection, center_clerk: User) -> Window:
    return window("A1", commerce, clerk=center_clerk)


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: str(e.message) for e in exc.value.errors}


def test_tickets_are_numbered_by_section_letter_and_day(commerce: CenterSection) -> None:
    first = services.ticket_issue(section_code="commerce", now=at(9, 5))
    second = services.ticket_issue(section_code="commerce", now=at(9, 6))
    next_day = services.ticket_issue(section_code="commerce", now=at(9, 5, dt.date(2026, 9, 16)))
    assert (first.number, second.number, next_day.number) == ("A001", "A002", "A001")
    assert first.status == TicketStatus.WAITING and first.source == TicketSource.KIOSK


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (at(8, 59), "办公时间"),
        (at(17, 0), "办公时间"),
        (at(10, 0, dt.date(2026, 9, 19)), "不是工作日"),  # a Saturday
        (at(10, 0, dt.date(2026, 10, 1)), "不是工作日"),  # 国庆节
    ],
)
def test_it_refuses_a_ticket_outside_hours_or_on_a_day_off(
    commerce: CenterSection, moment: dt.datetime, words: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_issue(section_code="commerce", now=moment)
    assert words in _fields(exc)["section"]
    assert not Ticket.objects.exists()


def test_a_lunch_break_closes_the_section(commerce: CenterSection) -> None:
    commerce.break_start, commerce.break_end = dt.time(12, 0), dt.time(13, 30)
    commerce.save()
    with pytest.raises(ValidationFailed):
        services.ticket_issue(section_code="commerce", now=at(12, 30))
    assert services.ticket_issue(section_code="commerce", now=at(13, 30)).number == "A001"


@pytest.mark.parametrize("code", ["nowhere", "", "com\x00merce", "closed"])
def test_it_refuses_an_unknown_or_closed_section(commerce: CenterSection, code: str) -> None:
    center_section("closed", "Z", is_open=False)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_issue(section_code=code, now=at(10))
    assert "section" in _fields(exc)
    assert not Ticket.objects.exists()


def test_a_matter_must_belong_to_the_section_and_not_be_on_the_negative_list(
    commerce: CenterSection, general: CenterSection
) -> None:
    own = section_matter("company-registration", commerce)
    other = section_matter("residence-permit", general, department="police")
    outside = section_matter("special-equipment", commerce)
    NegativeListEntry.objects.create(
        matter=outside, reason="需现场设备", handled_at="特种设备检测所"
    )
    assert (
        services.ticket_issue(section_code="commerce", matter_code=own.code, now=at(10)).matter
        == own
    )
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_issue(section_code="commerce", matter_code=other.code, now=at(10))
    assert "matter" in _fields(exc)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_issue(section_code="commerce", matter_code=outside.code, now=at(10))
    assert "特种设备检测所" in _fields(exc)["matter"]
    assert Ticket.objects.count() == 1


def test_the_clerk_calls_by_number_and_records_each_step(a1: Window, center_clerk: User) -> None:
    for minute in (1, 2):
        services.ticket_issue(section_code="commerce", now=at(9, minute))
    called = services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 10))
    assert called is not None and called.number == "A001"
    assert (called.status, called.window, called.called_at) == (TicketStatus.CALLED, a1, at(9, 10))
    services.ticket_recall(actor=center_clerk, number="a001", now=at(9, 11))
    services.ticket_start(actor=center_clerk, number="A001", now=at(9, 12))
    done = services.ticket_finish(actor=center_clerk, number="A001", now=at(9, 20))
    assert (done.status, done.recalls, done.started_at, done.finished_at) == (
        TicketStatus.DONE,
        1,
        at(9, 12),
        at(9, 20),
    )
    after = services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 21))
    assert after is not None and after.number == "A002"
    services.ticket_no_show(actor=center_clerk, number="A002", now=at(9, 25))
    assert services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 26)) is None


def test_a_clerk_not_on_the_window_cannot_call(
    a1: Window, center_clerk2: User, clerk: User, commerce: CenterSection
) -> None:
    services.ticket_issue(section_code="commerce", now=at(9, 1))
    for actor in (center_clerk2, clerk):
        with pytest.raises(PermissionDenied):
            services.ticket_call_next(actor=actor, window_code="A1", now=at(9, 10))
    with pytest.raises(NotFound):
        services.ticket_call_next(actor=center_clerk2, window_code="nope", now=at(9, 10))
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_a_dated_assignment_holds_that_day_only_and_standing_ones_every_working_day(
    commerce: CenterSection, center_clerk: User, center_clerk2: User
) -> None:
    window("A1", commerce, clerk=center_clerk)
    window("A2", commerce, clerk=center_clerk2, day=dt.date(2026, 9, 16))
    assert [w.code for w in selectors.windows_staffed_by(user=center_clerk, day=at(9).date())] == [
        "A1"
    ]
    assert selectors.windows_staffed_by(user=center_clerk, day=dt.date(2026, 9, 19)) == []
    assert selectors.windows_staffed_by(user=center_clerk2, day=at(9).date()) == []
    assert selectors.is_center_window_clerk(user=center_clerk, day=at(9).date())
    assert selectors.is_center_window_clerk(user=center_clerk2, day=dt.date(2026, 9, 16))
    assert not selectors.is_center_window_clerk(user=center_clerk2, day=at(9).date())


def test_only_center_clerks_are_center_window_clerks(commerce: CenterSection, clerk: User) -> None:
    window("A1", commerce, clerk=clerk)  # a market clerk put on a center window
    assert not selectors.is_center_window_clerk(user=clerk, day=at(9).date())


def test_a_clerk_finishes_the_current_ticket_before_calling_the_next(
    a1: Window, center_clerk: User
) -> None:
    services.ticket_issue(section_code="commerce", now=at(9, 1))
    services.ticket_issue(section_code="commerce", now=at(9, 2))
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 10))
    with pytest.raises(InvalidStateChange):
        services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 11))
    assert Ticket.objects.filter(status=TicketStatus.WAITING).count() == 1


def test_only_the_calling_clerk_acts_on_a_ticket_and_illegal_steps_are_refused(
    a1: Window, center_clerk: User, center_clerk2: User, commerce: CenterSection
) -> None:
    services.ticket_issue(section_code="commerce", now=at(9, 1))
    window("A2", commerce, clerk=center_clerk2)
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 10))
    with pytest.raises(PermissionDenied):
        services.ticket_finish(actor=center_clerk2, number="A001", now=at(9, 11))
    with pytest.raises(NotFound):
        services.ticket_finish(actor=center_clerk, number="A999", now=at(9, 11))
    with pytest.raises(NotFound):
        services.ticket_finish(actor=center_clerk, number="A001' OR 1=1", now=at(9, 11))
    services.ticket_start(actor=center_clerk, number="A001", now=at(9, 12))
    with pytest.raises(InvalidStateChange):
        services.ticket_no_show(actor=center_clerk, number="A001", now=at(9, 13))
    with pytest.raises(InvalidStateChange):
        services.ticket_recall(actor=center_clerk, number="A001", now=at(9, 13))
    services.ticket_finish(actor=center_clerk, number="A001", now=at(9, 20))
    with pytest.raises(InvalidStateChange):
        services.ticket_finish(actor=center_clerk, number="A001", now=at(9, 21))
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.finished_at) == (TicketStatus.DONE, at(9, 20))


def test_a_transfer_closes_the_ticket_and_queues_the_person_in_the_other_section(
    a1: Window, center_clerk: User, general: CenterSection
) -> None:
    services.ticket_issue(section_code="general", now=at(9, 0))
    services.ticket_issue(section_code="commerce", now=at(9, 1))
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 10))
    with pytest.raises(ValidationFailed):
        services.ticket_transfer(
            actor=center_clerk, number="A001", section_code="commerce", now=at(9, 12)
        )
    with pytest.raises(ValidationFailed):
        services.ticket_transfer(
            actor=center_clerk, number="A001", section_code="nowhere", now=at(9, 12)
        )
    closed = services.ticket_transfer(
        actor=center_clerk, number="A001", section_code="general", now=at(9, 15)
    )
    assert closed.status == TicketStatus.TRANSFERRED and closed.finished_at == at(9, 15)
    new = closed.transferred_to
    assert new is not None
    assert (new.number, new.source, new.status) == (
        "F002",
        TicketSource.TRANSFER,
        TicketStatus.WAITING,
    )


def test_a_transferred_priority_ticket_keeps_its_priority(
    a1: Window, center_clerk: User, general: CenterSection
) -> None:
    services.ticket_issue(section_code="general", now=at(9, 0))
    Ticket.objects.create(
        day=at(9).date(),
        section=a1.section,
        sequence=1,
        number="A001",
        priority=1,
        issued_at=at(9, 1),
    )
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 10))
    closed = services.ticket_transfer(
        actor=center_clerk, number="A001", section_code="general", now=at(9, 15)
    )
    assert closed.transferred_to is not None and closed.transferred_to.priority == 1
    view = selectors.ticket_view(number="F002", now=at(9, 16))
    assert view.ahead == 0  # called before F001, which took no priority


def test_a_window_with_matters_calls_its_matters_and_tickets_for_no_matter(
    commerce: CenterSection, center_clerk: User
) -> None:
    mine = section_matter("company-registration", commerce)
    other = section_matter("company-change", commerce)
    window("A9", commerce, clerk=center_clerk, matters=[mine])
    services.ticket_issue(section_code="commerce", matter_code=other.code, now=at(9, 1))
    services.ticket_issue(section_code="commerce", matter_code=mine.code, now=at(9, 2))
    services.ticket_issue(section_code="commerce", now=at(9, 3))
    numbers = []
    for minute in (10, 20, 30):
        ticket = services.ticket_call_next(actor=center_clerk, window_code="A9", now=at(9, minute))
        if ticket is not None:
            numbers.append(ticket.number)
            services.ticket_finish(actor=center_clerk, number=ticket.number, now=at(9, minute + 5))
    assert numbers == ["A002", "A003"]


def test_the_ticket_view_counts_people_ahead_and_estimates_the_wait(
    a1: Window, commerce: CenterSection, center_clerk: User
) -> None:
    for minute in range(1, 5):
        services.ticket_issue(section_code="commerce", now=at(9, minute))
    view = selectors.ticket_view(number="A004", now=at(9, 5))
    # 3 ahead × the default 10 minutes ÷ 1 window.
    assert (view.ahead, view.estimated_wait_minutes, view.status) == (3, 30, "waiting")
    # Measured service: 4 minutes.
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 10))
    services.ticket_start(actor=center_clerk, number="A001", now=at(9, 10))
    services.ticket_finish(actor=center_clerk, number="A001", now=at(9, 14))
    view = selectors.ticket_view(number="A004", now=at(9, 15))
    assert (view.ahead, view.estimated_wait_minutes) == (2, 8)
    called = selectors.ticket_view(number="A001", now=at(9, 15))
    assert (called.window, called.ahead, called.status) == ("A1", 0, "done")
    with pytest.raises(NotFound):
        selectors.ticket_view(number="A404", now=at(9, 15))


def test_center_sections_and_queue_today_show_the_hall(
    a1: Window, general: CenterSection, center_clerk: User
) -> None:
    for minute in range(1, 4):
        services.ticket_issue(section_code="commerce", now=at(9, minute))
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 11))
    services.ticket_finish(actor=center_clerk, number="A001", now=at(9, 17))
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 20))
    services.ticket_no_show(actor=center_clerk, number="A002", now=at(9, 22))
    sections = {s.code: s for s in selectors.center_sections(now=at(9, 30))}
    assert sections["commerce"].windows == 1 and sections["commerce"].waiting == 1
    assert sections["commerce"].open_now and sections["general"].windows == 0
    # Waits so far: A001 10 min, A002 18 min.
    assert sections["commerce"].average_wait_minutes == 14
    assert not selectors.center_sections(now=at(18))[0].open_now
    today = {s.code: s for s in selectors.queue_today(now=at(9, 30))}
    commerce = today["commerce"]
    assert (commerce.issued, commerce.waiting, commerce.served, commerce.no_shows) == (3, 1, 1, 1)
    assert (commerce.median_wait_minutes, commerce.median_service_minutes) == (14.0, 6.0)


def test_the_call_screen_lists_the_latest_call_or_recall_first(
    commerce: CenterSection, center_clerk: User, center_clerk2: User
) -> None:
    window("A1", commerce, clerk=center_clerk)
    window("A2", commerce, clerk=center_clerk2)
    services.ticket_issue(section_code="commerce", now=at(9, 1))
    services.ticket_issue(section_code="commerce", now=at(9, 2))
    services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 10))
    services.ticket_call_next(actor=center_clerk2, window_code="A2", now=at(9, 11))
    assert [c.number for c in selectors.called_tickets(now=at(9, 12))] == ["A002", "A001"]
    services.ticket_recall(actor=center_clerk, number="A001", now=at(9, 13))
    screen = selectors.called_tickets(now=at(9, 14))
    assert [(c.number, c.window, c.recalls) for c in screen] == [
        ("A001", "A1", 1),
        ("A002", "A2", 0),
    ]


def test_an_appointment_checks_in_for_a_priority_ticket_called_first_once_due(
    a1: Window, center_clerk: User, applicant: User
) -> None:
    appointment = services.appointment_book(
        actor=applicant, section_code="commerce", start=at(10, 0), now=at(8)
    )
    services.ticket_issue(section_code="commerce", now=at(9, 30))
    with pytest.raises(ValidationFailed):  # more than 30 minutes early
        services.ticket_issue(
            section_code="commerce", appointment_code=appointment.code, now=at(9, 29)
        )
    ticket = services.ticket_issue(
        section_code="commerce", appointment_code=appointment.code.lower(), now=at(9, 40)
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN and ticket.priority == 1
    assert ticket.source == TicketSource.APPOINTMENT and ticket.user == applicant
    # Before its slot begins the appointment waits its turn by number.
    first = services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(9, 50))
    assert first is not None and first.number == "A001"
    services.ticket_finish(actor=center_clerk, number="A001", now=at(9, 55))
    services.ticket_issue(section_code="commerce", now=at(9, 56))
    due = services.ticket_call_next(actor=center_clerk, window_code="A1", now=at(10, 1))
    assert due is not None and due.number == "A002"
    with pytest.raises(ValidationFailed):  # checked in already
        services.ticket_issue(
            section_code="commerce", appointment_code=appointment.code, now=at(10, 2)
        )


def test_an_appointment_code_of_another_person_or_section_is_refused(
    a1: Window, general: CenterSection, applicant: User, outsider: User
) -> None:
    appointment = services.appointment_book(
        actor=applicant, section_code="commerce", start=at(10, 0), now=at(8)
    )
    for section, user, code in (
        ("general", None, appointment.code),
        ("commerce", outsider, appointment.code),
        ("commerce", None, "NOSUCHCODE"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            services.ticket_issue(
                section_code=section, appointment_code=code, user=user, now=at(10)
            )
        assert "appointment" in _fields(exc)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and not Ticket.objects.exists()
