"""The issue's browser test for 开办企业: one form, three departments, three results.

A real Chromium drives the portal through a live server with the demo district;
pages are saved under test-artifacts/theme-*.png.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tongban.cases import services
from tongban.cases.choices import CaseStatus, TaskState
from tongban.cases.models import Case, Task
from tongban.certificates.models import Certificate
from tongban.identity.models import User
from tongban.portal.tests.browser_steps import submit_through_check
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

DEMO_PASSWORD = "demo-pass-2026"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
#: Scalar fields of the merged form, filled in the browser by their labels.
TYPED = {
    "企业名称": "上海嘉定示范科技有限公司",
    "法定代表人": "张三",
    "注册资本（万元）": "100",
    "经营场所": "上海市嘉定区示范路1号",
    "经营范围": "技术开发、技术服务",
    "联系电话": "13800138000",
    "刻章企业": "嘉定刻章社",
    "申请月开票额度（万元）": "10",
}
CHOSEN = {"企业类型": "有限责任公司", "纳税人类型": "小规模纳税人"}


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"theme-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_open_company_is_one_form_and_gives_three_results(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    from tongban.demo.loader import demo_load

    demo_load()
    citizen = User.objects.get(username="citizen")
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(PDF)
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/?next=/themes/open-company/")
        page.get_by_label("用户名").fill("citizen")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/themes/open-company/")
        _shot(page, "guide")
        page.get_by_role("link", name="一表申请").click()
        page.wait_for_url("**/apply/theme/open-company/")
        expect(page.locator("[data-theme-matters] li")).to_have_count(3)
        for label, value in TYPED.items():
            page.get_by_label(label, exact=False).first.fill(value)
        for label, value in CHOSEN.items():
            page.get_by_label(label, exact=False).first.select_option(value)
        _shot(page, "form")
        page.get_by_role("button", name="下一步：上传材料").click()
        page.wait_for_url("**/my/cases/*/edit/")

        parent = Case.objects.get(theme__code="open-company")
        assert parent.form_data["company_name"] == TYPED["企业名称"]
        # The portal's form builder draws scalar fields only; the list fields of the
        # merged form (shareholders, seal and invoice kinds) are set through the service.
        services.case_update_form(
            actor=citizen,
            case=parent,
            form={
                "shareholders": [{"name": "张三", "subscribed_capital": 100}],
                "seal_types": ["公章", "财务专用章"],
                "invoice_types": ["数电发票（普通发票）"],
            },
        )
        page.reload()
        file_inputs = page.locator("input[type=file]")
        for index in range(file_inputs.count()):
            file_inputs.nth(index).set_input_files(str(pdf))
        _shot(page, "materials")
        submit_through_check(page)
        page.wait_for_url(f"**/my/cases/{parent.pk}/")
        expect(page.locator("[data-theme-children] li")).to_have_count(3)
        expect(page.locator("[data-child='seal-engraving']")).to_contain_text("公安分局")
        _shot(page, "submitted")

        # The nine staff steps (accept, review, decide at market, police and tax) run
        # through the services: the workbench pages have their own browser tests.
        for _round in range(3):
            for task in Task.objects.filter(case__parent=parent, state=TaskState.OPEN):
                actor = User.objects.get(username=f"{task.department.code}-{task.role}")
                decision = {"accept": "accept", "review": "pass", "decide": "approve"}[task.kind]
                services.task_complete(actor=actor, task=task, decision=decision, comment="同意")

        page.reload()
        expect(page.locator("#case-status")).to_have_text("已办结")
        expect(page.locator("[data-theme-children] li", has_text="已办结")).to_have_count(3)
        expect(page.get_by_text("企业设立登记：已受理")).to_be_visible()
        # Three results: business licence, seal filing receipt, invoice approval.
        expect(page.locator("[data-theme-children] [data-certificate]")).to_have_count(3)
        _shot(page, "completed")
        assert Certificate.objects.filter(case__parent=parent).count() == 3
        assert Case.objects.get(pk=parent.pk).status == CaseStatus.COMPLETED
    finally:
        context.close()
