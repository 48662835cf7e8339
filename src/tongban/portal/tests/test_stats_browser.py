"""The dashboards in a real Chromium: charts drawn, their tables right, desktop and phone.

A small district (stats_fixtures) is built through the services; each page is saved
under test-artifacts/dashboard-*.png for a person to look at.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE
from tongban.portal.tests.stats_fixtures import district_build

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}
#: dashboard.js marks each chart it drew.
DRAWN = re.compile(r"\bis-drawn\b")


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def _context(browser: Any, options: dict[str, Any]) -> Any:
    # Reduced motion: dashboard.js then draws without animation, so a screenshot shows
    # the charts finished.
    context = browser.new_context(locale="zh-CN", reduced_motion="reduce", **options)
    context.set_default_timeout(15_000)
    return context


def _cell(page: Any, table: str, row: str, column: int) -> str:
    text: str = page.locator(f"#{table} tbody tr{row} td").nth(column).inner_text()
    return text.strip()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_public_dashboard_draws_its_charts_beside_their_tables(
    viewport: str, browser: Any, live_server: Any, departments: Any, applicant: User
) -> None:
    district_build(applicant)
    context = _context(browser, VIEWPORTS[viewport])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Reached from the portal's home page.
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="查看一网通办数据看板").click()
        page.wait_for_url("**/stats/")
        expect(page.get_by_role("heading", level=1)).to_have_text("一网通办数据看板")
        for chart in ("channels", "departments", "trend"):
            expect(page.locator(f"[data-chart='chart-{chart}'] svg").first).to_be_attached()
            expect(page.locator(f"[data-chart='chart-{chart}']")).to_have_class(DRAWN)
        # The tables hold the numbers the charts draw: 8 online cases, 5 of market, 3 of police.
        assert _cell(page, "table-channels", "[data-channel='online']", 0) == "8"
        assert _cell(page, "table-channels", "[data-channel='online']", 1) == "100.0%"
        assert _cell(page, "table-channels", "[data-channel='window']", 0) == "0"
        assert _cell(page, "table-departments", "[data-department='market']", 0) == "5"
        assert _cell(page, "table-departments", "[data-department='market']", 1) == "4"
        assert _cell(page, "table-departments", "[data-department='police']", 0) == "3"
        # The bar chart names the two departments that had cases (SVG text).
        bars = page.locator("[data-chart='chart-departments'] svg")
        expect(bars.get_by_text("市场监管局")).to_be_attached()
        expect(bars.get_by_text("公安分局")).to_be_attached()
        # The trend's table is folded under <details> and opens.
        page.get_by_text("查看数据表").click()
        expect(page.locator("#table-trend")).to_be_visible()
        assert page.locator("#table-trend tbody tr").count() >= 4
        if viewport == "mobile":
            # Nothing is wider than the phone: the page does not scroll sideways.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
        _shot(page, f"public-{viewport}")
        # The language switch gives the same page in English, charts included.
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("One-Network Service Dashboard")
        expect(page.locator("[data-chart='chart-channels'] svg").first).to_be_attached()
        pie = page.locator("[data-chart='chart-channels'] svg")
        expect(pie.get_by_text("Online").first).to_be_attached()
        _shot(page, f"public-{viewport}-en")
        assert errors == []
    finally:
        context.close()


def _sign_in(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}/login/?next=/workbench/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")


def test_the_internal_dashboard_filters_and_a_head_opens_the_overdue_case(
    browser: Any,
    live_server: Any,
    departments: Any,
    applicant: User,
    center_admin: User,
    supervisor: User,
) -> None:
    district = district_build(applicant)
    assert district.overdue is not None
    context = _context(browser, DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _sign_in(page, live_server.url, center_admin)
        page.get_by_role("link", name="指标看板").click()
        page.wait_for_url("**/workbench/stats/")
        expect(page.get_by_role("heading", level=1)).to_have_text("指标看板")
        for chart in ("trend", "matters"):
            expect(page.locator(f"[data-chart='chart-{chart}'] svg").first).to_be_attached()
        expect(page.locator("#table-overdue tr[data-case]")).to_have_count(1)
        assert _cell(page, "table-departments", "[data-department='market']", 0) == "5"
        _shot(page, "internal-all")

        # Narrow to police: market's overdue case and the department table go away.
        page.locator("#id_department").select_option("police")
        page.get_by_role("button", name="查询").click()
        page.wait_for_url("**/workbench/stats/?*department=police*")
        expect(page.locator("[data-kpi='cases_total'] .kpi-value")).to_have_text("3")
        expect(page.get_by_text("没有超期未办结的办件。")).to_be_visible()
        expect(page.locator("#table-departments")).to_have_count(0)
        _shot(page, "internal-police")

        # An inverted period is a clear message, not an error page.
        page.locator("#id_department").select_option("")
        page.locator("#id_from").fill("2026-06-30")
        page.locator("#id_to").fill("2026-06-01")
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#filter-errors")).to_contain_text("结束日期不能早于开始日期")
        _shot(page, "internal-bad-period")
        assert errors == []
    finally:
        context.close()

    # Market's supervisor sees market only, and opens the overdue case to chase it.
    context = _context(browser, MOBILE)
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, supervisor)
        page.goto(f"{live_server.url}/workbench/stats/")
        expect(page.locator("#id_department option")).to_have_count(1)
        expect(page.get_by_role("link", name="导出 Excel（全部表格）")).to_have_count(0)
        _shot(page, "internal-supervisor-mobile")
        page.locator(f"#table-overdue a.case-link:text('{district.overdue.case_no}')").click()
        page.wait_for_url(f"**/workbench/cases/{district.overdue.pk}/")
        expect(page.get_by_text(district.overdue.case_no).first).to_be_visible()
    finally:
        context.close()
