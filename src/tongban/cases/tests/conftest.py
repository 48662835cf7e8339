"""A drainage-permit matter of the market department, handled by the test cast's market staff."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert

DRAINAGE_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "project_name": {"type": "string", "title": "项目名称", "maxLength": 100},
        "discharge_volume": {"type": "number", "title": "日排水量（立方米）", "minimum": 0},
        "contact_email": {"type": "string", "title": "联系邮箱", "format": "email"},
    },
    "required": ["project_name", "discharge_volume"],
}
DRAINAGE_MATERIALS = [
    {"code": "application-form", "name": "排水许可申请表", "required": True},
    {"code": "pipe-network-map", "name": "排水管网图", "required": True},
    {"code": "site-photo", "name": "排放口现场照片", "required": False},
]
VALID_FORM = {"project_name": "示范园区污水纳管", "discharge_volume": 120}


def _matter(code: str, name: str, process: str, promised: int) -> Matter:
    section_upsert(code="construction", fields={"name": "投资建设"})
    return matter_upsert(
        code=code,
        fields={
            "name": name,
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "construction",
            "legal_limit_days": 20,
            "promised_limit_days": promised,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": DRAINAGE_FORM,
            "process": process,
        },
        materials=DRAINAGE_MATERIALS,
    )


@pytest.fixture
def drainage(departments: dict[str, Department]) -> Matter:
    """排水许可 (drainage-permit): standard approval, promised 6 of 20 legal working days."""
    return _matter("drainage-permit", "排水许可", "standard_approval", 6)


@pytest.fixture
def instant_matter(departments: dict[str, Department]) -> Matter:
    """A 即办件 of market: decided at acceptance (process ``instant``)."""
    return _matter("instant-filing", "即办备案", "instant", 0)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    # Uploaded materials go to a throw-away directory, never to var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def free_permit(departments: dict[str, Department]) -> Matter:
    """A free matter that issues the 排水许可证."""
    from tongban.cases.tests.outputs_helpers import permit  # it imports this module

    return permit("drainage-licence-free")


@pytest.fixture
def fee_permit(departments: dict[str, Department]) -> Matter:
    """The same with a fee of 50 yuan, charged at acceptance (the default)."""
    from tongban.cases.tests.outputs_helpers import permit  # it imports this module

    return permit("drainage-licence-fee", fee="50")
