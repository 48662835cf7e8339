"""我的证照 on a phone: the agent finds the enterprise's licence, shares it, and it verifies.

A real Chromium (Debian's) on 390×844; the pages are saved under test-artifacts/portal-my-*.png.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tongban.cases.models import Case
from tongban.catalog.models import Department, Matter
from tongban.certificates import services as certificates
from tongban.certificates.tests.factories import approved_case, food_licence_type, food_matter
from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import Enterprise, User

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def issued(departments: dict[str, Department], agent_user: User, enterprise: Enterprise) -> Case:
    food_licence_type()
    matter: Matter = food_matter()
    case = approved_case(matter=matter, user=agent_user, enterprise=enterprise)
    certificates.certificate_issue(case=case)
    return case


def test_the_agent_shares_a_licence_from_my_licences_and_it_verifies(
    mobile_page: Any,
    live_server: Any,
    issued: Case,
    agent_user: User,
    screenshot: Any,
    settings: Any,
) -> None:
    settings.TONGBAN_CERT_FONT = ""
    page = mobile_page
    number = issued.certificates.get().number
    page.goto(f"{live_server.url}/login/?next=/my/cases/")
    page.get_by_label("用户名").fill(agent_user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/my/cases/")
    page.get_by_role("link", name="我的证照").click()
    page.wait_for_url("**/my/certificates/")
    item = page.locator(f'[data-number="{number}"]')
    assert item.locator(".badge").inner_text() == "有效"
    shared = item.locator(".share-link input").input_value()
    assert shared.endswith(f"/verify/{number}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off
    screenshot(page, "my-certificates-phone")

    # Anyone with the link: a fresh, signed-out page says the licence is genuine.
    outsider = page.context.browser.new_context(locale="zh-CN")
    other = outsider.new_page()
    other.goto(shared)
    assert "有效" in other.locator("main").inner_text()
    outsider.close()

    page.get_by_role("link", name="我的办件").first.click()
    page.get_by_label("办件状态").select_option("action")
    page.get_by_role("button", name="筛选").click()
    assert "没有符合条件的办件" in page.locator("main").inner_text()
    screenshot(page, "my-cases-filtered-phone")
