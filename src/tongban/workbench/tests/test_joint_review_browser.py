"""建设工程联审 in a real Chromium: the lead department sees eleven parallel opinions.

The eleven reviews themselves are completed through the services (cases.services.task_complete,
one reviewer of each department); the browser shows what the lead department then sees and
takes the decision in its workbench.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tongban.cases import services
from tongban.cases.choices import CaseStatus, TaskKind, TaskState
from tongban.cases.models import Case, Task
from tongban.cases.tests.test_joint_review import (
    CONSTRUCTION_REVIEWERS,
    LEAD,
    joint_review_matter,
    permit_accepted,
    review_all,
    review_task,
    staff,
)
from tongban.catalog.models import Department
from tongban.conftest import CAST_PASSWORD
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User
from tongban.workbench.tests.conftest import ARTIFACTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"joint-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base_url: str, user: User) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/workbench/")
    page.wait_for_url("**/login/?next=/workbench/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(CAST_PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/workbench/")


def test_the_lead_department_sees_eleven_parallel_reviews_and_decides(
    page: Any,
    live_server: Any,
    departments: dict[str, Department],
    agent_user: User,
    enterprise: Enterprise,
) -> None:
    base = live_server.url
    joint_review_matter(list(CONSTRUCTION_REVIEWERS))
    case: Case = permit_accepted(agent_user, enterprise)
    assert case.tasks.filter(kind=TaskKind.JOINT_REVIEW, state=TaskState.OPEN).count() == 11

    # Through the services: nine departments pass, fire fails with its reason, and
    # planning has not spoken yet.
    services.task_complete(
        actor=staff("fire", StaffRole.REVIEWER),
        task=review_task(case, "fire"),
        decision="fail",
        comment="消防车道宽度不足4米，需调整总平面布置",
    )
    review_all(case, [c for c in CONSTRUCTION_REVIEWERS if c not in ("fire", "planning")])

    approver = staff(LEAD, StaffRole.APPROVER)
    sign_in(page, base, approver)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/workbench/cases/{case.pk}/")
    panel = page.locator("#joint-review")
    expect(panel.locator("tr.opinion")).to_have_count(11)
    expect(panel.locator("#joint-review-counts")).to_contain_text(
        "共 11 个部门：通过 9，不通过 1，审查中 1"
    )
    expect(panel.locator("tr.opinion-fail")).to_contain_text("消防车道宽度不足4米")
    expect(panel.locator("tr.opinion-pending")).to_have_count(1)
    # The decision waits for the last department.
    expect(page.locator("#task-actions")).to_have_count(0)
    shot(page, "lead-waiting")

    review_all(case, ["planning"])
    page.reload()
    expect(panel.locator("tr.opinion-pass")).to_have_count(10)
    expect(panel.locator(".joint-review-ready")).to_be_visible()
    expect(page.locator("#task-actions")).to_contain_text("汇总决定")
    shot(page, "lead-decide")

    page.locator("#id_comment").fill("消防意见已由建设单位书面承诺整改，准予许可")
    page.locator(".decision-buttons").get_by_role("button", name="准予许可", exact=True).click()
    expect(page.locator("div.alert-success")).to_contain_text("已办理：准予许可")
    case.refresh_from_db()
    assert case.status in (CaseStatus.ISSUED, CaseStatus.COMPLETED)
    assert not Task.objects.filter(case=case, state=TaskState.OPEN).exists()

    # The permit is published for everyone.
    page.context.clear_cookies()
    page.goto(f"{base}/publicity/permits/")
    expect(page.locator("tr.permit-row")).to_have_count(1)
    expect(page.locator("tr.permit-row")).to_contain_text(enterprise.name)
    shot(page, "publicity")
