"""预约: slots of a day, booking and its refusals, cancelling, no-shows and suspension."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.catalog.models import Department, Matter
from tongban.core.errors import (
    Conflict,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.core.periodic import registered_periodic
from tongban.counter import selectors, services
from tongban.counter.choices import AppointmentStatus, GuidanceKind
from tongban.counter.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    CenterSection,
    GuidanceRequest,
)
from tongban.counter.tasks import appointment_no_shows_sweep
from tongban.counter.tests.conftest import NOW, WORKDAY_10AM
from tongban.counter.tests.factories import WORKDAY, at, center_section, section_matter
from tongban.identity import services as identity_services
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

#: The morning before WORKDAY's slots.
EARLY = at(7)


@pytest.fixture
def commerce(departments: dict[str, Department]) -> CenterSection:
    return center_section(
        "commerce", "A", name="商事登记", break_start=dt.time(12, 0), break_end=dt.time(13, 30)
    )


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: str(e.message) for e in exc.value.errors}


def _people(n: int) -> list[User]:
    return [
        identity_services.user_create(username=f"p{i}", password="x-pass-2026") for i in range(n)
    ]


def test_slots_follow_hours_less_lunch_and_are_never_past(commerce: CenterSection) -> None:
    slots = selectors.slots_for(section_code="commerce", day=WORKDAY, now=EARLY)
    starts = [f"{s.start.astimezone(at(0).tzinfo):%H:%M}" for s in slots]
    assert starts[:2] == ["09:00", "09:30"] and starts[-1] == "16:30"
    assert "12:00" not in starts and "13:00" not in starts and "13:30" in starts
    assert len(slots) == 6 + 7 and all(s.capacity == 5 and s.left == 5 for s in slots)
    later = selectors.slots_for(section_code="commerce", day=WORKDAY, now=at(15, 10))
    assert [f"{s.start.astimezone(at(0).tzinfo):%H:%M}" for s in later] == [
        "15:30",
        "16:00",
        "16:30",
    ]


def test_no_slots_on_days_off_in_the_past_or_too_far_ahead(commerce: CenterSection) -> None:
    for day in (
        dt.date(2026, 9, 19),
        dt.date(2026, 10, 1),
        dt.date(2026, 9, 14),
        dt.date(2026, 12, 1),
    ):
        assert selectors.slots_for(section_code="commerce", day=day, now=EARLY) == []
    with pytest.raises(ValidationFailed):
        selectors.slots_for(section_code="nowhere", day=WORKDAY, now=EARLY)


def test_booking_takes_a_place_and_the_slot_shows_it(
    commerce: CenterSection, applicant: User
) -> None:
    appointment = services.appointment_book(
        actor=applicant, section_code="commerce", start=at(10), now=EARLY
    )
    assert appointment.status == AppointmentStatus.BOOKED and len(appointment.code) == 8
    assert appointment.slot.start == at(10) and appointment.slot.end == at(10, 30)
    left = {
        s.start: s.left
        for s in selectors.slots_for(section_code="commerce", day=WORKDAY, now=EARLY)
    }
    assert left[at(10)] == 4 and left[at(9, 30)] == 5
    assert list(selectors.appointments_of(user=applicant)) == [appointment]


@pytest.mark.parametrize(
    ("start", "words"),
    [
        (at(6), "晚于当前时间"),
        (at(10, 0, dt.date(2026, 10, 1)), "不是工作日"),
        (at(10, 0, dt.date(2026, 9, 19)), "不是工作日"),
        (at(8, 30), "办公时间"),
        (at(12, 30), "办公时间"),
        (at(16, 45), "时段的开始"),
        (at(10, 10), "时段的开始"),
        (at(10, 0, dt.date(2026, 11, 3)), "天以内"),
    ],
)
def test_it_refuses_a_time_that_is_not_a_bookable_slot(
    commerce: CenterSection, applicant: User, start: dt.datetime, words: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.appointment_book(actor=applicant, section_code="commerce", start=start, now=EARLY)
    assert words in _fields(exc)["start"]
    assert not Appointment.objects.exists() and not AppointmentSlot.objects.exists()


def test_a_full_slot_is_a_conflict(commerce: CenterSection, applicant: User) -> None:
    for person in _people(5):
        services.appointment_book(actor=person, section_code="commerce", start=at(10), now=EARLY)
    with pytest.raises(Conflict):
        services.appointment_book(actor=applicant, section_code="commerce", start=at(10), now=EARLY)
    assert AppointmentSlot.objects.get().booked == 5 and Appointment.objects.count() == 5


def test_the_same_slot_twice_is_a_conflict_and_the_daily_limit_holds(
    commerce: CenterSection, applicant: User
) -> None:
    services.appointment_book(actor=applicant, section_code="commerce", start=at(10), now=EARLY)
    with pytest.raises(Conflict):
        services.appointment_book(actor=applicant, section_code="commerce", start=at(10), now=EARLY)
    services.appointment_book(actor=applicant, section_code="commerce", start=at(14), now=EARLY)
    with pytest.raises(ValidationFailed) as exc:
        services.appointment_book(actor=applicant, section_code="commerce", start=at(15), now=EARLY)
    assert "每人每天" in _fields(exc)["start"]
    assert Appointment.objects.count() == 2
    # Another day is another day's limit.
    services.appointment_book(
        actor=applicant, section_code="commerce", start=at(10, 0, dt.date(2026, 9, 16)), now=EARLY
    )


def test_a_cancelled_booking_frees_its_place_and_no_longer_counts(
    commerce: CenterSection, applicant: User, outsider: User
) -> None:
    first = services.appointment_book(
        actor=applicant, section_code="commerce", start=at(10), now=EARLY
    )
    with pytest.raises(NotFound):
        services.appointment_cancel(actor=outsider, appointment_id=first.pk, now=EARLY)
    with pytest.raises(NotFound):
        services.appointment_cancel(actor=applicant, appointment_id=10**6, now=EARLY)
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED
    cancelled = services.appointment_cancel(actor=applicant, appointment_id=first.pk, now=at(8))
    assert cancelled.status == AppointmentStatus.CANCELLED and cancelled.cancelled_at == at(8)
    assert AppointmentSlot.objects.get().booked == 0
    with pytest.raises(InvalidStateChange):
        services.appointment_cancel(actor=applicant, appointment_id=first.pk, now=at(8))
    again = services.appointment_book(
        actor=applicant, section_code="commerce", start=at(10), now=at(8)
    )
    with pytest.raises(InvalidStateChange):  # the slot has begun
        services.appointment_cancel(actor=applicant, appointment_id=again.pk, now=at(10, 5))
    assert AppointmentSlot.objects.get().booked == 1


def test_a_matter_with_its_own_slots_books_apart_from_the_section(
    commerce: CenterSection, applicant: User, outsider: User
) -> None:
    own = section_matter("commercial-performance", commerce, pre_review_channel=True)
    plain = section_matter("company-registration", commerce)
    a = services.appointment_book(
        actor=applicant, section_code="commerce", matter_code=own.code, start=at(10), now=EARLY
    )
    b = services.appointment_book(
        actor=outsider, section_code="commerce", matter_code=plain.code, start=at(10), now=EARLY
    )
    assert a.slot.matter == own and a.matter == own
    assert b.slot.matter is None and b.matter == plain
    section_left = selectors.slots_for(section_code="commerce", day=WORKDAY, now=EARLY)
    matter_left = selectors.slots_for(
        section_code="commerce", matter_code=own.code, day=WORKDAY, now=EARLY
    )
    assert {s.start: s.left for s in section_left}[at(10)] == 4
    assert {s.start: s.left for s in matter_left}[at(10)] == 4


def test_no_shows_are_marked_after_the_slot_and_three_suspend_booking(
    commerce: CenterSection, applicant: User
) -> None:
    days = [dt.date(2026, 9, 15), dt.date(2026, 9, 16), dt.date(2026, 9, 17)]
    for day in days:
        services.appointment_book(
            actor=applicant, section_code="commerce", start=at(10, 0, day), now=EARLY
        )
    assert services.appointment_no_shows_mark(now=at(10, 29)) == 0
    assert services.appointment_no_shows_mark(now=at(10, 30)) == 1
    assert services.appointment_no_shows_mark(now=at(11, 0, days[1])) == 1
    assert not BookingSuspension.objects.exists()
    assert services.appointment_no_shows_mark(now=at(11, 0, days[2])) == 1
    suspension = BookingSuspension.objects.get(user=applicant)
    assert suspension.until == at(11, 0, days[2]) + dt.timedelta(days=30)
    with pytest.raises(PermissionDenied) as exc:
        services.appointment_book(
            actor=applicant,
            section_code="commerce",
            start=at(10, 0, dt.date(2026, 9, 21)),
            now=at(12, 0, days[2]),
        )
    assert "暂停至 2026-10-17" in str(exc.value.detail)
    assert exc.value.extra["suspended_until"] == suspension.until.isoformat()
    assert Appointment.objects.count() == 3
    # Marking again changes nothing and adds no second suspension.
    assert services.appointment_no_shows_mark(now=at(12, 0, days[2])) == 0
    assert BookingSuspension.objects.count() == 1


def test_a_checked_in_or_cancelled_appointment_is_never_a_no_show(
    commerce: CenterSection, applicant: User
) -> None:
    kept = services.appointment_book(
        actor=applicant, section_code="commerce", start=at(10), now=EARLY
    )
    dropped = services.appointment_book(
        actor=applicant, section_code="commerce", start=at(14), now=EARLY
    )
    services.ticket_issue(section_code="commerce", appointment_code=kept.code, now=at(9, 45))
    services.appointment_cancel(actor=applicant, appointment_id=dropped.pk, now=at(9, 50))
    assert services.appointment_no_shows_mark(now=at(17)) == 0


def test_the_no_show_sweep_is_a_periodic_job(commerce: CenterSection) -> None:
    assert "appointment-no-shows" in {spec.name for spec in registered_periodic()}
    assert appointment_no_shows_sweep() == 0


def test_a_pre_review_appointment_takes_a_place_in_the_same_slots(
    channel: Matter, applicant: User, outsider: User
) -> None:
    guidance = services.guidance_request(
        actor=applicant,
        matter_code="commercial-performance",
        kind=GuidanceKind.PRE_REVIEW,
        description="演出预审",
        appointment_at=WORKDAY_10AM,
        now=NOW,
    )
    appointment = Appointment.objects.get()
    assert (appointment.guidance, appointment.user, appointment.matter) == (
        guidance,
        applicant,
        channel,
    )
    assert appointment.slot.start == WORKDAY_10AM and appointment.slot.booked == 1
    left = selectors.slots_for(
        section_code="construction", matter_code="commercial-performance", day=WORKDAY, now=NOW
    )
    assert {s.start: s.left for s in left}[WORKDAY_10AM] == 4
    AppointmentSlot.objects.update(capacity=1)
    with pytest.raises(Conflict):
        services.guidance_request(
            actor=outsider,
            matter_code="commercial-performance",
            kind=GuidanceKind.PRE_REVIEW,
            description="演出预审",
            appointment_at=WORKDAY_10AM,
            now=NOW,
        )
    assert GuidanceRequest.objects.count() == 1 and Appointment.objects.count() == 1
