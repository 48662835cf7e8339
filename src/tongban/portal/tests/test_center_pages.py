"""The hall pages through the test client: the kiosk, a ticket, the call screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tongban.counter import services as counter_services
from tongban.counter.models import Ticket
from tongban.portal.tests.center_fixtures import Clock, Hall

pytestmark = pytest.mark.usefixtures("catalogue")


def html(response: Any) -> str:
    return response.content.decode()


def english(client: Client) -> None:
    client.cookies["django_language"] = "en"


# --- kiosk -------------------------------------------------------------------------------------


def test_the_kiosk_lists_the_sections_with_their_queue(client: Client, hall: Hall) -> None:
    counter_services.ticket_issue(section_code="commerce")
    response = client.get("/center/ticket/")
    assert response.status_code == 200
    page = html(response)
    assert "商事登记" in page and "社会事务" in page
    assert "等候 1 人" in page and "等候 0 人" in page
    assert "预约签到" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline script"


def test_the_kiosk_speaks_english(client: Client, hall: Hall) -> None:
    english(client)
    page = html(client.get("/center/ticket/"))
    assert "Take a ticket" in page and "Business Registration" in page
    assert "Appointment check-in" in page
    assert "1 waiting" not in page and "0 waiting" in page


def test_taking_a_ticket_shows_its_number_and_people_ahead(client: Client, hall: Hall) -> None:
    first = client.post("/center/ticket/", {"section": "commerce"})
    assert first.status_code == 302 and first["Location"] == "/center/tickets/A001/"
    client.post("/center/ticket/", {"section": "commerce", "matter": "food-business-licence"})
    ticket = Ticket.objects.get(number="A002")
    assert ticket.matter is not None and ticket.matter.code == "food-business-licence"
    assert ticket.source == "kiosk" and ticket.user is None
    page = html(client.get("/center/tickets/A002/"))
    assert "A002" in page and "前面还有" in page and "1 人" in page
    assert "预计等候" in page and "约 10 分钟" in page


def test_the_ticket_page_in_english(client: Client, hall: Hall) -> None:
    counter_services.ticket_issue(section_code="commerce")
    english(client)
    page = html(client.get("/center/tickets/A001/"))
    assert "My ticket" in page and "People ahead" in page and "about 0 minutes" in page


def test_a_called_ticket_names_its_window(client: Client, hall: Hall) -> None:
    counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_call_next(actor=hall.clerk, window_code="A01")
    page = html(client.get("/center/tickets/A001/", headers={"HX-Request": "true"}))
    assert "<html" not in page
    assert "请到 1号综合窗口 办理" in page
    assert "hx-trigger" in page  # still polled until served


@pytest.mark.parametrize("number", ["A999", "x", "A001%00", "Z" * 300])
def test_an_unknown_ticket_is_404(client: Client, hall: Hall, number: str) -> None:
    assert client.get(f"/center/tickets/{number}/").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请选择板块"),
        ({"section": "nowhere"}, "板块不存在"),
        ({"section": "commerce", "matter": "residence-permit"}, "该板块没有此事项"),
        ({"section": "c" * 500}, "内容无效"),
        ({"section": "commerce", "appointment": "NOPE42"}, "预约码无效"),
    ],
)
def test_a_bad_ticket_request_is_refused_clearly_and_takes_no_ticket(
    client: Client, hall: Hall, data: dict[str, str], message: str
) -> None:
    response = client.post("/center/ticket/", data)
    assert response.status_code == 422
    assert message in html(response)
    assert 'role="alert"' in html(response)
    assert Ticket.objects.count() == 0


def test_a_closed_section_gives_no_ticket(client: Client, hall: Hall, hall_clock: Clock) -> None:
    hall_clock.advance(150)  # 12:30, the commerce section's lunch break
    response = client.post("/center/ticket/", {"section": "commerce"})
    assert response.status_code == 422
    assert "不在办公时间内（09:00–12:00、13:30–17:00）" in html(response)
    assert Ticket.objects.count() == 0
    # The section without a break still takes people.
    assert client.post("/center/ticket/", {"section": "social"}).status_code == 302


def test_the_kiosk_offers_the_matters_of_the_chosen_section(client: Client, hall: Hall) -> None:
    page = html(client.get("/center/ticket/matters/", {"section": "commerce"}))
    assert "食品经营许可" in page and "居住证办理" not in page
    assert "<option" in html(client.get("/center/ticket/matters/", {"section": "nowhere"}))


# --- call screen ------------------------------------------------------------------------------


def test_the_call_screen_needs_no_sign_in_and_polls(client: Client, hall: Hall) -> None:
    response = client.get("/center/screen/")
    assert response.status_code == 200
    page = html(response)
    assert 'hx-get="/center/screen/board/"' in page and "every 3s" in page
    assert "portal/js/callscreen.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline script"
    # Both languages at once, whatever the visitor's language.
    assert "等候人数" in page and "Waiting" in page
    assert "暂无叫号" in page and "No one called yet" in page


def test_the_board_shows_called_tickets_with_both_announcements(
    client: Client, hall: Hall, hall_clock: Clock
) -> None:
    counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_issue(section_code="social")
    counter_services.ticket_call_next(actor=hall.clerk, window_code="A01")
    response = client.get("/center/screen/board/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = html(response)
    assert "data-number>A001<" in page
    assert "1号综合窗口" in page and "Window 1" in page
    assert 'data-say-zh="请A001号到1号综合窗口办理"' in page
    assert 'data-say-en="Number A 0 0 1, please go to Window 1"' in page
    waiting = dict(re.findall(r'data-section="(\w+)">.*?data-waiting>(\d+)<', page, re.S))
    assert waiting == {"commerce": "1", "social": "1"}


def test_a_recall_gets_a_new_announcement_key(
    client: Client, hall: Hall, hall_clock: Clock
) -> None:
    counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_call_next(actor=hall.clerk, window_code="A01")
    before = re.findall(r'data-announce-key="([^"]+)"', html(client.get("/center/screen/board/")))
    hall_clock.advance(1)
    counter_services.ticket_recall(actor=hall.clerk, number="A001")
    after = re.findall(r'data-announce-key="([^"]+)"', html(client.get("/center/screen/board/")))
    assert len(before) == len(after) == 1 and before != after
