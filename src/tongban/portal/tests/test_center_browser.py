"""The issue's browser tests of the hall and the micro-portal, in Debian's Chromium.

The call screen shows a ticket called through the service without a reload,
highlights it and announces it (in Chinese, then English); the micro-portal on a
390×844 phone books an appointment and queries a case.  Screenshots are saved
under test-artifacts/center-*.png.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.tests.conftest import _matter
from tongban.cases.tests.factories import case_submitted
from tongban.conftest import APPLICANT_ID_NUMBER, CAST_PASSWORD
from tongban.counter import services as counter_services
from tongban.counter.models import Appointment
from tongban.identity.models import User
from tongban.portal.tests.center_fixtures import Clock, Hall
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db", "catalogue"),
]

#: Records what the page asks the speech engine to say (where the browser has none).
FAKE_SPEECH = """
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
Object.defineProperty(window, "speechSynthesis", {
  value: { speak: function (u) { window.__spoken.push([u.lang, u.text]); } },
});
"""


def _wait_until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll ``expression`` in the page (Playwright's wait_for_function evaluates a string with
    eval, which the Content-Security-Policy rightly forbids; evaluate goes through the
    DevTools protocol)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        time.sleep(0.1)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"center-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _context(browser: Any, options: dict[str, Any]) -> Any:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    return context


def test_the_call_screen_shows_and_announces_a_called_ticket(
    browser: Any, live_server: Any, hall: Hall, hall_clock: Clock
) -> None:
    counter_services.ticket_issue(section_code="commerce")
    counter_services.ticket_issue(section_code="social")
    context = _context(browser, DESKTOP)
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/center/screen/")
        expect(page.locator(".call-empty")).to_be_visible()
        expect(page.locator("[data-section='commerce'] [data-waiting]")).to_have_text("1")
        page.get_by_role("button", name="开启语音播报").click()
        page.evaluate("window.__loadedOnce = true")
        _shot(page, "screen-1-empty")

        counter_services.ticket_call_next(actor=hall.clerk, window_code="A01")

        row = page.locator("tr.call-row", has_text="A001")
        expect(row).to_be_visible()
        expect(row).to_have_class("call-row is-latest is-new")
        expect(row).to_contain_text("1号综合窗口")
        expect(row).to_contain_text("Window 1")
        expect(page.locator("[data-section='commerce'] [data-waiting]")).to_have_text("0")
        # Shown without a reload: the page's own state survived.
        assert page.evaluate("window.__loadedOnce") is True
        _wait_until(page, "window.__spoken.length >= 2")
        assert page.evaluate("window.__spoken") == [
            ["zh-CN", "请A001号到1号综合窗口办理"],
            ["en-US", "Number A 0 0 1, please go to Window 1"],
        ]
        _shot(page, "screen-2-called")

        # A recall is announced again.
        hall_clock.advance(1)
        counter_services.ticket_recall(actor=hall.clerk, number="A001")
        _wait_until(page, "window.__spoken.length >= 4")
    finally:
        context.close()


def test_the_call_screen_is_harmless_without_speech(
    browser: Any, live_server: Any, hall: Hall
) -> None:
    context = _context(browser, DESKTOP)
    context.add_init_script("delete window.speechSynthesis;")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server.url}/center/screen/")
        counter_services.ticket_issue(section_code="commerce")
        counter_services.ticket_call_next(actor=hall.clerk, window_code="A01")
        expect(page.locator("tr.call-row", has_text="A001")).to_have_class(
            "call-row is-latest is-new"
        )
        assert errors == []
    finally:
        context.close()


def test_on_a_phone_a_person_books_an_appointment_and_queries_a_case(
    browser: Any,
    live_server: Any,
    hall: Hall,
    departments: Any,
    applicant: User,
) -> None:
    _matter("drainage-permit", "排水许可", "standard_approval", 6)
    case = case_submitted(applicant=applicant)
    base = live_server.url
    context = _context(browser, MOBILE)
    page = context.new_page()
    try:
        page.goto(f"{base}/m/")
        expect(page.locator("#queues [data-section='commerce']")).to_contain_text("商事登记")
        _shot(page, "m-1-home")

        # 微预约: sign in, choose section and day, then a slot with places left.
        page.get_by_role("navigation", name="微门户导航").get_by_role("link", name="微预约").click()
        page.wait_for_url("**/login/?next=**")
        page.get_by_label("用户名").fill(applicant.username)
        page.get_by_label("密码").fill(CAST_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/m/appointments/")
        page.get_by_role("link", name="新预约").click()
        page.get_by_label("办事板块").select_option("commerce")
        page.get_by_label("日期").fill("2026-09-16")
        page.get_by_role("button", name="查看可约时段").click()
        slot = page.locator("label.slot", has_text="09:30–10:00")
        expect(slot).to_contain_text("余 2 个")
        _shot(page, "m-2-slots")
        slot.click()
        page.get_by_role("button", name="确认预约").click()
        page.wait_for_url("**/m/appointments/")
        appointment = Appointment.objects.get(user=applicant)
        item = page.locator(f"[data-appointment='{appointment.code}']")
        expect(item).to_contain_text("2026-09-16 09:30")
        expect(page.get_by_role("status")).to_contain_text(appointment.code)
        _shot(page, "m-3-booked")

        # 微查询: no sign-in needed, the case number and the applicant's ID.
        page.get_by_role("navigation", name="微门户导航").get_by_role("link", name="微查询").click()
        page.get_by_label("办件编号").fill(case.case_no)
        page.get_by_label("申请人身份证号码或统一社会信用代码").fill("110101199003077777")
        page.get_by_role("button", name="查询").click()
        expect(page.get_by_role("alert")).to_contain_text("未找到该办件")
        page.get_by_label("申请人身份证号码或统一社会信用代码").fill(APPLICANT_ID_NUMBER)
        page.get_by_role("button", name="查询").click()
        result = page.locator("#query-result")
        expect(result).to_contain_text("排水许可")
        expect(result.locator("[data-status]")).to_have_text("已提交")
        _shot(page, "m-4-query")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
    finally:
        context.close()


def test_a_walk_in_takes_a_ticket_and_the_clerk_calls_it(
    browser: Any, live_server: Any, hall: Hall
) -> None:
    base = live_server.url
    kiosk = _context(browser, DESKTOP)
    screen = _context(browser, DESKTOP)
    desk = _context(browser, DESKTOP)
    try:
        page = kiosk.new_page()
        page.goto(f"{base}/center/ticket/")
        # Nothing chosen: a clear message, no ticket.
        page.get_by_role("button", name="取号", exact=True).click()
        expect(page.locator("#form-error")).to_contain_text("取号信息有误")
        page.locator("label.section-choice", has_text="商事登记").click()
        expect(page.locator("#matter option", has_text="食品经营许可")).to_have_count(1)
        page.locator("#matter").select_option("food-business-licence")
        _shot(page, "kiosk-1-choose")
        page.get_by_role("button", name="取号", exact=True).click()
        page.wait_for_url("**/center/tickets/A001/")
        expect(page.locator("[data-ticket-number]")).to_have_text("A001")
        _shot(page, "kiosk-2-ticket")

        board = screen.new_page()
        board.goto(f"{base}/center/screen/")

        clerk = desk.new_page()
        clerk.goto(f"{base}/login/?next=/workbench/counter/window/")
        clerk.get_by_label("用户名").fill(hall.clerk.username)
        clerk.get_by_label("密码").fill(CAST_PASSWORD)
        clerk.get_by_role("button", name="登录").click()
        clerk.wait_for_url("**/workbench/counter/window/")
        clerk.get_by_role("button", name="叫下一号").click()
        expect(clerk.locator("[data-current]")).to_have_text("A001")
        expect(clerk.locator("[data-desk-accept]")).to_have_attribute(
            "href", re.compile(r"\?ticket=A001$")
        )
        _shot(clerk, "window-1-called")

        expect(board.locator("tr.call-row", has_text="A001")).to_have_class(
            "call-row is-latest is-new"
        )
        # The ticket holder's page follows by itself.
        expect(page.locator("#ticket-status")).to_contain_text(
            "请到 1号综合窗口 办理", timeout=25_000
        )
        clerk.get_by_role("button", name="开始办理").click()
        clerk.get_by_role("button", name="办结").click()
        expect(clerk.locator("[data-current]")).to_have_text("当前没有正在办理的号。")
        _shot(clerk, "window-2-finished")
    finally:
        for context in (kiosk, screen, desk):
            context.close()
