"""Fixtures of the workbench tests: a market matter, a submitted case, and a real Chromium."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases import services as case_services
from tongban.cases.choices import MaterialOrigin, MaterialStatus
from tongban.cases.models import Case
from tongban.catalog import services as catalog
from tongban.catalog.models import Department
from tongban.identity.models import User
from tongban.portal.tests.center_fixtures import hall, hall_clock  # noqa: F401 - fixtures
from tongban.portal.tests.conftest import catalogue  # noqa: F401 - fixture

# Playwright's sync API runs an event loop in this thread; Django's ORM would
# otherwise refuse to be called from the tests around it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"

MATTER = "food-business-licence"


def _application_pdf() -> bytes:
    """A one-page A4 申请书 in Chinese (ReportLab's built-in STSong-Light)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    sheet.setFont("STSong-Light", 22)
    sheet.drawCentredString(A4[0] / 2, A4[1] - 90, "食品经营许可申请书")
    sheet.setFont("STSong-Light", 13)
    for number, line in enumerate(
        [
            "申请人：张三",
            "店铺名称：张记小吃",
            "经营场所：嘉定区示范路2号",
            "经营项目：热食类食品制售",
        ]
    ):
        sheet.drawString(80, A4[1] - 150 - number * 28, line)
    sheet.rect(60, A4[1] - 280, A4[0] - 120, 160)
    sheet.showPage()
    sheet.save()
    return buffer.getvalue()


PDF_BYTES = _application_pdf()


@pytest.fixture
def matter(departments: dict[str, Department]) -> str:
    """食品经营许可 of market, standard approval, two materials (one shared) and a form."""
    catalog.section_upsert(code="commerce", name="商事登记", name_en="Business", order=1)
    catalog.matter_upsert(
        code=MATTER,
        fields={
            "name": "食品经营许可",
            "name_en": "Food Business Licence",
            "kind": "licence",
            "audience": "person",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 10,
            "max_visits": 0,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "process": "standard_approval",
            "form_schema": {
                "type": "object",
                "properties": {
                    "shop_name": {"type": "string", "title": "店铺名称"},
                    "address": {"type": "string", "title": "经营场所"},
                },
                "required": ["shop_name"],
            },
        },
        materials=[
            {"code": "application", "name": "食品经营许可申请书"},
            {
                "code": "business-licence",
                "name": "营业执照",
                "shared_resource": "market.business-licence",
                "required": False,
            },
        ],
    )
    return MATTER


def pdf(name: str = "申请书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/octet-stream")


@pytest.fixture
def submitted_case(matter: str, applicant: User, settings: Any, tmp_path: Path) -> Case:
    """张三's application for the food licence, with the PDF uploaded, submitted to market."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    case = case_services.case_create(
        actor=applicant,
        matter_code=matter,
        form={"shop_name": "张记小吃", "address": "嘉定区示范路2号"},
    )
    case_services.material_upload(
        actor=applicant, case=case, requirement_code="application", file=pdf()
    )
    # The data-sharing exchange arrives in a later issue; a shared record looks like this.
    case.materials.filter(requirement_code="business-licence").update(
        origin=MaterialOrigin.SHARING,
        status=MaterialStatus.VERIFIED,
        shared_resource="market.business-licence",
        shared_record={"名称": "张记小吃店", "统一社会信用代码": "91310114MA1GKF8T0X"},
    )
    return case_services.case_submit(actor=applicant, case=case)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the browser (the shared ``browser`` fixture is in src/tongban/conftest.py) -------------


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop page (1440×900)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot() -> Any:
    """Save a full-page screenshot under test-artifacts/workbench-*.png for a human to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"workbench-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
