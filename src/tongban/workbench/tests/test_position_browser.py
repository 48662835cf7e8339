"""The case on its diagram in a real Chromium: the staff case page (desktop) and the
applicant's simplified view (390×844). Screenshots: test-artifacts/position-*.png."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.cases import services as case_services
from tongban.cases.choices import TaskKind, TaskState
from tongban.cases.models import Case
from tongban.cases.tests.test_joint_review import (
    LEAD,
    joint_review_matter,
    permit_accepted,
    review_task,
    staff,
)
from tongban.catalog.models import Department
from tongban.conftest import CAST_PASSWORD
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User
from tongban.workbench.tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _sign_in(page: Any, base: str, user: User, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(CAST_PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"position-{name}.png"), full_page=True)


def _accepted(case: Case, clerk: User) -> Case:
    task = case.tasks.get(kind=TaskKind.ACCEPT, state=TaskState.OPEN)
    case_services.task_complete(actor=clerk, task=task, decision="accept", comment="材料齐全")
    case.refresh_from_db()
    return case


def test_the_staff_case_page_highlights_the_current_task(
    browser: Any, live_server: Any, submitted_case: Case, clerk: User, reviewer: User
) -> None:
    case = _accepted(submitted_case, clerk)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _sign_in(page, live_server.url, reviewer, f"/workbench/cases/{case.pk}/")
        figure = page.locator("figure[data-diagram]")
        expect(figure).to_have_attribute("data-diagram-state", "ready")
        # The review waits now: its shape carries the current marker, the accept is done.
        expect(page.locator('.djs-element.current[data-element-id="review"]')).to_have_count(1)
        expect(page.locator('.djs-element.done[data-element-id="accept"]')).to_have_count(1)
        expect(page.locator('.djs-element.not-taken[data-element-id="denied"]')).to_have_count(1)
        expect(
            page.locator('.djs-connection.done[data-element-id="flow_route_review"]')
        ).to_have_count(1)
        # The bpmn.io watermark stays visible (licence).
        expect(page.locator(".bjs-powered-by")).to_be_visible()
        steps = page.locator("#position-steps")
        expect(steps.locator('li[data-node="accept"]')).to_contain_text("办理人：market-clerk")
        expect(steps.locator('li[aria-current="step"]')).to_contain_text("审查")
        figure.scroll_into_view_if_needed()
        _shot(page, "staff-desktop")
        assert errors == []
    finally:
        context.close()


def test_the_applicant_sees_a_simplified_view_on_a_phone(
    browser: Any, live_server: Any, submitted_case: Case, clerk: User, applicant: User
) -> None:
    case = _accepted(submitted_case, clerk)
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _sign_in(page, live_server.url, applicant, f"/my/cases/{case.pk}/")
        figure = page.locator("figure[data-diagram]")
        expect(figure).to_have_attribute("data-diagram-state", "ready")
        expect(page.locator('.djs-element.current[data-element-id="review"]')).to_have_count(1)
        steps = page.locator("#position-steps")
        expect(steps.locator('li[aria-current="step"]')).to_contain_text("审查")
        # No staff names for the applicant.
        expect(page.locator("#position")).not_to_contain_text("market-clerk")
        # The diagram fits the phone's width.
        box = figure.bounding_box()
        assert box is not None and box["width"] <= 390
        figure.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "position-applicant-phone-view.png"))
        _shot(page, "applicant-phone")
        assert errors == []
    finally:
        context.close()


def test_the_process_viewer_draws_a_process_and_a_decision_table(
    browser: Any, live_server: Any, clerk: User
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _sign_in(page, live_server.url, clerk, "/workbench/processes/")
        expect(page.locator('tr[data-process="credit_route"]')).to_be_visible()
        _shot(page, "process-list")
        page.locator('tr[data-process="joint_review"]').get_by_role("link", name="第 1 版").click()
        page.wait_for_url("**/workbench/processes/joint_review/1/")
        expect(page.locator("figure[data-diagram]")).to_have_attribute(
            "data-diagram-state", "ready"
        )
        expect(page.locator('.djs-element[data-element-id="department_review"]')).to_have_count(1)
        _shot(page, "process-bpmn")
        page.goto(f"{live_server.url}/workbench/processes/credit_route/1/")
        expect(page.locator("figure[data-diagram]")).to_have_attribute(
            "data-diagram-state", "ready"
        )
        # dmn-js opens the decision table: its rules are rows of a table.
        expect(page.locator(".tjs-table")).to_be_visible()
        _shot(page, "process-dmn")
        assert errors == []
    finally:
        context.close()


def test_a_joint_review_shows_each_department_on_the_lead_departments_page(
    browser: Any,
    live_server: Any,
    departments: dict[str, Department],
    agent_user: User,
    enterprise: Enterprise,
) -> None:
    joint_review_matter(["planning", "fire", "greening"])
    case = permit_accepted(agent_user, enterprise)
    case_services.task_complete(
        actor=staff("fire", StaffRole.REVIEWER),
        task=review_task(case, "fire"),
        decision="pass",
        comment="符合消防要求",
    )
    lead = staff(LEAD, StaffRole.CLERK)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _sign_in(page, live_server.url, lead, f"/workbench/cases/{case.pk}/")
        expect(page.locator("figure[data-diagram]")).to_have_attribute(
            "data-diagram-state", "ready"
        )
        review = page.locator('.djs-element.current[data-element-id="department_review"]')
        expect(review).to_have_count(1)
        expect(page.locator(".diagram-count")).to_have_text("1/3")
        table = page.locator("#position-departments")
        expect(table.locator('tr[data-department="fire"]')).to_contain_text("fire-reviewer")
        expect(table.locator("tbody tr")).to_have_count(3)
        page.locator("#position").scroll_into_view_if_needed()
        _shot(page, "joint-review")
    finally:
        context.close()
