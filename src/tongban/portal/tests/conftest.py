"""Fixtures of the portal tests: a small catalogue, a citizen, and a real Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tongban.catalog import services as catalog
from tongban.catalog.models import Department
from tongban.exchange.choices import ShareType, SubjectKind
from tongban.exchange.models import DataResource
from tongban.identity.tests.sms_outbox import sms_outbox  # noqa: F401 - fixture
from tongban.portal.tests.center_fixtures import hall, hall_clock  # noqa: F401 - fixtures

# Playwright's sync API runs an event loop in this thread; Django's ORM would
# otherwise refuse to be called from the tests around it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("TONGBAN_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
MOBILE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

PASSWORD = "correct-horse-2026"


def _matter(code: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "licence",
        "audience": "enterprise",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "max_visits": 1,
        "online_depth": "full_online",
        "channels": ["online", "window"],
        "form_schema": {"type": "object", "properties": {}},
    }
    base.update(fields)
    return base


@pytest.fixture
def catalogue(db: None) -> None:
    """Three departments, two sections, five matters, one theme and the 开饭店 synonym."""
    catalog.department_upsert(
        code="market", name="市场监管局", name_en="Market Regulation", order=1
    )
    catalog.department_upsert(code="police", name="公安分局", name_en="Public Security", order=2)
    catalog.department_upsert(code="health", name="卫健委", name_en="Health Commission", order=3)
    catalog.section_upsert(
        code="commerce", name="商事登记", name_en="Business Registration", order=1
    )
    catalog.section_upsert(code="social", name="社会事务", name_en="Social Affairs", order=3)
    catalog.certificate_type_upsert(
        code="food-drug-combined",
        name="食品药品经营许可证",
        name_en="Food and Drug Business Licence",
        department="market",
        is_combined=True,
    )
    catalog.matter_upsert(
        code="food-business-licence",
        fields=_matter(
            "food-business-licence",
            name="食品经营许可",
            name_en="Food Business Licence",
            department="market",
            section="commerce",
            summary="从事食品销售和餐饮服务活动，应当依法取得食品经营许可。",
            summary_en="A licence to sell food or run a restaurant.",
            conditions="有与经营的食品品种、数量相适应的经营场所。",
            legal_basis="《中华人民共和国食品安全法》第三十五条",
            keywords="饭店,餐馆,餐饮,小吃店",
            commitment_eligible=True,
            window_address="嘉定区行政服务中心一楼商事登记板块",
            consult_phone="021-12345678",
            form_schema={
                "type": "object",
                "properties": {
                    "shop_name": {"type": "string", "title": "店铺名称", "x-title-en": "Shop name"},
                    "address": {"type": "string", "title": "经营场所"},
                },
                "required": ["shop_name"],
            },
        ),
        materials=[
            {"code": "application", "name": "食品经营许可申请书", "name_en": "Application form"},
            {
                "code": "business-licence",
                "name": "营业执照",
                "name_en": "Business licence",
                "shared_resource": "market.business-licence",
            },
            {
                "code": "layout",
                "name": "经营场所平面布局图",
                "name_en": "Floor plan",
                "key": False,
                "form": "copy",
                "copies": 2,
            },
            {"code": "safety-rules", "name": "食品安全管理制度", "required": False},
        ],
    )
    catalog.matter_upsert(
        code="drug-retail-licence",
        fields=_matter(
            "drug-retail-licence",
            name="药品零售经营许可",
            name_en="Drug Retail Licence",
            department="market",
            section="commerce",
            online_depth="online_prereview",
            fee="0",
            form_schema={
                "type": "object",
                "properties": {
                    "shop_name": {"type": "string", "title": "店铺名称", "x-title-en": "Shop name"},
                    "pharmacist": {"type": "string", "title": "执业药师姓名"},
                },
            },
        ),
        materials=[{"code": "application", "name": "药品经营许可申请表"}],
    )
    catalog.matter_upsert(
        code="company-registration",
        fields=_matter(
            "company-registration",
            name="企业设立登记",
            name_en="Company Registration",
            kind="confirmation",
            department="market",
            section="commerce",
            keywords="营业执照,开公司",
            legal_limit_days=15,
            promised_limit_days=1,
            max_visits=0,
        ),
        materials=[{"code": "articles", "name": "公司章程"}],
    )
    catalog.matter_upsert(
        code="residence-permit",
        fields=_matter(
            "residence-permit",
            name="居住证办理",
            name_en="Residence Permit",
            kind="public_service",
            audience="person",
            department="police",
            section="social",
            online_depth="window",
            keywords="办居住证",
            fee="20",
        ),
        materials=[{"code": "id-card", "name": "居民身份证", "form": "original"}],
    )
    catalog.matter_upsert(
        code="public-place-hygiene",
        fields=_matter(
            "public-place-hygiene",
            name="公共场所卫生许可",
            name_en="Public Place Hygiene Licence",
            department="health",
            section="social",
        ),
        materials=[],
    )
    catalog.synonym_upsert(term="开饭店", expansions="食品经营 餐饮")
    catalog.theme_upsert(
        code="food-drug-licence",
        fields={
            "name": "食品药品经营许可",
            "name_en": "Food and Drug Licences",
            "summary": "一次申请，多项许可，发一张综合许可证。",
            "audience": "enterprise",
            "section": "commerce",
            "promised_limit_days": 10,
            "combined_certificate_type": "food-drug-combined",
        },
        matters=[
            {"matter": "company-registration", "stage": 1},
            {"matter": "food-business-licence", "stage": 2},
            {"matter": "drug-retail-licence", "stage": 2},
        ],
    )
    # The business licence the food licence's guide promises as 免提交: market's own register,
    # so the promise holds (cases.selectors_promise).
    DataResource.objects.create(
        code="market.business-licence",
        name="营业执照信息",
        provider=Department.objects.get(code="market"),
        share_type=ShareType.UNCONDITIONAL,
        subject_kind=SubjectKind.ENTERPRISE,
    )


@pytest.fixture
def citizen(db: None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="citizen", password=PASSWORD)


# --- the browser ---------------------------------------------------------------------------


def _page(browser: Any, options: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop page (1280×800)."""
    yield from _page(browser, DESKTOP)


@pytest.fixture
def mobile_page(browser: Any) -> Iterator[Any]:
    """A phone page (390×844, touch)."""
    yield from _page(browser, MOBILE)


@pytest.fixture
def screenshot() -> Any:
    """Save a full-page screenshot under test-artifacts/ for a human to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"portal-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
