"""Search in a real Chromium: a colloquial query finds the theme; finding nothing still helps."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tongban.catalog.models import Theme

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("catalogue", "transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def citizen_searches(page: Any, base_url: str, screenshot: Any, name: str) -> None:
    Theme.objects.filter(code="food-drug-licence").update(keywords="药店,开药店,开个药店")
    page.goto(base_url + "/search/")
    page.locator("#q").fill("怎么开药店")
    page.locator("#q").press("Enter")
    page.wait_for_url("**/search/?q=*")
    theme = page.locator("[data-search-themes] .theme-card").first
    expect(theme.locator(".theme-name")).to_have_text("食品药品经营许可")
    expect(page.locator("#result-list .matter-item").first).to_be_visible()
    assert page.evaluate(
        "document.querySelector('[data-search-themes]').getBoundingClientRect().top"
        " < document.querySelector('#result-list').getBoundingClientRect().top"
    )
    screenshot(page, f"{name}-search-theme")

    page.locator("#q").fill("公积金")
    page.locator("#q").press("Enter")
    expect(page.locator("[data-suggestions=sections] .section-card")).to_have_count(2)
    expect(page.locator("[data-suggestions=matters] .matter-item").first).to_be_visible()
    expect(page.locator(".empty")).to_contain_text("没有找到相关事项")
    screenshot(page, f"{name}-search-empty")
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page scrolls sideways ({width}px > {viewport}px)"


def test_search_on_a_desktop(page: Any, live_server: Any, screenshot: Any) -> None:
    citizen_searches(page, live_server.url, screenshot, "desktop")


def test_search_on_a_phone(mobile_page: Any, live_server: Any, screenshot: Any) -> None:
    citizen_searches(mobile_page, live_server.url, screenshot, "mobile")
