"""The issue's browser test: a citizen rates a completed case with one star on a phone, and the
department's supervisor answers the bad rating in the workbench.

Screenshots go to /tmp/evaluation-*.png (and test-artifacts/) to be looked at.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.models import Case
from tongban.conftest import CAST_PASSWORD
from tongban.evaluation.models import Evaluation
from tongban.identity.models import User
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

#: A phone's browser: the portal records such a rating as channel ``mobile``.
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for folder in (ARTIFACTS, Path(tempfile.gettempdir())):
        page.screenshot(path=str(folder / f"evaluation-{name}.png"), full_page=True)


def _sign_in(page: Any, base_url: str, user: User, next_path: str) -> None:
    page.goto(f"{base_url}/login/?next={next_path}")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{next_path}")


def test_a_citizen_rates_one_star_and_the_supervisor_answers(
    browser: Any,
    live_server: Any,
    applicant: User,
    supervisor: User,
    completed_case: Case,
) -> None:
    base = live_server.url
    phone = browser.new_context(locale="zh-CN", user_agent=PHONE_AGENT, **MOBILE)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    try:
        case_path = f"/my/cases/{completed_case.pk}/"
        _sign_in(page, base, applicant, case_path)
        panel = page.locator("#evaluation")
        expect(panel).to_be_visible()
        _shot(page, "1-case-panel-phone")
        panel.locator(".rating-stage").filter(has_text="办结环节").get_by_role(
            "link", name="去评价"
        ).click()
        page.wait_for_url("**/evaluate/?stage=result")
        page.locator("label.score-1").click()
        page.locator("label.grade").filter(has_text="1").first.click()
        page.locator("#id_comment").fill("窗口等候时间太长，电话也打不通。")
        _shot(page, "2-rating-page-phone")
        page.get_by_role("button", name="提交评价").click()
        page.wait_for_url(f"**{case_path}")
        expect(page.get_by_text("感谢您的评价！")).to_be_visible()
        expect(panel.get_by_text("非常不满意")).to_be_visible()
        _shot(page, "3-case-rated-phone")
    finally:
        phone.close()

    evaluation = Evaluation.objects.get(case=completed_case)
    assert (evaluation.score, evaluation.channel) == (1, "mobile")

    desk = browser.new_context(locale="zh-CN", **DESKTOP)
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    try:
        _sign_in(page, base, supervisor, "/workbench/")
        row = page.locator(f"tr.task-row[data-case='{completed_case.case_no}']")
        expect(row).to_contain_text("差评核实整改")
        _shot(page, "4-supervisor-tasks")
        page.get_by_role("link", name="差评整改").click()
        page.wait_for_url("**/workbench/evaluations/")
        item = page.locator(f"[data-evaluation='{evaluation.pk}']")
        expect(item).to_contain_text("窗口等候时间太长")
        item.get_by_text("核实整改并答复").first.click()
        item.get_by_label("情况属实").check()
        item.get_by_label("整改情况").fill("已增开一个综合窗口，并公布咨询电话值守时间。")
        item.get_by_label("答复申请人").fill("您反映的情况属实，我们已整改，感谢您的监督。")
        _shot(page, "5-supervisor-answer-form")
        item.get_by_role("button", name="提交答复").click()
        page.wait_for_url("**/workbench/evaluations/?state=answered")
        expect(page.get_by_text("已答复申请人。")).to_be_visible()
        expect(page.locator(f"[data-evaluation='{evaluation.pk}']")).to_contain_text("感谢您的监督")
        _shot(page, "6-supervisor-answered")
    finally:
        desk.close()
    evaluation.refresh_from_db()
    assert evaluation.answered_at is not None and evaluation.verified is True


def test_the_window_clerk_hands_the_rating_to_the_counter_device(
    browser: Any, live_server: Any, applicant: User, clerk: User, completed_case: Case
) -> None:
    base = live_server.url
    desk = browser.new_context(locale="zh-CN", **DESKTOP)
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    try:
        _sign_in(page, base, clerk, f"/workbench/cases/{completed_case.pk}/")
        device_card = page.locator("#rating-device")
        expect(device_card).to_be_visible()
        device_card.locator("li").filter(has_text="办结环节").get_by_role(
            "button", name="请申请人评价"
        ).click()
        page.wait_for_url("**/workbench/rating-requests/*/")
        expect(page.locator(".qr svg")).to_be_visible()
        _shot(page, "7-clerk-device-link")
        link = page.locator("#device-link").get_attribute("href")
    finally:
        desk.close()
    assert link

    tablet = browser.new_context(
        locale="zh-CN", viewport={"width": 820, "height": 1180}, has_touch=True
    )
    tablet.set_default_timeout(15_000)
    page = tablet.new_page()
    try:
        page.goto(link)  # the counter device has no session
        expect(page.get_by_text("窗口评价器")).to_be_visible()
        page.locator("label.score-4").click()
        _shot(page, "8-device-rating")
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_text("感谢您的评价！")).to_be_visible()
        _shot(page, "9-device-thanks")
    finally:
        tablet.close()
    evaluation = Evaluation.objects.get(case=completed_case)
    assert (evaluation.channel, evaluation.rated_by, evaluation.handed_by) == (
        "window",
        applicant,
        clerk,
    )
