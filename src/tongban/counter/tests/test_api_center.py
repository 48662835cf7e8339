"""The service center over HTTP: every endpoint, an outsider refused, each bad input unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tongban.catalog.models import Department
from tongban.counter import rules
from tongban.counter.choices import AppointmentStatus, TicketStatus
from tongban.counter.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    CenterSection,
    Ticket,
    Window,
)
from tongban.counter.tests.factories import at, center_section, window
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]
JSON = "application/json"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """The center's clock: 10:00 on a working day unless a test moves it."""
    state = {"now": at(10)}
    monkeypatch.setattr(
        rules, "local_now", lambda now=None: (now or state["now"]).astimezone(SHANGHAI)
    )
    cache.clear()  # the ticket throttle counts per address in the cache

    def move(moment: dt.datetime) -> None:
        state["now"] = moment

    return move


@pytest.fixture
def center(departments: dict[str, Department]) -> dict[str, CenterSection]:
    return {
        "commerce": center_section("commerce", "A", name="商事登记"),
        "general": center_section("general", "F", name="综合办事"),
    }


@pytest.fixture
def center_clerk(departments: dict[str, Department]) -> User:
    return identity_services.staff_create(
        username="center-clerk",
        password="x-pass-2026",
        department_code="center",
        roles=[StaffRole.CLERK],
        name="窗口",
    )


@pytest.fixture
def a1(center: dict[str, CenterSection], center_clerk: User) -> Window:
    return window("A1", center["commerce"], clerk=center_clerk)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def _take(client: Client, **body: Any) -> Any:
    return client.post("/api/v1/counter/tickets", body, content_type=JSON)


def test_sections_are_public_with_the_contract_fields(api_client: Client, a1: Window) -> None:
    _take(api_client, section="commerce")
    rows = {row["code"]: row for row in api_client.get("/api/v1/counter/sections").json()}
    commerce = rows["commerce"]
    assert {"code", "name", "windows", "waiting", "average_wait_minutes", "open_now"} <= set(
        commerce
    )
    assert (commerce["windows"], commerce["waiting"], commerce["open_now"]) == (1, 1, True)
    assert rows["general"]["windows"] == 0


def test_anyone_takes_a_ticket_and_looks_it_up(api_client: Client, a1: Window) -> None:
    response = _take(api_client, section="commerce")
    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["section"], body["status"], body["ahead"]) == (
        "A001",
        "commerce",
        "waiting",
        0,
    )
    assert body["estimated_wait_minutes"] == 0
    second = _take(api_client, section="commerce").json()
    assert (second["ahead"], second["estimated_wait_minutes"]) == (1, 10)
    seen = api_client.get("/api/v1/counter/tickets/a002").json()
    assert (seen["number"], seen["status"], seen["ahead"], seen["window"]) == (
        "A002",
        "waiting",
        1,
        None,
    )
    _problem(api_client.get("/api/v1/counter/tickets/A404"), 404)


def test_a_signed_in_caller_takes_a_phone_ticket(
    api_client: Client, a1: Window, applicant: User, bearer: Headers
) -> None:
    response = api_client.post(
        "/api/v1/counter/tickets", {"section": "commerce"}, content_type=JSON, **bearer(applicant)
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.user) == ("phone", applicant)


@pytest.mark.parametrize(
    "body",
    [
        {"section": "nowhere"},
        {"section": "closed"},
        {"section": "commerce", "matter": "no-such-matter"},
        {"section": "commerce", "appointment": "ZZZZZZZZ"},
        {"section": "commerce", "source": "transfer"},
        {"section": "x" * 41},
        {},
    ],
)
def test_bad_tickets_are_refused_with_field_errors(
    api_client: Client, a1: Window, body: dict[str, Any]
) -> None:
    center_section("closed", "Z", is_open=False)
    problem = _problem(_take(api_client, **body), 422)
    assert problem["errors"]
    assert not Ticket.objects.exists()


def test_no_ticket_outside_opening_hours(
    api_client: Client, a1: Window, clock: Callable[[dt.datetime], None]
) -> None:
    clock(at(18))
    problem = _problem(_take(api_client, section="commerce"), 422)
    assert "办公时间" in problem["errors"][0]["message"]
    assert not Ticket.objects.exists()


def test_anonymous_tickets_are_throttled(api_client: Client, a1: Window, settings: Any) -> None:
    settings.COUNTER_TICKET_RATE = "3/m"
    for _i in range(3):
        assert _take(api_client, section="commerce").status_code == 201
    problem = _problem(_take(api_client, section="commerce"), 429)
    assert problem["title"] == "请求过于频繁"
    assert Ticket.objects.count() == 3
    assert (
        api_client.post(
            "/api/v1/counter/tickets",
            {"section": "commerce"},
            content_type=JSON,
            REMOTE_ADDR="10.0.0.2",
        ).status_code
        == 201
    )


def test_windows_mine_is_for_center_window_clerks(
    api_client: Client, a1: Window, center_clerk: User, clerk: User, outsider: User, bearer: Headers
) -> None:
    assert api_client.get("/api/v1/counter/windows/mine").status_code == 401
    mine = api_client.get("/api/v1/counter/windows/mine", **bearer(center_clerk)).json()
    assert mine == [
        {
            "code": "A1",
            "section": "commerce",
            "section_name": "商事登记",
            "name": "A1号窗口",
            "kind": "comprehensive",
        }
    ]
    for user in (clerk, outsider):
        _problem(api_client.get("/api/v1/counter/windows/mine", **bearer(user)), 403)


def test_the_clerk_calls_serves_and_finishes_over_http(
    api_client: Client, a1: Window, center_clerk: User, bearer: Headers
) -> None:
    auth = bearer(center_clerk)
    assert api_client.post("/api/v1/counter/windows/A1/call", **auth).status_code == 204
    _take(api_client, section="commerce")
    called = api_client.post("/api/v1/counter/windows/A1/call", **auth)
    assert called.status_code == 200
    assert (called.json()["number"], called.json()["status"], called.json()["window"]) == (
        "A001",
        "called",
        "A1",
    )
    screen = api_client.get("/api/v1/counter/called").json()
    assert [(c["number"], c["window"]) for c in screen] == [("A001", "A1")]
    assert (
        api_client.post("/api/v1/counter/tickets/A001/recall", **auth).json()["status"] == "called"
    )
    assert (
        api_client.post("/api/v1/counter/tickets/A001/start", **auth).json()["status"] == "serving"
    )
    assert api_client.post("/api/v1/counter/tickets/A001/finish", **auth).json()["status"] == "done"
    _problem(api_client.post("/api/v1/counter/tickets/A001/finish", **auth), 409)
    _take(api_client, section="commerce")
    api_client.post("/api/v1/counter/windows/A1/call", **auth)
    assert (
        api_client.post("/api/v1/counter/tickets/A002/no-show", **auth).json()["status"]
        == "no_show"
    )
    today = {s["code"]: s for s in api_client.get("/api/v1/counter/today", **auth).json()}
    assert (today["commerce"]["served"], today["commerce"]["no_shows"]) == (1, 1)


def test_calling_at_a_window_one_does_not_staff_is_forbidden(
    api_client: Client, a1: Window, clerk: User, outsider: User, bearer: Headers
) -> None:
    _take(api_client, section="commerce")
    assert api_client.post("/api/v1/counter/windows/A1/call").status_code == 401
    for user in (clerk, outsider):
        _problem(api_client.post("/api/v1/counter/windows/A1/call", **bearer(user)), 403)
    _problem(api_client.post("/api/v1/counter/windows/nope/call", **bearer(clerk)), 404)
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_only_the_calling_clerk_moves_a_ticket_and_transfer_keeps_the_person_queued(
    api_client: Client, a1: Window, center_clerk: User, outsider: User, bearer: Headers
) -> None:
    _take(api_client, section="commerce")
    api_client.post("/api/v1/counter/windows/A1/call", **bearer(center_clerk))
    for action in ("recall", "start", "finish", "no-show"):
        _problem(api_client.post(f"/api/v1/counter/tickets/A001/{action}", **bearer(outsider)), 403)
    _problem(
        api_client.post(
            "/api/v1/counter/tickets/A001/transfer",
            {"section": "nowhere"},
            content_type=JSON,
            **bearer(center_clerk),
        ),
        422,
    )
    assert Ticket.objects.get().status == TicketStatus.CALLED
    moved = api_client.post(
        "/api/v1/counter/tickets/A001/transfer",
        {"section": "general"},
        content_type=JSON,
        **bearer(center_clerk),
    ).json()
    assert (moved["status"], moved["transferred_to"]) == ("transferred", "F001")
    assert api_client.get("/api/v1/counter/tickets/F001").json()["status"] == "waiting"


def test_today_is_for_center_staff(
    api_client: Client, a1: Window, center_admin: User, clerk: User, bearer: Headers
) -> None:
    assert api_client.get("/api/v1/counter/today", **bearer(center_admin)).status_code == 200
    _problem(api_client.get("/api/v1/counter/today", **bearer(clerk)), 403)


# --- appointments ------------------------------------------------------------------------


def _book(client: Client, auth: dict[str, str], start: dt.datetime, **extra: Any) -> Any:
    body = {"section": "commerce", "start": start.isoformat(), **extra}
    return client.post("/api/v1/appointments", body, content_type=JSON, **auth)


def test_slots_are_public_and_only_on_working_days(
    api_client: Client, center: dict[str, CenterSection], clock: Callable[[dt.datetime], None]
) -> None:
    clock(at(7))
    slots = api_client.get("/api/v1/appointments/slots?section=commerce&date=2026-09-15").json()
    assert slots[0] == {
        "start": "2026-09-15T09:00:00+08:00",
        "end": "2026-09-15T09:30:00+08:00",
        "capacity": 5,
        "left": 5,
    }
    assert (
        api_client.get("/api/v1/appointments/slots?section=commerce&date=2026-10-01").json() == []
    )
    _problem(api_client.get("/api/v1/appointments/slots?section=commerce&date=2026-13-01"), 422)
    _problem(api_client.get("/api/v1/appointments/slots?section=nowhere&date=2026-09-15"), 422)


def test_a_person_books_lists_and_cancels(
    api_client: Client,
    center: dict[str, CenterSection],
    applicant: User,
    bearer: Headers,
    clock: Any,
) -> None:
    clock(at(7))
    auth = bearer(applicant)
    assert _book(api_client, {}, at(10)).status_code == 401
    response = _book(api_client, auth, at(10))
    assert response.status_code == 201
    body = response.json()
    assert (body["section"], body["matter"], body["status"], body["start"]) == (
        "commerce",
        None,
        "booked",
        "2026-09-15T10:00:00+08:00",
    )
    assert len(body["code"]) == 8
    assert [a["id"] for a in api_client.get("/api/v1/appointments", **auth).json()] == [body["id"]]
    cancelled = api_client.post(f"/api/v1/appointments/{body['id']}/cancel", **auth).json()
    assert cancelled["status"] == "cancelled"
    assert AppointmentSlot.objects.get().booked == 0


def test_cancelling_someone_elses_appointment_is_not_found(
    api_client: Client,
    center: dict[str, CenterSection],
    applicant: User,
    outsider: User,
    bearer: Headers,
    clock: Any,
) -> None:
    clock(at(7))
    booked = _book(api_client, bearer(applicant), at(10)).json()
    for appointment_id in (booked["id"], 10**6, 2**70):
        _problem(
            api_client.post(f"/api/v1/appointments/{appointment_id}/cancel", **bearer(outsider)),
            404,
        )
    assert api_client.get("/api/v1/appointments", **bearer(outsider)).json() == []
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED
    assert AppointmentSlot.objects.get().booked == 1


@pytest.mark.parametrize(
    ("start", "status"),
    [
        (at(6), 422),  # past
        (at(10, 0, dt.date(2026, 10, 1)), 422),  # 国庆节
        (at(10, 0, dt.date(2026, 9, 19)), 422),  # Saturday
        (at(18), 422),  # after hours
        (at(10, 10), 422),  # not a slot boundary
    ],
)
def test_bad_booking_times_are_refused(
    api_client: Client,
    center: dict[str, CenterSection],
    applicant: User,
    bearer: Headers,
    clock: Any,
    start: dt.datetime,
    status: int,
) -> None:
    clock(at(7))
    problem = _problem(_book(api_client, bearer(applicant), start), status)
    assert problem["errors"][0]["field"] == "start"
    assert not Appointment.objects.exists() and not AppointmentSlot.objects.exists()


def test_full_twice_over_the_limit_and_suspended_are_refused(
    api_client: Client,
    center: dict[str, CenterSection],
    applicant: User,
    bearer: Headers,
    clock: Any,
) -> None:
    clock(at(7))
    auth = bearer(applicant)
    for i in range(5):
        person = identity_services.user_create(username=f"p{i}", password="x-pass-2026")
        assert _book(api_client, bearer(person), at(9)).status_code == 201
    _problem(_book(api_client, auth, at(9)), 409)  # full
    assert _book(api_client, auth, at(10)).status_code == 201
    _problem(_book(api_client, auth, at(10)), 409)  # twice
    assert _book(api_client, auth, at(11)).status_code == 201
    problem = _problem(_book(api_client, auth, at(14)), 422)  # over the daily limit
    assert "每人每天" in problem["errors"][0]["message"]
    BookingSuspension.objects.create(
        user=applicant, until=at(7) + dt.timedelta(days=30), reason="x"
    )
    problem = _problem(_book(api_client, auth, at(10, 0, dt.date(2026, 9, 16))), 403)  # suspended
    assert problem["suspended_until"].startswith("2026-10-14")
    assert Appointment.objects.filter(user=applicant).count() == 2
    assert AppointmentSlot.objects.get(start=at(9)).booked == 5


def test_an_appointment_checks_in_at_the_kiosk_for_a_priority_ticket(
    api_client: Client, a1: Window, applicant: User, bearer: Headers, clock: Any
) -> None:
    clock(at(7))
    booked = _book(api_client, bearer(applicant), at(10)).json()
    clock(at(9, 45))
    ticket = _take(api_client, section="commerce", appointment=booked["code"])
    assert ticket.status_code == 201 and ticket.json()["priority"] is True
    mine = api_client.get("/api/v1/appointments", **bearer(applicant)).json()[0]
    assert (mine["status"], mine["ticket"]) == ("checked_in", ticket.json()["number"])
