"""消息通知 of a 开办企业 applicant in a real browser: three messages, not fifteen; and a
second 开办企业 for the same company name refused on the check page, linked to the field.

The theme runs over HTTP with the demo district and the outbox is drained after each step;
then 张伟 reads 消息通知 on a desktop and on a 390×844 phone (test-artifacts/portal-notices-*).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import Client

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, Notification
from tongban.cases.tests.test_notices_grouped import _task_done, outbox_drain
from tongban.cases.tests.test_object_once import _theme_draft
from tongban.cases.tests.test_themes import _applied, _children, _decide_all, _schema_form
from tongban.demo.accounts import DEMO_PASSWORD
from tongban.demo.loader import demo_load
from tongban.identity.models import User
from tongban.portal.tests.conftest import DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@contextmanager
def signed_in(browser: Any, viewport: str, base: str, username: str, path: str) -> Iterator[Any]:
    """A page of ``username`` (a demo account) on ``path``, on a desktop or a phone."""
    context = browser.new_context(locale="zh-CN", **(DESKTOP if viewport == "desktop" else MOBILE))
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(f"{base}/login/?next={path}")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"**{path}")
        yield page
    finally:
        context.close()


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

    with signed_in(browser, viewport, live_server.url, "citizen", "/my/notifications/") as page:
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


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_second_company_opening_with_the_same_name_is_refused_on_the_check_page(
    viewport: str,
    browser: Any,
    live_server: Any,
    bearer: Callable[[User], dict[str, str]],
    screenshot: Any,
) -> None:
    demo_load()
    client = Client()
    first = _applied(client, bearer, "open-company", _schema_form("open-company"))
    second = _theme_draft(client, bearer, "citizen2", company_name="上海嘉定示范科技有限责任公司")

    check = f"/my/cases/{second['id']}/check/"
    with signed_in(browser, viewport, live_server.url, "citizen2", check) as page:
        page.get_by_role("button", name="提交申请").click()
        summary = page.locator("#form-errors")
        summary.wait_for()
        link = summary.get_by_role("link", name=re.compile("企业名称"))
        assert first["case_no"] in link.inner_text()
        screenshot(page, f"company-name-taken-{viewport}")
        link.click()
        page.wait_for_url(re.compile(r"/my/cases/\d+/edit/"))
        assert page.evaluate("document.activeElement.name") == "form.company_name"
    assert Case.objects.get(pk=second["id"]).status == CaseStatus.DRAFT
