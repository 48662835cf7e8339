"""The issue's browser test for the center: a walk-in applies for 居住证 at the comprehensive
window, the police back office approves in the workbench, the output window hands it over.

A real Chromium drives the workbench through a live server with the demo district; pages
are saved under test-artifacts/workbench-desk-*.png.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, TimelineEntry
from tongban.catalog.models import Section
from tongban.counter.models import Ticket, WindowAssignment
from tongban.demo.loader import demo_load
from tongban.identity.models import Person, User
from tongban.workflow.calendar import SHANGHAI

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

DEMO_PASSWORD = "demo-pass-2026"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
#: 赵敏, a demo person with no account: she walks in with her ID card.
WALK_IN = {"id_number": "310104197909300626", "name": "赵敏", "mobile": "13524607718"}
FORM = {
    "applicant_name": "赵敏",
    "id_number": WALK_IN["id_number"],
    "residential_address": "上海市嘉定区菊园新区平城路1055弄8号",
    "contact_phone": WALK_IN["mobile"],
    "employer_name": "上海嘉定示范科技有限公司",
}


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/workbench/")
    page.wait_for_url("**/login/?next=/workbench/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/workbench/")


def decide(page: Any, case: Case, button: str) -> None:
    page.goto(page.url.split("/workbench/")[0] + f"/workbench/cases/{case.pk}/")
    claim = page.get_by_role("button", name="认领")
    if claim.count():
        claim.click()
        expect(page.locator(".alert-success")).to_contain_text("已认领")
    page.locator("#id_comment").fill("符合条件")
    page.locator(".decision-buttons").get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(f"已办理：{button}")


@pytest.fixture
def counter() -> Ticket:
    """The demo district with ``center-clerk`` on duty today (any day), and ticket C012."""
    demo_load()
    clerk = User.objects.get(username="center-clerk")
    today = timezone.now().astimezone(SHANGHAI).date()
    # The demo's standing assignments hold on working days; the test may run on a Sunday.
    for standing in WindowAssignment.objects.filter(clerk=clerk, date__isnull=True):
        WindowAssignment.objects.get_or_create(window=standing.window, clerk=clerk, date=today)
    return Ticket.objects.create(
        day=today,
        section=Section.objects.get(code="social"),
        sequence=12,
        number="C012",
        issued_at=timezone.now(),
    )


def test_a_walk_in_gets_a_residence_permit_through_the_front_and_back_office(
    browser: Any, live_server: Any, screenshot: Any, counter: Ticket, tmp_path: Path
) -> None:
    base = live_server.url
    scan = tmp_path / "扫描件.pdf"
    scan.write_bytes(PDF)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        # 前台综合受理: the clerk calls C012, identifies 赵敏 and chooses 居住证.
        sign_in(page, base, "center-clerk")
        expect(page.get_by_role("link", name="窗口受理")).to_be_visible()
        page.goto(base + "/workbench/desk/accept/?ticket=C012")
        expect(page.locator("#desk-ticket")).to_contain_text("C012")
        page.locator("#desk-q").fill("居住证")
        page.get_by_role("button", name="搜索").click()
        page.locator("input[name=target][value='matter:residence-permit']").check()
        page.locator("#desk-id-number").fill("310104197909300627")  # a wrong check digit
        page.locator("#desk-name").fill(WALK_IN["name"])
        page.locator("#desk-mobile").fill(WALK_IN["mobile"])
        page.get_by_role("button", name="创建申请").click()
        expect(page.locator("[data-field=id_number] .field-error")).to_contain_text("校验码")
        screenshot(page, "desk-identity-refused")
        assert not Case.objects.exists()
        page.locator("#desk-id-number").fill(WALK_IN["id_number"])
        page.get_by_role("button", name="创建申请").click()
        page.wait_for_url("**/workbench/desk/cases/*/")
        case = Case.objects.get(matter__code="residence-permit")
        expect(page.locator("#desk-applicant")).to_have_text("赵敏")

        # The same JSON-Schema form as the portal, the paper scanned, pick-up chosen.
        for name, value in FORM.items():
            page.locator(f"[name='form.{name}']").fill(value)
        page.locator("[name='form.basis']").select_option("合法稳定住所")
        page.locator("input[name=delivery_method][value=pickup]").check()
        file_inputs = page.locator("input[type=file]")
        for index in range(file_inputs.count()):
            file_inputs.nth(index).set_input_files(str(scan))
        screenshot(page, "desk-form")
        page.locator("#desk-submit").click()
        page.wait_for_url(f"**/workbench/desk/cases/{case.pk}/receipt/")
        expect(page.locator("#receipt-case-no")).to_have_text(case.case_no or "")
        screenshot(page, "desk-receipt")
        case.refresh_from_db()
        assert (case.status, case.visit_count, case.ticket) == (CaseStatus.SUBMITTED, 1, counter)

        # 后台分类审批: the police accept, review and approve in their workbench.
        sign_in(page, base, "police-clerk")
        decide(page, case, "受理")
        sign_in(page, base, "police-reviewer")
        decide(page, case, "审查通过")
        sign_in(page, base, "police-approver")
        decide(page, case, "准予许可")
        case.refresh_from_db()
        assert case.status == CaseStatus.ISSUED

        # 统一出件: found by the ID number, a stranger refused, then handed to 赵敏.
        sign_in(page, base, "center-clerk")
        page.get_by_role("link", name="统一出件").click()
        page.locator("#out-q").fill(WALK_IN["id_number"])
        page.get_by_role("button", name="查找").click()
        item = page.locator(f"[data-output='{case.pk}']")
        expect(item).to_contain_text("赵*")
        item.locator("input[name=id_number]").fill("310114198803120317")  # 张伟, not 赵敏
        item.locator("input[name=signed]").check()
        item.get_by_role("button", name="确认交付").click()
        expect(page.locator("#hand-over-error")).to_contain_text("书面授权委托书")
        case.refresh_from_db()
        assert case.status == CaseStatus.ISSUED
        screenshot(page, "desk-outputs-refused")
        item = page.locator(f"[data-output='{case.pk}']")
        item.locator("input[name=id_number]").fill(WALK_IN["id_number"])
        item.locator("input[name=signed]").check()
        item.get_by_role("button", name="确认交付").click()
        expect(page.locator(".alert-success")).to_contain_text("已交付")
        screenshot(page, "desk-outputs-done")
        case.refresh_from_db()
        assert (case.status, case.visit_count) == (CaseStatus.COMPLETED, 2)
        handed = TimelineEntry.objects.get(case=case, action="picked_up")
        assert handed.actor is not None and handed.actor.username == "center-clerk"
        assert "已签字确认" in handed.comment
        # 赵敏's case is hers: the account opened for her holds it.
        assert case.applicant_user == Person.objects.get(id_number=WALK_IN["id_number"]).user
    finally:
        context.close()
