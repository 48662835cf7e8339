"""A case goes through the workbench in a real Chromium: accept, review, approve, 已办结."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tongban.cases.models import Case
from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(page: Any, base_url: str, user: User) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/workbench/")
    page.wait_for_url("**/login/?next=/workbench/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(CAST_PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/workbench/")


def open_case(page: Any, case: Case) -> None:
    row = page.locator("tr.task-row", has_text=case.case_no or "")
    expect(row).to_be_visible()
    row.get_by_role("link", name=case.case_no).click()
    page.wait_for_url(f"**/workbench/cases/{case.pk}/")


def decide(page: Any, button: str, comment: str = "") -> None:
    if comment:
        page.locator("#id_comment").fill(comment)
    page.locator(".decision-buttons").get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(f"已办理：{button}")


def test_a_case_is_accepted_reviewed_and_approved_in_the_workbench(
    page: Any,
    live_server: Any,
    screenshot: Any,
    submitted_case: Case,
    clerk: User,
    reviewer: User,
    approver: User,
) -> None:
    base = live_server.url
    case = submitted_case

    # The clerk signs in and finds the new application at the top of the to-do list.
    sign_in(page, base, clerk)
    expect(page.locator(".wb-post")).to_contain_text("市场监管局")
    expect(page.locator(".wb-post")).to_contain_text("窗口受理")
    expect(page.locator("#open-count")).to_have_text("1")
    row = page.locator("tr.task-row", has_text=case.case_no or "")
    expect(row).to_contain_text("食品经营许可")
    expect(row).to_contain_text("张三")
    expect(row.locator(".sla")).to_have_text("正常")
    screenshot(page, "tasks")

    open_case(page, case)
    expect(page.get_by_role("heading", level=1)).to_have_text("食品经营许可")
    expect(page.locator("#case-status")).to_have_text("已提交")
    expect(page.locator(".applicant-number")).to_contain_text("310***********")
    expect(page.locator(".form-data")).to_contain_text("店铺名称")
    expect(page.locator(".wb-material.is-shared")).to_contain_text("数据共享")

    # The PDF opens inline in the page, served with its sniffed type.
    material = page.locator(".wb-material", has_text="食品经营许可申请书")
    with page.expect_response(lambda r: "/materials/" in r.url) as response_info:
        material.locator("summary").click()
    response = response_info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    expect(material.locator("iframe.material-frame")).to_be_visible()
    material.locator("iframe.material-frame").scroll_into_view_if_needed()
    page.wait_for_timeout(2000)  # let Chromium's PDF viewer paint before the screenshot
    screenshot(page, "material", full_page=False)
    screenshot(page, "case-accept")

    # A refusal without a reason is shown and changes nothing.
    page.locator(".decision-buttons").get_by_role("button", name="不予受理").click()
    expect(page.locator("#comment-error")).to_have_text("作出此决定必须说明理由")
    expect(page.locator("#case-status")).to_have_text("已提交")
    screenshot(page, "case-error")

    # The supplement form lists every material and form field, on a tablet too.
    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator("details.wb-supplement summary").click()
    expect(page.locator(".wb-supplement-items li")).to_have_count(4)
    screenshot(page, "tablet-supplement")
    page.locator("details.wb-supplement summary").click()
    page.set_viewport_size({"width": 1440, "height": 900})

    page.get_by_role("button", name="认领").click()
    expect(page.locator(".alert-success")).to_contain_text("已认领")
    decide(page, "受理", "材料齐全，予以受理")
    expect(page.locator("#case-status")).to_have_text("审查中")

    # The reviewer passes it.
    sign_in(page, base, reviewer)
    open_case(page, case)
    decide(page, "审查通过", "符合条件")

    # The approver approves it, and the case is 已办结.
    sign_in(page, base, approver)
    open_case(page, case)
    expect(page.locator(".wb-timeline")).to_contain_text("审查通过")
    expect(page.locator(".wb-timeline")).to_contain_text("market-reviewer")
    screenshot(page, "case-decide")
    decide(page, "准予许可", "准予许可")
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.locator("#task-actions")).to_have_count(0)
    screenshot(page, "case-completed")

    page.get_by_role("link", name="办件查询").first.click()
    page.wait_for_url("**/workbench/cases/")
    page.locator("#wb-q").fill("张三")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("tr.case-row", has_text=case.case_no or "")).to_contain_text("已办结")
    screenshot(page, "search")
