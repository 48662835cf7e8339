"""The issue's browser test, the whole chain (只跑一次): apply online, accepted, pay, approved,
delivered, completed with zero visits; the certificate's QR text opens a page that says 有效.

A real Chromium (Debian's) drives the portal, the staff workbench and the sandbox payment
gateway, which runs as its own process (``tongban payments sandbox``) and calls the live
server back with a signed callback.  Each page is saved under test-artifacts/chain-*.png.
"""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.models import Case
from tongban.catalog import services as catalog
from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User
from tongban.portal.tests.browser_steps import submit_through_check
from tongban.portal.tests.cases_fixtures import FORM_SCHEMA, PDF_BYTES
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

MATTER_CODE = "shop-sign-licence"
SANDBOX_SECRET = "chain-browser-sandbox-secret"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"chain-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def sandbox_process(settings: Any) -> Iterator[str]:
    """``tongban payments sandbox`` on a free port, as its own process; the app points at it."""
    port = _free_port()
    env = {**os.environ, "PAYMENT_SANDBOX_SECRET": SANDBOX_SECRET}
    command = [sys.executable, "-m", "tongban.cli", "payments", "sandbox", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603  (our own CLI, fixed arguments)
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(300):  # 30 s: a loaded CI machine starts Django slowly
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"the sandbox gateway did not start: {output}")
                time.sleep(0.1)
        else:
            pytest.fail("the sandbox gateway did not answer within 30 s")
        settings.PAYMENT_PROVIDER = "sandbox"
        settings.PAYMENT_SANDBOX_URL = url
        settings.PAYMENT_SANDBOX_SECRET = SANDBOX_SECRET
        # The cashier's origin is allowed as a form target when the settings load; this one
        # was started on a free port afterwards.
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"].append(url)
        settings.CONTENT_SECURITY_POLICY = policy
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _licence_matter() -> None:
    """户外招牌设置许可（出证）of market: a fee of 80 yuan, a licence, standard approval."""
    catalog.section_upsert(code="commerce", name="商事登记", name_en="Business", order=1)
    catalog.certificate_type_upsert(
        code="shop-sign-licence", name="户外招牌设置许可证", department="market"
    )
    catalog.matter_upsert(
        code=MATTER_CODE,
        fields={
            "name": "户外招牌设置许可（出证）",
            "name_en": "Shop Sign Licence",
            "kind": "licence",
            "audience": "person",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 10,
            "max_visits": 0,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "process": "standard_approval",
            "form_schema": FORM_SCHEMA,
            "fee": "80",
            "certificate_type": "shop-sign-licence",
        },
        materials=[
            {"code": "application", "name": "设置申请书"},
            {"code": "design", "name": "招牌设计效果图"},
        ],
    )


def _sign_in(page: Any, base_url: str, user: User, next_path: str) -> None:
    page.goto(f"{base_url}/login/?next={next_path}")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{next_path}")


def _staff_page(browser: Any, base_url: str, user: User) -> tuple[Any, Any]:
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, base_url, user, "/workbench/")
    return context, page


def _staff_decides(
    browser: Any, base_url: str, user: User, case_no: str, button: str, shot: str
) -> None:
    context, page = _staff_page(browser, base_url, user)
    try:
        row = page.locator(f"tr.task-row[data-case='{case_no}']")
        expect(row).to_be_visible()
        row.locator("a.case-link").click()
        page.wait_for_url("**/workbench/cases/*/")
        page.locator("#id_comment").fill("材料齐全，符合要求。")
        page.locator(".decision-buttons").get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_text(f"已办理：{button}")).to_be_visible()
        _shot(page, shot)
    finally:
        context.close()


def test_the_whole_chain_ends_completed_with_zero_visits_and_a_valid_certificate(
    browser: Any,
    live_server: Any,
    settings: Any,
    sandbox_process: str,
    tmp_path: Path,
    departments: Any,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
) -> None:
    from tongban.certificates.models import Certificate
    from tongban.certificates.pdf import verify_url

    base = live_server.url
    # The gateway calls back (and sends the payer back) to this very server.
    settings.SITE_URL = base
    # The sandbox courier's staff button is offered in development and the demo only.
    settings.DEBUG = True
    _licence_matter()
    pdf = tmp_path / "设置申请书.pdf"
    pdf.write_bytes(PDF_BYTES)

    context = browser.new_context(locale="zh-CN", **DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        # 1. Apply online with both materials.
        _sign_in(page, base, applicant, f"/apply/{MATTER_CODE}/")
        page.get_by_label("店铺名称").fill("张三面馆")
        page.get_by_label("联系电话").fill("13800001234")
        page.get_by_role("button", name="下一步：上传材料").click()
        page.wait_for_url("**/my/cases/*/edit/")
        case = Case.objects.get()
        page.set_input_files("input[name='file.application']", str(pdf))
        page.set_input_files("input[name='file.design']", str(pdf))
        submit_through_check(page)
        page.wait_for_url(f"**/my/cases/{case.pk}/")
        expect(page.locator("#case-status")).to_have_text("已提交")

        # 2. Choose post: a wrong phone is refused next to its input, nothing saved.
        page.locator("input[name='method'][value='post']").check()
        page.locator("#delivery-recipient").fill("张三")
        page.locator("#delivery-phone").fill("12345")
        page.locator("#delivery-province").fill("上海市")
        page.locator("#delivery-city").fill("上海市")
        page.locator("#delivery-district").fill("嘉定区")
        page.locator("#delivery-address").fill("示范路1号2幢301室")
        page.locator("#delivery-save").click()
        expect(page.locator(".field[data-field='phone'] .field-error")).to_be_visible()
        case.refresh_from_db()
        assert case.delivery_method == "electronic"
        _shot(page, "1-address-error")
        page.locator("#delivery-phone").fill("13800001234")
        page.locator("#delivery-save").click()
        expect(page.get_by_text("领证方式已设为：快递寄送")).to_be_visible()
        expect(page.locator("#delivery-method")).to_have_text("快递寄送")
        _shot(page, "2-post-chosen")

        case.refresh_from_db()
        case_no = str(case.case_no)
        # 3. The clerk accepts: the payment order is opened at the gateway.
        _staff_decides(browser, base, clerk, case_no, "受理", "3-clerk-accepts")

        # 4. The citizen pays in the sandbox and comes back.
        page.reload()
        expect(page.locator("#payment-status")).to_have_text("待缴费")
        _shot(page, "4-to-pay")
        page.get_by_role("button", name="去缴费").click()
        page.wait_for_url(f"{sandbox_process}/pay/*")
        expect(page.get_by_text("沙箱支付收银台")).to_be_visible()
        expect(page.get_by_text("80.00")).to_be_visible()
        _shot(page, "5-sandbox-pay-page")
        page.get_by_role("button", name="确认支付").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/")
        # The signed callback may reach the server a moment after the browser.
        # (The page reads the timeline before the order, so wait for the timeline.)
        for _attempt in range(50):
            if "已缴费" in page.locator(".timeline").first.inner_text():
                break
            time.sleep(0.2)
            page.reload()
        expect(page.locator("#payment-status")).to_have_text("已缴费")
        expect(page.locator(".timeline")).to_contain_text("已缴费")
        _shot(page, "6-paid")

        # 5. Review and decision: the approval issues the certificate and posts it.
        _staff_decides(browser, base, reviewer, case_no, "审查通过", "7-reviewer-passes")
        _staff_decides(browser, base, approver, case_no, "准予许可", "8-approver-approves")
        case.refresh_from_db()
        assert case.status == "issued"

        # 6. The parcel travels (the sandbox courier, moved on by the clerk's button).
        staff_context, staff = _staff_page(browser, base, clerk)
        try:
            staff.goto(f"{base}/workbench/cases/{case.pk}/")
            for _step in range(3):
                staff.locator("#parcel-advance").click()
                expect(staff.get_by_text("快递状态：")).to_be_visible()
            expect(staff.get_by_text("快递状态：已签收")).to_be_visible()
            expect(staff.locator("#case-status")).to_have_text("已办结")
            _shot(staff, "9-parcel-delivered")
        finally:
            staff_context.close()

        # 7. The citizen: 已办结, zero visits, tracking, the certificate and its links.
        page.reload()
        expect(page.locator("#case-status")).to_have_text("已办结")
        expect(page.locator("#visit-count")).to_have_text("0")
        expect(page.locator("#delivery-status")).to_have_text("已签收")
        tracking = page.locator(".tracking-events")
        for scan in ("已揽收", "运输中", "已签收"):
            expect(tracking).to_contain_text(scan)
        certificate = Certificate.objects.get(case=case)
        expect(page.locator(".certificate-number")).to_have_text(certificate.number)
        timeline = page.locator(".timeline").last
        for step in ("待缴费", "已缴费", "已出证", "已寄出", "已签收", "办结"):
            expect(timeline).to_contain_text(step)
        _shot(page, "10-completed")
        case.refresh_from_db()
        assert case.visit_count == 0

        # 8. The QR code's text is the verification URL; the page link is the same one.
        qr_text = verify_url(certificate.number)
        link = page.locator("#verify-link-1")
        assert link.get_attribute("href") == qr_text
        phone = browser.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
        )
        try:
            verify = phone.new_page()
            verify.goto(qr_text)
            expect(verify.locator("body")).to_contain_text("有效")
            expect(verify.locator("body")).to_contain_text(certificate.number)
            _shot(verify, "11-verify-valid")
        finally:
            phone.close()
    finally:
        context.close()
