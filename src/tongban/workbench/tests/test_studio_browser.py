"""The issue's browser test for new versions: a center admin uploads a version that changes a
gateway, sees the validation report, the dry run and the diff on the diagram, edits the
version in force in the bpmn-js modeler, and a second center admin approves the upload.

Pages are saved under test-artifacts/studio-*.png.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP
from tongban.workflow.choices import DefinitionStatus
from tongban.workflow.engine import process_complete_task, process_start
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.tests.test_studio import _fail_goes_to_denied

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"studio-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _page(browser: Any, base_url: str, user: User) -> Any:
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    page.goto(f"{base_url}/login/?next=/workbench/studio/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/studio/")
    return page


def _recorded(*decisions: str) -> None:
    step = process_start(
        name="standard_approval",
        data={
            "acceptance_deadline": (timezone.now() + timedelta(days=7)).isoformat(),
            "case_no": "JD-" + "-".join(decisions),
        },
    )
    for decision in decisions:
        step = process_complete_task(
            instance=step.instance, task_id=step.ready[0].id, data={"decision": decision}
        )


def test_upload_validate_and_a_second_admin_approves(
    browser: Any, live_server: Any, center_admin: User, second_admin: User, tmp_path: Path
) -> None:
    _recorded("accept", "pass", "approve")
    _recorded("accept", "fail", "deny")
    _recorded("reject")
    upload = tmp_path / "standard_approval.bpmn"
    upload.write_text(_fail_goes_to_denied(), encoding="utf-8")

    page = _page(browser, live_server.url, center_admin)
    expect(page.locator("#processes")).to_contain_text("standard_approval")
    page.locator("#processes").get_by_role("link", name="standard_approval").click()
    page.locator("#file").set_input_files(str(upload))
    page.locator("#note").fill("审查不通过的直接不予许可，不再经过决定环节")
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url("**/workbench/studio/standard_approval/2/")
    expect(page.locator(".alert-success")).to_contain_text("等待另一位中心管理员审批")
    expect(page.locator("#validation")).to_contain_text("网关条件在允许的表达式范围内")
    expect(page.locator("#dry-run")).to_contain_text("1 件会走不同的路径")
    expect(page.locator("#diverged")).to_contain_text("JD-accept-fail-deny")
    expect(page.locator("#diff")).to_contain_text("flow_review_denied")
    expect(page.locator("#diagram[data-ready=true]")).to_have_count(1)
    expect(page.locator("#diagram .diff-marker-added")).to_have_count(1)
    expect(page.locator("#own-upload")).to_be_visible()
    expect(page.locator("#approve")).to_have_count(0)
    _shot(page, "validation-and-diff")

    # The modeler: the version in force, edited in the browser and saved as a new version.
    page.goto(f"{live_server.url}/workbench/studio/standard_approval/modeler/")
    expect(page.locator("#modeler[data-ready=true]")).to_have_count(1)
    _shot(page, "modeler")
    page.locator("#modeler-note").fill("在线编辑后保存")
    page.get_by_role("button", name="保存为新版本并校验").click()
    page.wait_for_url("**/workbench/studio/standard_approval/3/")
    expect(page.locator("#validation")).to_be_visible()
    assert page.js_errors == []

    second = _page(browser, live_server.url, second_admin)
    second.goto(f"{live_server.url}/workbench/studio/standard_approval/2/")
    second.locator("#comment").fill("同意发布")
    second.locator("#approve").click()
    expect(second.locator(".alert-success")).to_contain_text("已审批发布")
    expect(second.locator("h1 .status")).to_contain_text("已发布")
    _shot(second, "approved")
    second.goto(f"{live_server.url}/workbench/studio/standard_approval/")
    expect(second.locator("#history tr[data-version='2']")).to_contain_text("center-admin-2")
    _shot(second, "history")
    assert second.js_errors == []
    published = ProcessDefinition.objects.get(name="standard_approval", version=2)
    assert published.status == DefinitionStatus.PUBLISHED
    assert (published.uploaded_by, published.reviewed_by) == (center_admin, second_admin)
