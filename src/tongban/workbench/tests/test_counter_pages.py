"""The center's workbench pages: a window clerk's "my window" and the center admin's day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tongban.counter import services as counter_services
from tongban.counter.models import Ticket, WindowAssignment
from tongban.identity.models import User
from tongban.portal.tests.center_fixtures import (
    Clock,
    Hall,
    sign_in,
    window_clerk,
)
from tongban.workflow.calendar import SHANGHAI

URL = "/workbench/counter/window/"
ADMIN_URL = "/workbench/counter/center/"


def html(response: Any) -> str:
    return response.content.decode()


def english(client: Client) -> None:
    client.cookies["django_language"] = "en"


def post(client: Client, action: str, **data: str) -> Any:
    return client.post(URL, {"action": action, "window": "A01", **data})


# --- access -----------------------------------------------------------------------------------


def test_my_window_needs_sign_in(client: Client, hall: Hall) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["outsider", "clerk", "center_admin", "idle_center_clerk"])
def test_only_a_center_window_clerk_on_duty_gets_my_window(
    client: Client, hall: Hall, request: pytest.FixtureRequest, who: str
) -> None:
    user = (
        window_clerk("idle-clerk") if who == "idle_center_clerk" else request.getfixturevalue(who)
    )
    sign_in(client, user)
    response = client.get(URL)
    assert response.status_code == 403
    assert "叫下一号" not in html(response)
    assert post(client, "call").status_code == 403
    assert not Ticket.objects.filter(status="called").exists()


def test_a_clerk_on_duty_only_on_another_day_is_refused(client: Client, hall: Hall) -> None:
    WindowAssignment.objects.filter(clerk=hall.clerk).update(date=dt.date(2026, 9, 16))
    sign_in(client, hall.clerk)
    assert client.get(URL).status_code == 403


def test_a_clerk_cannot_act_at_a_window_they_do_not_staff(client: Client, hall: Hall) -> None:
    counter_services.ticket_issue(section_code="social")
    sign_in(client, hall.clerk)
    response = client.post(URL, {"action": "call", "window": "B01"})
    assert response.status_code == 403
    assert "您今天不在该窗口值班" in html(response)
    assert Ticket.objects.get().status == "waiting"


# --- the clerk's day --------------------------------------------------------------------------


def test_the_clerk_calls_serves_and_finishes(client: Client, hall: Hall, hall_clock: Clock) -> None:
    counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_issue(section_code="commerce")
    sign_in(client, hall.clerk)
    page = html(client.get(URL))
    assert "1号综合窗口" in page and "等候 2 人" in page and "叫下一号" in page
    assert "我的窗口" in page  # the navigation shows it to a center clerk
    response = post(client, "call")
    assert response.status_code == 302 and response["Location"] == f"{URL}?window=A01"
    page = html(client.get(response["Location"]))
    assert "已叫号 A001" in page and "data-current>A001<" in page
    # The desk engineer's pages: accept for this walk-in, and the output window.
    assert "data-desk-accept" in page and "?ticket=A001" in page
    assert "data-desk-outputs" in page
    hall_clock.advance(1)
    assert post(client, "recall", number="A001").status_code == 302
    hall_clock.advance(1)
    assert post(client, "start", number="A001").status_code == 302
    hall_clock.advance(8)
    assert post(client, "finish", number="A001").status_code == 302
    ticket = Ticket.objects.get(number="A001")
    assert ticket.status == "done" and ticket.recalls == 1 and ticket.clerk == hall.clerk
    assert ticket.started_at is not None and ticket.finished_at is not None
    assert "当前没有正在办理的号" in html(client.get(URL))


def test_the_clerk_marks_a_no_show_and_transfers(
    client: Client, hall: Hall, hall_clock: Clock
) -> None:
    for _ in range(2):
        counter_services.ticket_issue(section_code="commerce")
    sign_in(client, hall.clerk)
    post(client, "call")
    assert post(client, "no_show", number="A001").status_code == 302
    post(client, "call")
    response = post(client, "transfer", number="A002", section="social")
    assert response.status_code == 302
    assert "A002 已转到其他板块，新号码 B001" in html(client.get(response["Location"]))
    assert Ticket.objects.get(number="A001").status == "no_show"
    assert Ticket.objects.get(number="A002").status == "transferred"
    assert Ticket.objects.get(number="B001").status == "waiting"


def test_my_window_in_english(client: Client, hall: Hall) -> None:
    counter_services.ticket_issue(section_code="commerce")
    sign_in(client, hall.clerk)
    english(client)
    page = html(client.get(URL))
    assert "My window" in page and "Call next" in page and "1 waiting" in page
    post(client, "call")
    page = html(client.get(URL))
    assert "Accept a case for this walk-in" in page and "Transfer to another section" in page


@pytest.mark.parametrize(
    ("action", "data", "status", "message"),
    [
        ("recall", {"number": "A009"}, 404, "今天没有这个号"),
        ("transfer", {"number": "A001"}, 400, "请选择要转去的板块"),
        ("transfer", {"number": "A001", "section": "commerce"}, 422, "已在该板块排队"),
        ("transfer", {"number": "A001", "section": "nowhere"}, 422, "板块不存在"),
        ("start", {"number": "A002"}, 403, "只有叫这个号的工作人员可以办理它"),
        ("call", {}, 409, "请先办结、转移或标记过号当前的 A001"),
        ("explode", {"number": "A001"}, 400, "未知的操作"),
    ],
)
def test_a_wrong_action_is_refused_clearly_and_changes_nothing(
    client: Client, hall: Hall, action: str, data: dict[str, str], status: int, message: str
) -> None:
    counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_issue(section_code="commerce")
    sign_in(client, hall.clerk)
    post(client, "call")
    before = list(Ticket.objects.order_by("pk").values("number", "status", "recalls"))
    response = post(client, action, **data)
    assert response.status_code == status, html(response)[:3000]
    assert message in html(response)
    assert list(Ticket.objects.order_by("pk").values("number", "status", "recalls")) == before


def test_calling_when_nobody_waits_says_so(client: Client, hall: Hall) -> None:
    sign_in(client, hall.clerk)
    response = post(client, "call")
    assert "目前没有人在等候" in html(client.get(response["Location"]))


# --- the center admin --------------------------------------------------------------------------


def test_the_center_admin_sees_the_day(
    client: Client, hall: Hall, hall_clock: Clock, center_admin: User, applicant: User
) -> None:
    for _ in range(3):
        counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_call_next(actor=hall.clerk, window_code="A01")
    hall_clock.advance(5)
    counter_services.ticket_no_show(actor=hall.clerk, number="A001")
    counter_services.appointment_book(
        actor=applicant,
        section_code="commerce",
        start=dt.datetime(2026, 9, 15, 14, 0, tzinfo=SHANGHAI),
    )
    sign_in(client, center_admin)
    response = client.get(ADMIN_URL)
    assert response.status_code == 200
    page = html(response)
    assert "中心今日排队（2026-09-15）" in page
    assert 'data-section="commerce"' in page and "data-waiting>2<" in page
    assert "data-no-shows>1<" in page
    assert "14:00–14:30" in page and "已约 1 / 共 2 个名额" in page
    english(client)
    page = html(client.get(ADMIN_URL))
    assert "queues today (2026-09-15)" in page and "Median wait (minutes)" in page


def test_the_center_admin_page_refuses_others_and_bad_days(
    client: Client, hall: Hall, center_admin: User
) -> None:
    sign_in(client, hall.clerk)
    assert client.get(ADMIN_URL).status_code == 403
    sign_in(client, center_admin)
    response = client.get(ADMIN_URL, {"day": "yesterday"})
    assert response.status_code == 400
    assert "日期应为“年-月-日”" in html(response)
    assert client.get(ADMIN_URL, {"day": "2026-09-16"}).status_code == 200
