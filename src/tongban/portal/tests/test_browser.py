"""A newcomer finds a service and reads its guide in a real Chromium (desktop and phone)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from tongban.portal.tests.conftest import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("catalogue", "transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def newcomer_finds_the_food_licence(page: Any, base_url: str, screenshot: Any, name: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("link", name="个人办事")).to_be_visible()
    expect(page.get_by_role("link", name="法人办事")).to_be_visible()
    expect(page.locator(".section-card")).to_have_count(2)
    screenshot(page, f"{name}-home")

    page.locator("#home-q").fill("开饭店")
    page.locator("#home-q").press("Enter")
    page.wait_for_url("**/search/?q=*")
    first = page.locator("#result-list .matter-item").first
    expect(first.locator(".matter-name")).to_have_text("食品经营许可")
    expect(first).to_contain_text("全程网办")
    expect(first).to_contain_text("最多跑1次")
    expect(first).to_contain_text("承诺5个工作日")
    screenshot(page, f"{name}-search")

    # A filter change refreshes the results in place through htmx and keeps the URL shareable.
    page.locator("select[name=audience]").select_option("person")
    expect(page.locator(".result-count")).to_contain_text("共找到 0 项事项")
    assert "audience=person" in page.url
    page.locator("select[name=audience]").select_option("")
    expect(first.locator(".matter-name")).to_have_text("食品经营许可")

    first.locator(".matter-name").click()
    page.wait_for_url("**/matters/food-business-licence/")
    expect(page.get_by_role("heading", level=1)).to_have_text("食品经营许可")
    expect(page.get_by_role("heading", name="材料清单")).to_be_visible()
    shared_row = page.locator("tr.is-shared")
    expect(shared_row).to_contain_text("营业执照")
    expect(shared_row.locator(".badge-shared")).to_have_text("免提交")
    expect(page.get_by_text("1 项材料免提交")).to_be_visible()
    expect(page.get_by_role("link", name="在线办理")).to_have_attribute(
        "href", "/login/?next=%2Fapply%2Ffood-business-licence%2F"
    )
    screenshot(page, f"{name}-guide")

    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/matters/food-business-licence/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Food Business Licence")
    expect(page.locator(".guide-head .facts")).to_contain_text("Market Regulation")
    screenshot(page, f"{name}-guide-en")
    # UI strings come from the English catalogue (locale/en), added by the lead before CI.
    expect(page.get_by_role("heading", name=re.compile("material", re.IGNORECASE))).to_be_visible()


def test_a_newcomer_finds_the_food_licence_on_a_desktop(
    page: Any, live_server: Any, screenshot: Any
) -> None:
    newcomer_finds_the_food_licence(page, live_server.url, screenshot, "desktop")


def test_a_newcomer_finds_the_food_licence_on_a_phone(
    mobile_page: Any, live_server: Any, screenshot: Any
) -> None:
    newcomer_finds_the_food_licence(mobile_page, live_server.url, screenshot, "mobile")
    width = mobile_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"


def test_a_10000_character_search_shows_an_error(
    page: Any, live_server: Any, screenshot: Any
) -> None:
    page.goto(live_server.url + "/search/")
    page.locator("#q").fill("开饭店" + "a" * 9_997)
    page.locator("#q").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("搜索内容不能超过")
    screenshot(page, "search-error")


def test_a_search_too_long_for_the_server_still_shows_an_error(page: Any, live_server: Any) -> None:
    # 10,000 Chinese characters make a 90 kB address, which the server refuses
    # (414) before Django sees it; the page must still say something.
    page.goto(live_server.url + "/search/?q=开饭店")
    page.locator("#q").fill("饭" * 10_000)
    page.locator("#q").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("请求未能完成")
    expect(page.locator("#result-list")).to_have_count(0)


def test_a_bad_filter_in_the_address_shows_an_error(page: Any, live_server: Any) -> None:
    response = page.goto(live_server.url + "/search/?audience=martian")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("服务对象只能是")


def test_a_wrong_password_shows_an_error(
    page: Any, live_server: Any, citizen: Any, screenshot: Any
) -> None:
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("citizen")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    screenshot(page, "login-error")

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_an_unknown_matter_shows_the_chinese_404_page(
    page: Any, live_server: Any, screenshot: Any
) -> None:
    response = page.goto(live_server.url + "/matters/no-such-matter/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("您访问的页面不存在")
    screenshot(page, "404")


@pytest.mark.parametrize("device", ["desktop", "mobile"])
def test_the_theme_page_shows_its_steps(
    browser: Any, live_server: Any, screenshot: Any, device: str
) -> None:
    from tongban.portal.tests.conftest import DESKTOP, MOBILE

    context = browser.new_context(locale="zh-CN", **(MOBILE if device == "mobile" else DESKTOP))
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="食品药品经营许可").click()
        page.wait_for_url("**/themes/food-drug-licence/")
        expect(page.locator(".stage")).to_have_count(2)
        expect(page.locator(".stage").nth(1)).to_contain_text("并联办理")
        expect(page.locator(".combined")).to_contain_text("食品药品经营许可证")
        screenshot(page, f"{device}-theme")
    finally:
        context.close()
