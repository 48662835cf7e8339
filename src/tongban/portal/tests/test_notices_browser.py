"""消息通知 of a 开办企业 applicant in a real browser: three messages, not fifteen.

The theme runs over HTTP with the demo district and the outbox is drained after each step;
then 张伟 reads 消息通知 on a desktop and on a 390×844 phone (test-artifacts/portal-notices-*).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases.models import Notification
from tongban.cases.tests.test_notices_grouped import _task_done, outbox_drain
from tongban.cases.tests.test_themes import _applied, _children, _decide_all, _schema_form
from tongban.demo.accounts import DEMO_PASSWORD
from tongban.demo.loader import demo_load
from tongban.identity.models import User
from tongban.portal.tests.conftest import DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_company_opening_reads_as_three_messages(
    viewport: str,
    browser: Any,
    live_server: Any,
    bearer: Callable[[User], dict[str, str]],
    screenshot: Any,
) -> None:
    demo_load()
    client = Client()
    parent = _applied(client, bearer, "open-company", _schema_form("open-company"))
    outbox_drain()
    children = _children(parent["id"])
    for child in children:  # the three departments accept, then each decides
        _task_done(client, bearer, child, "accept", decision="accept")
        outbox_drain()
    for child in children:
        _decide_all(client, bearer, child)
        outbox_drain()
    assert Notification.objects.filter(status="merged").exists()

    context = browser.new_context(locale="zh-CN", **(DESKTOP if viewport == "desktop" else MOBILE))
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/?next=/my/notifications/")
        page.get_by_label("用户名").fill("citizen")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/my/notifications/")
        items = page.locator(".notice-item")
        assert items.count() == 3
        newest = items.nth(0).locator(".notice-body").inner_text()
        assert "营业执照" in newest and "已办结" in newest
        assert "企业设立登记、公章刻制备案、发票申领" in items.nth(1).inner_text()
        # Each notice links to the theme's case, not to its three matters.
        assert set(
            page.locator(".notice-item a").evaluate_all("els => els.map(e => e.textContent)")
        ) == {parent["case_no"]}
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        screenshot(page, f"notices-{viewport}")
    finally:
        context.close()
