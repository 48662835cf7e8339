"""A small matter to apply for, shared by the portal's case page tests and browser test."""

from __future__ import annotations

from typing import Any

from tongban.catalog import services as catalog
from tongban.catalog.models import Matter

MATTER_CODE = "shop-sign-permit"
#: A PDF as small as a material can be: the type is recognised from these first bytes.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "shop_name": {"type": "string", "title": "店铺名称", "minLength": 2, "maxLength": 60},
        "phone": {
            "type": "string",
            "title": "联系电话",
            "pattern": "^1[3-9][0-9]{9}$",
            "description": "11 位手机号码",
        },
        "area": {"type": "number", "title": "招牌面积（平方米）", "minimum": 0, "maximum": 100},
        "kind": {
            "type": "string",
            "title": "招牌类型",
            "enum": ["wall", "roof"],
            "x-enumNames": ["墙面招牌", "屋顶招牌"],
        },
        "lit": {"type": "boolean", "title": "是否设置灯光"},
    },
    "required": ["shop_name", "phone"],
}


def sign_permit_matter() -> Matter:
    """户外招牌设置许可 of market: a text field, a phone pattern, two required materials."""
    catalog.section_upsert(code="commerce", name="商事登记", name_en="Business", order=1)
    return catalog.matter_upsert(
        code=MATTER_CODE,
        fields={
            "name": "户外招牌设置许可",
            "name_en": "Shop Sign Permit",
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
            "form_schema": FORM_SCHEMA,
        },
        materials=[
            {"code": "application", "name": "设置申请书"},
            {"code": "design", "name": "招牌设计效果图"},
        ],
    )
