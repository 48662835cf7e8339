"""Under the strict Content-Security-Policy the pages still work and the console stays clean.

One journey through htmx (search), ECharts (the dashboard), Swagger UI (API docs) and the
admin; every console message about the Content Security Policy is a failure.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tongban.identity.models import User
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP
from tongban.portal.tests.stats_fixtures import district_build

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_a_journey_raises_no_csp_violation(
    browser: Any, live_server: Any, departments: Any, applicant: User
) -> None:
    district_build(applicant)
    context = browser.new_context(locale="zh-CN", reduced_motion="reduce", **DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{live_server.url}/")
        page.goto(f"{live_server.url}/search/?q=%E8%90%A5%E4%B8%9A")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.goto(f"{live_server.url}/stats/")
        expect(page.locator("[data-chart='chart-channels'] svg").first).to_be_attached()
        page.screenshot(path=str(ARTIFACTS / "csp-stats.png"), full_page=True)
        page.goto(f"{live_server.url}/api/v1/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tongban")
        page.screenshot(path=str(ARTIFACTS / "csp-docs.png"))
        page.goto(f"{live_server.url}/admin/login/")
        expect(page.locator("#login-form")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "csp-admin.png"))
        violations = [line for line in console if "Content Security Policy" in line]
        assert violations == [], violations
        assert not [line for line in console if line.startswith("pageerror")], console
    finally:
        context.close()
