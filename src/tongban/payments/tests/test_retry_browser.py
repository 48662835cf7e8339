"""A failed payment then a successful retry, in a real Chromium against the sandbox gateway.

The case page says why the payment failed and offers 重新缴费 (a new order); the gateway
calls the live server back with signed callbacks.  Screenshots under test-artifacts/.
"""

from __future__ import annotations

import copy
import os
import time
from typing import Any

import pytest

from tongban.catalog.models import Matter
from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User
from tongban.payments.choices import PaymentStatus
from tongban.payments.models import PaymentOrder
from tongban.payments.tests.conftest import Sandbox
from tongban.payments.tests.factories import case_accepted
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"payment-retry-{name}.png"), full_page=True)


def _until_shown(page: Any, selector: str) -> None:
    """The signed callback may reach the server a moment after the browser comes back."""
    for _attempt in range(50):
        if page.locator(selector).count():
            return
        time.sleep(0.2)
        page.reload()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_failed_payment_says_why_and_paying_again_succeeds(
    browser: Any,
    live_server: Any,
    settings: Any,
    sandbox: Sandbox,
    matter: Matter,
    applicant: User,
    clerk: User,
    viewport: str,
) -> None:
    base = live_server.url
    settings.SITE_URL = base  # the gateway calls back and sends the payer back here
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(sandbox.url)
    settings.CONTENT_SECURITY_POLICY = policy
    case = case_accepted(applicant=applicant, clerk=clerk)

    context = browser.new_context(locale="zh-CN", **(DESKTOP if viewport == "desktop" else MOBILE))
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{base}/login/?next=/my/cases/{case.pk}/")
        page.get_by_label("用户名").fill(applicant.username)
        page.get_by_label("密码").fill(CAST_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/")
        expect(page.locator("#payment-status")).to_have_text("待缴费")

        # 1. The payment fails at the gateway.
        page.get_by_role("button", name="去缴费").click()
        page.wait_for_url(f"{sandbox.url}/pay/*")
        page.get_by_role("button", name="模拟失败").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/")
        _until_shown(page, "#payment-failed")
        expect(page.locator("#payment-status")).to_have_text("缴费失败")
        expect(page.locator("#payment-failure-reason")).to_have_text("原因：账户余额不足")
        expect(page.locator("#pay-button")).to_have_count(0)
        _shot(page, f"{viewport}-1-failed")
        failed = PaymentOrder.objects.get(case=case)

        # 2. Paying again opens a new order at the gateway, and it is paid.
        page.get_by_role("button", name="重新缴费").click()
        page.wait_for_url(f"{sandbox.url}/pay/*")
        _shot(page, f"{viewport}-2-new-order")
        page.get_by_role("button", name="确认支付").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/")
        for _attempt in range(50):
            if page.locator("#payment-status").inner_text() == "已缴费":
                break
            time.sleep(0.2)
            page.reload()
        expect(page.locator("#payment-status")).to_have_text("已缴费")
        expect(page.locator("#payment-failed")).to_have_count(0)
        expect(page.locator(".timeline").first).to_contain_text("缴费失败")
        _shot(page, f"{viewport}-3-paid")
    finally:
        context.close()

    failed.refresh_from_db()
    paid = PaymentOrder.objects.get(case=case, status=PaymentStatus.PAID)
    assert failed.status == PaymentStatus.FAILED and failed.replaced_by == paid
    # the failed order's pay page does not take money any more
    assert sandbox.page(failed.pay_url).status == 409
