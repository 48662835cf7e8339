"""The issue's browser test: a citizen applies with an upload, three staff decide, the case ends.

A real Chromium (Debian's) drives the portal and the staff workbench through a
live server; each page is saved under test-artifacts/apply-*.png.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.models import Case
from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User
from tongban.portal.tests.browser_steps import submit_through_check
from tongban.portal.tests.cases_fixtures import MATTER_CODE, PDF_BYTES, sign_permit_matter
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"apply-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _context(browser: Any, options: dict[str, Any]) -> Any:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    return context


def _sign_in(page: Any, base_url: str, user: User, next_path: str) -> None:
    page.goto(f"{base_url}/login/?next={next_path}")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{next_path}")


def _staff_decides(
    browser: Any, base_url: str, user: User, case_no: str, button: str, shot: str
) -> None:
    """One member of staff opens the case from their to-do list and presses a decision."""
    context = _context(browser, DESKTOP)
    page = context.new_page()
    try:
        _sign_in(page, base_url, user, "/workbench/")
        row = page.locator(f"tr.task-row[data-case='{case_no}']")
        expect(row).to_be_visible()
        row.locator("a.case-link").click()
        page.wait_for_url("**/workbench/cases/*/")
        expect(page.get_by_text("户外招牌设置许可").first).to_be_visible()
        _shot(page, f"{shot}-before")
        page.locator("#id_comment").fill("材料齐全，符合要求。")
        page.locator(".decision-buttons").get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_text(f"已办理：{button}")).to_be_visible()
        _shot(page, f"{shot}-after")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_citizen_applies_and_the_department_approves(
    viewport: str,
    browser: Any,
    live_server: Any,
    tmp_path: Path,
    departments: Any,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
) -> None:
    sign_permit_matter()
    base = live_server.url
    name = viewport
    pdf = tmp_path / "设置申请书.pdf"
    pdf.write_bytes(PDF_BYTES)
    design = tmp_path / "效果图.pdf"
    design.write_bytes(PDF_BYTES + b"% design\n")

    citizen_context = _context(browser, VIEWPORTS[viewport])
    page = citizen_context.new_page()
    try:
        # The guide's 在线办理 leads through sign-in to the generated form.
        page.goto(f"{base}/matters/{MATTER_CODE}/")
        page.get_by_role("link", name="在线办理").click()
        page.wait_for_url("**/login/?next=*")
        page.get_by_label("用户名").fill(applicant.username)
        page.get_by_label("密码").fill(CAST_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"**/apply/{MATTER_CODE}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("户外招牌设置许可")
        _shot(page, f"{name}-1-form")

        # A wrong phone number is refused next to its input, and nothing is saved.
        page.get_by_label("店铺名称").fill("张三面馆")
        page.get_by_label("联系电话").fill("12345")
        page.get_by_label("招牌类型").select_option("wall")
        page.get_by_role("button", name="下一步：上传材料").click()
        phone = page.locator(".field[data-field='phone']")
        expect(phone.locator(".field-error")).to_have_text("联系电话：格式不正确")
        assert Case.objects.count() == 0
        _shot(page, f"{name}-2-form-error")

        page.get_by_label("联系电话").fill("13800001234")
        page.get_by_role("button", name="下一步：上传材料").click()
        page.wait_for_url("**/my/cases/*/edit/")
        case = Case.objects.get()

        # Both materials at once, then submit.
        page.set_input_files("input[name='file.application']", str(pdf))
        page.set_input_files("input[name='file.design']", str(design))
        page.get_by_role("button", name="上传所选文件").click()
        expect(page.get_by_text("材料已上传")).to_be_visible()
        application = page.locator("[data-material='application']")
        expect(application.locator(".badge").first).to_have_text("已提交")
        expect(application).to_contain_text("设置申请书.pdf")
        _shot(page, f"{name}-3-materials")

        submit_through_check(page)
        page.wait_for_url(f"**/my/cases/{case.pk}/")
        expect(page.locator("#case-status")).to_have_text("已提交")
        expect(page.locator(".step-current .step-title")).to_have_text("受理")
        _shot(page, f"{name}-4-submitted")

        case.refresh_from_db()
        case_no = str(case.case_no)
        # Each member of staff in their own browser (a separate session).
        _staff_decides(browser, base, clerk, case_no, "受理", f"{name}-5-clerk")
        _staff_decides(browser, base, reviewer, case_no, "审查通过", f"{name}-6-reviewer")
        _staff_decides(browser, base, approver, case_no, "准予许可", f"{name}-7-approver")

        # The citizen sees the case finished, every step done, in 我的办件 and on the case.
        page.goto(f"{base}/my/cases/")
        item = page.locator(".case-item").first
        expect(item.locator(".badge").first).to_have_text("已办结")
        _shot(page, f"{name}-8-my-cases")
        item.locator(".case-title").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/")
        expect(page.locator("#case-status")).to_have_text("已办结")
        steps = page.locator(".stepper .step")
        expect(steps).to_have_count(5)
        expect(page.locator(".stepper .step-done")).to_have_count(5)
        expect(page.locator(".stepper .step-title")).to_have_text(
            ["提交", "受理", "审查", "决定", "办结"]
        )
        timeline = page.locator(".timeline")
        expect(timeline).to_contain_text("市场监管局")
        # The applicant never sees who in the department acted.
        for staff in (clerk, reviewer, approver):
            expect(page.locator("body")).not_to_contain_text(staff.username)
        _shot(page, f"{name}-9-completed")
    finally:
        citizen_context.close()
