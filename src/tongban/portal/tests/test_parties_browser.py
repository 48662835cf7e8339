"""多方申请 in a real browser: the seller submits, the buyer signs in, finds it and confirms.

Screenshots under test-artifacts/parties-*.png (desktop and 390×844).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tongban.cases import services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.cases.tests.test_parties import TRANSFER, buyer_user, transfer_form, transfer_matter
from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User
from tongban.portal.tests.browser_steps import submit_through_check
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"parties-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _signed_in_page(browser: Any, options: dict[str, Any], base: str, user: User, path: str) -> Any:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{base}/login/?next={path}")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{path}")
    return page


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_seller_applies_and_the_buyer_confirms(
    viewport: str, browser: Any, live_server: Any, departments: Any, applicant: User
) -> None:
    transfer_matter()
    buyer = buyer_user()
    base = live_server.url
    draft = services.case_create(actor=applicant, matter_code=TRANSFER, form=transfer_form())

    # The seller (张三) submits the filled draft and sees it wait for the buyer.
    seller = _signed_in_page(
        browser, VIEWPORTS[viewport], base, applicant, f"/my/cases/{draft.pk}/edit/"
    )
    try:
        submit_through_check(seller)
        seller.wait_for_url(f"**/my/cases/{draft.pk}/")
        expect(seller.locator("#case-status")).to_have_text("待其他当事人确认")
        expect(seller.get_by_text("待买受人赵六登录确认后，申请转入受理")).to_be_visible()
        _shot(seller, f"{viewport}-1-seller-waiting")
    finally:
        seller.context.close()
    assert Case.objects.get(pk=draft.pk).status == CaseStatus.AWAITING_PARTIES

    # The buyer (赵六) signs in: 我的办件 lists it as waiting for them.
    page = _signed_in_page(browser, VIEWPORTS[viewport], base, buyer, "/my/cases/")
    try:
        listed = page.locator("[data-party-cases] li")
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text("买受人")
        _shot(page, f"{viewport}-2-buyer-list")
        listed.get_by_role("link", name="去确认").click()
        page.wait_for_url(f"**/my/cases/{draft.pk}/confirm/")
        expect(page.locator("[data-party]")).to_contain_text("买受人 赵六")
        expect(page.get_by_text("沪(2024)嘉字不动产权第001234号")).to_be_visible()
        _shot(page, f"{viewport}-3-buyer-confirm")
        page.get_by_role("button", name="确认申请内容").click()
        expect(page.get_by_text("各方当事人均已确认，申请已转入受理")).to_be_visible()
        expect(page.locator("[data-party-confirmed]")).to_be_visible()
        expect(page.locator("#party-case-status")).to_have_text("已提交")
        _shot(page, f"{viewport}-4-buyer-confirmed")
        # A second press is not possible: the button is gone.
        expect(page.get_by_role("button", name="确认申请内容")).to_have_count(0)
    finally:
        page.context.close()
    assert Case.objects.get(pk=draft.pk).status == CaseStatus.SUBMITTED
