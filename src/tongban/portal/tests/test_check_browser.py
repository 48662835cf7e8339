"""检查您的答案 in a real browser: answers as typed, 修改 and back, a missing material blocks.

Desktop and 390×844; screenshots under test-artifacts/check-*.png (Chinese and English).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tongban.cases import services as cases
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.conftest import CAST_PASSWORD
from tongban.identity.models import User
from tongban.portal.tests.browser_steps import CHECK_URL
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
    path = ARTIFACTS / f"check-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_check_answers_change_and_submit(
    viewport: str, browser: Any, live_server: Any, departments: Any, applicant: User
) -> None:
    sign_permit_matter()
    case = cases.case_create(
        actor=applicant,
        matter_code=MATTER_CODE,
        form={"shop_name": "张三面馆", "phone": "13800001234", "kind": "roof"},
    )
    base = live_server.url
    context = browser.new_context(locale="zh-CN", **VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{base}/login/?next=/my/cases/{case.pk}/edit/")
        page.get_by_label("用户名").fill(applicant.username)
        page.get_by_label("密码").fill(CAST_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/edit/")
        # The draft page has no submit button: it leads to the check page.
        expect(page.get_by_role("button", name="提交申请")).to_have_count(0)
        page.locator("#file\\.application").set_input_files(
            {"name": "设置申请书.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
        )
        page.get_by_role("button", name="继续：检查您的答案").click()
        page.wait_for_url(CHECK_URL)

        # What was typed, the choice's label, the uploaded file; the missing one blocks.
        expect(page.locator("[data-answer='shop_name'] .check-value")).to_have_text("张三面馆")
        expect(page.locator("[data-answer='phone'] .check-value")).to_have_text("13800001234")
        expect(page.locator("[data-answer='kind'] .check-value")).to_have_text("屋顶招牌")
        expect(page.locator("[data-material='application']")).to_contain_text("设置申请书.pdf")
        summary = page.locator("#form-errors")
        expect(summary).to_contain_text("请提供材料“招牌设计效果图”")
        expect(page.get_by_role("button", name="提交申请")).to_have_count(0)
        _shot(page, f"{viewport}-1-missing")

        # The error's link goes to the material's input; uploading there returns here.
        summary.get_by_role("link", name="请提供材料“招牌设计效果图”").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/edit/?return=check#file.design")
        page.locator("#file\\.design").set_input_files(
            {"name": "效果图.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
        )
        page.get_by_role("button", name="上传所选文件").click()
        page.wait_for_url(CHECK_URL)
        expect(page.locator("#form-errors")).to_have_count(0)
        expect(page.locator("[data-material='design']")).to_contain_text("效果图.pdf")

        # 修改 on the phone: the field itself, and back to the check page after saving.
        page.locator("[data-answer='phone'] .check-change a").click()
        page.wait_for_url(f"**/my/cases/{case.pk}/edit/?return=check#f-phone")
        expect(page.locator("#f-phone")).to_be_in_viewport()
        page.locator("#f-phone").fill("13900002222")
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_url(CHECK_URL)
        expect(page.locator("[data-answer='phone'] .check-value")).to_have_text("13900002222")
        _shot(page, f"{viewport}-2-complete")

        # English: the same page in the reader's language.
        context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
        expect(page.locator("[data-answer='phone'] .check-change a")).to_contain_text("Change")
        _shot(page, f"{viewport}-3-english")
        context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
        page.reload()

        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(rf"/my/cases/{case.pk}/(#.*)?$"))
        _shot(page, f"{viewport}-4-submitted")
        expect(page.locator("#case-status")).to_have_text("已提交")
        case.refresh_from_db()
        assert case.status == CaseStatus.SUBMITTED
        assert case.form_data["phone"] == "13900002222"
        assert Case.objects.count() == 1
    finally:
        context.close()
