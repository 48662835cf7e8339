"""Browser journeys of issue 10: the uploads asked are the uploads the guide promised.

For 居住证, 不动产转移登记 (the seller's part), 开办企业 and 食品经营许可 on commitment, in the
demo district, on a desktop and on a 390×844 phone: the guide says how many materials are
to be uploaded, step 1 says the same for the signed-in applicant, and the draft asks for
exactly that many files. Screenshots go to test-artifacts/promise-*.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.choices import CaseStatus, MaterialOrigin
from tongban.cases.models import Case
from tongban.demo.accounts import DEMO_PASSWORD
from tongban.demo.loader import demo_load
from tongban.portal.tests.browser_steps import submit_through_check
from tongban.portal.tests.cases_fixtures import PDF_BYTES
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"promise-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def contexts(browser: Any) -> Iterator[dict[str, Any]]:
    made = {
        "desktop": browser.new_context(locale="zh-CN", **DESKTOP),
        "phone": browser.new_context(locale="zh-CN", **PHONE),
    }
    for context in made.values():
        context.set_default_timeout(20_000)
    yield made
    for context in made.values():
        context.close()


def _sign_in(page: Any, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{next_path}")


def _journey(
    page: Any, base: str, *, guide: str, apply: str, username: str, name: str
) -> tuple[int, int]:
    """Guide → step 1 → the draft; returns (uploads promised, file inputs asked)."""
    page.goto(f"{base}{guide}")
    promised = int(page.locator("[data-uploads]").first.get_attribute("data-uploads"))
    _shot(page, f"{name}-guide")
    _sign_in(page, base, username, apply)
    step_one = int(page.locator("[data-uploads-asked]").get_attribute("data-uploads-asked"))
    assert step_one == promised
    # Nothing promised is asked: every promise is kept for the demo applicant.
    expect(page.locator("[data-promise-reason]")).to_have_count(0)
    _shot(page, f"{name}-apply")
    page.get_by_role("button", name="下一步：上传材料").click()
    page.wait_for_url("**/my/cases/*/edit/")
    asked = page.locator(".upload-list input[type='file']").count()
    stated = int(page.locator("[data-uploads-asked]").get_attribute("data-uploads-asked"))
    assert stated == asked
    _shot(page, f"{name}-draft")
    return promised, asked


@pytest.mark.parametrize(
    ("name", "guide", "apply", "username", "uploads"),
    [
        ("residence", "/matters/residence-permit/", "/apply/residence-permit/", "citizen", 1),
        (
            "property-seller",
            "/matters/property-registration/",
            "/apply/property-registration/",
            "citizen",
            1,
        ),
        ("open-company", "/themes/open-company/", "/apply/theme/open-company/", "agent", 3),
        (
            "food",
            "/matters/food-business-licence/",
            "/apply/food-business-licence/",
            "agent",
            4,
        ),
    ],
)
def test_the_uploads_asked_are_the_uploads_the_guide_promised(
    contexts: dict[str, Any],
    live_server: Any,
    tmp_path: Path,
    settings: Any,
    name: str,
    guide: str,
    apply: str,
    username: str,
    uploads: int,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load()
    for device, context in contexts.items():
        page = context.new_page()
        promised, asked = _journey(
            page,
            live_server.url,
            guide=guide,
            apply=apply,
            username=username,
            name=f"{name}-{device}",
        )
        assert promised == asked == uploads, device


def test_a_food_licence_on_commitment_is_submitted_without_uploading_the_form_or_the_commitment(
    contexts: dict[str, Any], live_server: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_load()
    page = contexts["phone"].new_page()
    base = live_server.url
    _sign_in(page, base, "agent", "/apply/food-business-licence/")
    # Filled from the enterprise register and the agent's verified identity, marked so.
    expect(page.locator("[data-prefill-source='uscc']")).to_contain_text("来自：企业登记信息")
    expect(page.locator("#f-uscc")).to_have_attribute("readonly", "readonly")
    expect(page.locator("[data-prefill-source='contact_phone']")).to_contain_text("来自：实名认证")
    page.locator("#f-main_business_form").select_option("餐饮服务经营者")
    page.locator("input[name='form.food_business_items'][value='热食类食品制售']").check()
    page.locator("#f-business_area").fill("120")
    page.locator("#f-food_safety_manager").fill("王芳")
    page.get_by_role("button", name="下一步：上传材料").click()
    page.wait_for_url("**/my/cases/*/edit/")
    expect(
        page.locator("[data-material='application-form'] [data-made='generated']")
    ).to_be_visible()
    expect(page.locator("[data-material='commitment-letter'] [data-made='signed']")).to_be_visible()
    for code in ("layout-plan", "food-safety-rules", "food-safety-manager-proof"):
        page.locator(f"#file\\.{code}").set_input_files(
            {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
        )
    page.locator("input[name='commitment_signed']").check()
    _shot(page, "food-submit-phone")
    submit_through_check(page)
    page.wait_for_url("**/my/cases/*/")
    _shot(page, "food-submitted-phone")

    case = Case.objects.get(applicant_user__username="agent", matter__code="food-business-licence")
    assert case.status != CaseStatus.DRAFT
    form = case.materials.get(requirement_code="application-form")
    assert form.origin == MaterialOrigin.GENERATED and form.file
    signed = case.materials.get(requirement_code="commitment-letter")
    assert signed.origin == MaterialOrigin.SIGNED
    assert signed.shared_record["signed_by"] == "王芳"
    uploaded = case.materials.filter(origin=MaterialOrigin.UPLOAD).count()
    assert uploaded == 3
