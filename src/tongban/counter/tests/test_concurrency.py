"""Many at once: bookings never pass a slot's capacity; two clerks never call the same ticket."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tongban.catalog.models import Department
from tongban.core.errors import Conflict
from tongban.counter import services
from tongban.counter.choices import TicketStatus
from tongban.counter.models import Appointment, AppointmentSlot, Ticket
from tongban.counter.tests.factories import at, center_section, window
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL"
    ),
]


def _together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released at once; their results or exceptions."""
    barrier = threading.Barrier(n)
    outcomes: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = work(i)
        except Exception as exc:  # the test counts the refusals
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_fifty_people_booking_a_slot_of_five_at_once_give_exactly_five(
    departments: dict[str, Department],
) -> None:
    center_section("commerce", "A", slot_capacity=5)
    people = [
        identity_services.user_create(username=f"booker{i}", password="x-pass-2026")
        for i in range(50)
    ]
    outcomes = _together(
        50,
        lambda i: services.appointment_book(
            actor=people[i], section_code="commerce", start=at(10), now=at(7)
        ),
    )
    booked = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(booked) == 5
    assert len(refused) == 45 and all(isinstance(o, Conflict) for o in refused), refused[:3]
    slot = AppointmentSlot.objects.get()
    assert (slot.booked, slot.capacity) == (5, 5)
    assert Appointment.objects.count() == 5


def test_clerks_calling_at_once_never_get_the_same_ticket(
    departments: dict[str, Department],
) -> None:
    commerce = center_section("commerce", "A")
    clerks = [
        identity_services.staff_create(
            username=f"center-clerk-{i}",
            password="x-pass-2026",
            department_code="center",
            roles=[StaffRole.CLERK],
        )
        for i in range(8)
    ]
    for i, clerk in enumerate(clerks):
        window(f"A{i + 1}", commerce, clerk=clerk)
    for minute in range(40):
        services.ticket_issue(section_code="commerce", now=at(9, minute))

    def serve_until_empty(i: int) -> list[str]:
        numbers = []
        while True:
            ticket = services.ticket_call_next(actor=clerks[i], window_code=f"A{i + 1}", now=at(10))
            if ticket is None:
                return numbers
            numbers.append(ticket.number)
            services.ticket_finish(actor=clerks[i], number=ticket.number, now=at(10, 5))

    outcomes = _together(8, serve_until_empty)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    called = Counter(number for numbers in outcomes for number in numbers)
    assert len(called) == 40 and set(called.values()) == {1}
    assert set(Ticket.objects.values_list("status", flat=True)) == {TicketStatus.DONE}


def test_tickets_taken_at_once_get_distinct_numbers(departments: dict[str, Department]) -> None:
    center_section("commerce", "A")
    outcomes = _together(
        20, lambda i: services.ticket_issue(section_code="commerce", now=at(10)).number
    )
    assert sorted(outcomes) == [f"A{n:03d}" for n in range(1, 21)]
