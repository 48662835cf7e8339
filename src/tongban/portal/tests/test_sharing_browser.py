"""The issue's browser test: 免提交 on the guide, the prefilled form, then 谁用了我的数据.

A real Chromium (Debian's) drives the portal through a live server; each page
is saved under test-artifacts/sharing-*.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.choices import MaterialOrigin
from tongban.cases.models import Case
from tongban.catalog.models import Department
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.conftest import CAST_PASSWORD, ENTERPRISE_USCC
from tongban.exchange.choices import ShareType, SubjectKind
from tongban.exchange.models import AccessLog, DataField, DataResource, RegistryRecord
from tongban.identity.models import Enterprise, User
from tongban.portal.tests.browser_steps import submit_through_check
from tongban.portal.tests.cases_fixtures import PDF_BYTES
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

LICENCE = "market.business_licence"
MATTER = "food-business-licence"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"sharing-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def food_licence(departments: dict[str, Department], enterprise: Enterprise) -> None:
    """食品经营许可 whose business licence and three form fields come from 营业执照信息."""
    section_upsert(code="commerce", fields={"name": "商事登记"})
    bound = {
        "business_name": ("经营者名称", "company_name"),
        "legal_representative": ("法定代表人", "legal_representative"),
        "business_address": ("经营场所", "business_address"),
    }
    properties: dict[str, Any] = {
        name: {"type": "string", "title": title, "x-shared": f"{LICENCE}#{code}"}
        for name, (title, code) in bound.items()
    }
    properties["business_area"] = {"type": "number", "title": "经营场所面积（平方米）"}
    matter_upsert(
        code=MATTER,
        fields={
            "name": "食品经营许可",
            "kind": "licence",
            "audience": "enterprise",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 10,
            "promised_limit_days": 5,
            "max_visits": 0,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "process": "standard_approval",
            "form_schema": {
                "type": "object",
                "properties": properties,
                "required": [*bound, "business_area"],
            },
        },
        materials=[
            {"code": "application-form", "name": "食品经营许可申请书"},
            {"code": "business-licence", "name": "营业执照", "shared_resource": LICENCE},
        ],
    )
    resource = DataResource.objects.create(
        code=LICENCE,
        name="营业执照信息",
        provider=departments["market"],
        share_type=ShareType.UNCONDITIONAL,
        subject_kind=SubjectKind.ENTERPRISE,
    )
    record = {
        "uscc": ENTERPRISE_USCC,
        "company_name": "上海通办示范科技有限公司",
        "legal_representative": "李四",
        "business_address": "上海市嘉定区示范路1号",
    }
    for order, code in enumerate(record):
        DataField.objects.create(resource=resource, code=code, name=code, order=order)
    RegistryRecord.objects.create(resource=resource, subject=ENTERPRISE_USCC, data=record)


def _sign_in(page: Any, base_url: str, user: User, next_path: str) -> None:
    page.goto(f"{base_url}/login/?next={next_path}")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(CAST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{next_path}")


def test_an_applicant_sees_what_sharing_spares_them_and_who_used_their_data(
    page: Any,
    live_server: Any,
    food_licence: None,
    agent_user: User,
    clerk: User,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url

    # The guide marks the business licence 免提交 and counts it.
    page.goto(f"{base}/matters/{MATTER}/")
    expect(page.get_by_text("1 项材料免提交")).to_be_visible()
    expect(page.locator("tr.is-shared").get_by_text("免提交", exact=True)).to_be_visible()
    _shot(page, "guide")

    # Applying for the enterprise: the bound fields may stay empty.
    _sign_in(page, base, agent_user, f"/apply/{MATTER}/")
    page.locator(f"input[name='applicant'][value='{ENTERPRISE_USCC}']").check()
    expect(page.locator("[data-shareable='business_name']")).to_be_visible()
    expect(page.locator("[data-shared-material='business-licence']")).to_contain_text("免提交")
    page.locator("#f-business_area").fill("86")
    _shot(page, "apply")
    page.get_by_role("button", name="下一步：上传材料").click()
    page.wait_for_url("**/my/cases/*/edit/")

    # The draft: prefilled fields are marked, the licence needs no upload.
    expect(page.locator("#f-business_name")).to_have_value("上海通办示范科技有限公司")
    expect(page.locator("#f-business_address")).to_have_value("上海市嘉定区示范路1号")
    expect(page.locator("[data-prefilled='business_name']")).to_have_text(
        "已通过数据共享预填，请核对"
    )
    licence = page.locator("[data-material='business-licence']")
    expect(licence.get_by_text("数据共享", exact=True)).to_be_visible()
    expect(licence.get_by_text("已通过数据共享获取，无需上传")).to_be_visible()
    expect(licence.locator("input[type='file']")).to_have_count(0)
    _shot(page, "edit")
    case = Case.objects.get(applicant_user=agent_user)
    assert case.materials.get(requirement_code="business-licence").origin == MaterialOrigin.SHARING

    # Only the application form is uploaded; the case is submitted.
    page.locator("#file\\.application-form").set_input_files(
        {"name": "申请书.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    submit_through_check(page)
    page.wait_for_url(f"**/my/cases/{case.pk}/")
    expect(page.locator("#prefilled-note")).to_contain_text("经营者名称")
    _shot(page, "case")

    # 谁用了我的数据: market looked the enterprise up for this very case.
    page.goto(f"{base}/my/cases/")
    page.get_by_role("link", name="谁用了我的数据").click()
    page.wait_for_url("**/my/data-access/")
    item = page.locator(".access-item").first
    expect(item).to_contain_text("市场监管局 · 营业执照信息")
    expect(item.get_by_role("link", name=str(case.case_no))).to_be_visible()
    expect(item).to_contain_text("申请材料免提交")
    expect(item).to_contain_text("成功")
    _shot(page, "data-access")
    assert AccessLog.objects.filter(case=case, resource_code=LICENCE).count() == 1

    # The clerk who accepts the case sees the shared record itself.
    page.context.clear_cookies()
    _sign_in(page, base, clerk, "/workbench/")
    page.goto(f"{base}/workbench/cases/{case.pk}/")
    shared = page.locator(".wb-material.is-shared")
    expect(shared).to_contain_text("由数据共享提供")
    expect(shared.locator(".shared-record")).to_contain_text("上海通办示范科技有限公司")
    _shot(page, "workbench")
