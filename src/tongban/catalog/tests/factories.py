"""Factories of catalogue rows, built through the upsert services with plain values."""

from __future__ import annotations

from typing import Any

from tongban.catalog.models import Department, Matter, Section, Theme
from tongban.catalog.services import (
    department_upsert,
    matter_upsert,
    section_upsert,
    theme_upsert,
)


def department_make(code: str = "market", name: str = "市场监管局", **values: Any) -> Department:
    return department_upsert(code=code, fields={"name": name, **values})


def section_make(code: str = "commerce", name: str = "商事登记", **values: Any) -> Section:
    return section_upsert(code=code, fields={"name": name, **values})


def form_schema_make(*fields: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "string", "title": name} for name in fields},
        "required": list(required),
    }


def matter_fields(**overrides: Any) -> dict[str, Any]:
    """Valid plain values of a matter; department 'market' and section 'commerce' must exist."""
    fields: dict[str, Any] = {
        "name": "食品经营许可",
        "name_en": "Food Business Licence",
        "kind": "licence",
        "audience": "enterprise",
        "department": "market",
        "section": "commerce",
        "summary": "从事食品销售和餐饮服务，应当依法取得食品经营许可。",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "max_visits": 0,
        "online_depth": "full_online",
        "channels": ["online", "window"],
        "fee": "0",
        "form_schema": form_schema_make("shop_name", "address", required=("shop_name",)),
        "keywords": "开饭店,餐饮,饭店,餐馆,小吃店,食品销售",
    }
    fields.update(overrides)
    return fields


def material_make(code: str = "application-form", name: str = "申请书", **values: Any) -> dict:
    return {"code": code, "name": name, **values}


def matter_make(code: str = "food-business-licence", **overrides: Any) -> Matter:
    department_make()
    section_make()
    materials = overrides.pop("materials", [material_make()])
    return matter_upsert(code=code, fields=matter_fields(**overrides), materials=materials)


def theme_make(code: str, matters: list[str], **fields: Any) -> Theme:
    values = {
        "name": "开办企业",
        "audience": "enterprise",
        "section": "commerce",
        "promised_limit_days": 5,
        **fields,
    }
    return theme_upsert(
        code=code,
        fields=values,
        matters=[{"matter": c, "order": i, "stage": 1} for i, c in enumerate(matters)],
    )
