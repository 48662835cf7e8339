"""Guided matters of the market department for the counter tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.counter.models import CenterSection
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI

FORM = {
    "type": "object",
    "properties": {
        "project_name": {"type": "string", "title": "项目名称", "maxLength": 100},
        "discharge_volume": {"type": "number", "title": "日排水量（立方米）", "minimum": 0},
    },
    "required": ["project_name", "discharge_volume"],
}
MATERIALS = [{"code": "application-form", "name": "排水许可申请表", "required": True}]
#: A time before every appointment tried here.
NOW = dt.datetime(2026, 9, 1, 8, 0, tzinfo=SHANGHAI)
#: Tuesday 15 September 2026, 10:00: a working day, in opening hours.
WORKDAY_10AM = dt.datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI)


def _matter(code: str, params: dict[str, Any]) -> Matter:
    section = section_upsert(code="construction", fields={"name": "投资建设"})
    CenterSection.objects.get_or_create(
        section=section,
        defaults={"letter": "B", "break_start": dt.time(12, 0), "break_end": dt.time(13, 30)},
    )
    return matter_upsert(
        code=code,
        fields={
            "name": code,
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "construction",
            "legal_limit_days": 20,
            "promised_limit_days": 6,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": FORM,
            "process": "standard_approval",
            "process_params": params,
        },
        materials=MATERIALS,
    )


@pytest.fixture
def guided(departments: dict[str, Department]) -> Matter:
    return _matter("drainage-permit", {"pre_approval_guidance": True})


@pytest.fixture
def channel(departments: dict[str, Department]) -> Matter:
    return _matter("commercial-performance", {"pre_review_channel": True})


@pytest.fixture
def ordinary(departments: dict[str, Department]) -> Matter:
    return _matter("ordinary-permit", {})


@pytest.fixture
def police_reviewer(departments: dict[str, Department]) -> User:
    return identity_services.staff_create(
        username="police-reviewer",
        password="x-pass-2026",
        department_code="police",
        roles=[StaffRole.REVIEWER],
        name="police-reviewer",
    )
