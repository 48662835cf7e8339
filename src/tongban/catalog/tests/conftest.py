"""A small district catalogue (17 matters) with realistic names, keywords and materials."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog.models import Matter
from tongban.catalog.services import (
    department_upsert,
    matter_upsert,
    section_upsert,
    synonym_upsert,
    theme_upsert,
)

DEPARTMENTS = [
    ("center", "行政服务中心"),
    ("market", "市场监管局"),
    ("tax", "税务局"),
    ("police", "公安分局"),
    ("construction", "建管委"),
    ("health", "卫健委"),
    ("culture", "文旅局"),
    ("water", "水务局"),
    ("housing", "房管局"),
    ("realestate", "不动产登记中心"),
]
SECTIONS = [
    ("commerce", "商事登记"),
    ("construction", "投资建设"),
    ("social", "社会事务"),
    ("realestate", "不动产登记"),
    ("innovation", "创新创业"),
    ("general", "综合办事"),
]


def _schema(required: list[str], **props: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {k: {"type": t, "title": k} for k, t in props.items()},
        "required": required,
    }


COMPANY_FORM = _schema(
    ["company_name", "legal_representative"],
    company_name="string",
    legal_representative="string",
    registered_capital="number",
)
SEAL_FORM = _schema(["company_name", "seal_count"], company_name="string", seal_count="integer")
INVOICE_FORM = _schema(["invoice_type"], company_name="string", invoice_type="string")

# code, name, name_en, department, section, audience, depth, keywords, materials, extra
MATTERS: list[tuple[str, str, str, str, str, str, str, str, list[str], dict[str, Any]]] = [
    (
        "company-registration",
        "企业设立登记",
        "Company Registration",
        "market",
        "commerce",
        "enterprise",
        "full_online",
        "营业执照,开公司,注册公司,办执照,公司设立",
        ["公司登记（备案）申请书", "公司章程", "股东主体资格证明", "住所使用证明"],
        {"form_schema": COMPANY_FORM, "legal_limit_days": 15, "promised_limit_days": 2},
    ),
    (
        "seal-engraving",
        "公章刻制备案",
        "Company Seal Engraving Filing",
        "police",
        "commerce",
        "enterprise",
        "full_online",
        "刻章,公章,印章",
        ["营业执照", "法定代表人身份证明"],
        {"form_schema": SEAL_FORM},
    ),
    (
        "invoice-application",
        "发票申领",
        "Invoice Application",
        "tax",
        "commerce",
        "enterprise",
        "full_online",
        "领发票,发票,税控",
        ["营业执照", "经办人身份证明"],
        {"form_schema": INVOICE_FORM},
    ),
    (
        "food-business-licence",
        "食品经营许可",
        "Food Business Licence",
        "market",
        "commerce",
        "enterprise",
        "full_online",
        "开饭店,餐饮,饭店,餐馆,小吃店,食品销售",
        ["食品经营许可申请书", "营业执照", "食品安全管理制度"],
        {"commitment_eligible": True},
    ),
    (
        "food-production-licence",
        "食品生产许可",
        "Food Production Licence",
        "market",
        "commerce",
        "enterprise",
        "online_prereview",
        "食品厂,食品加工",
        ["食品生产许可申请书", "营业执照", "生产场所平面图"],
        {},
    ),
    (
        "drug-retail-licence",
        "药品零售经营许可",
        "Drug Retail Licence",
        "market",
        "commerce",
        "enterprise",
        "online_prereview",
        "药店,药房,开药店,卖药",
        ["药品经营许可证申请表", "执业药师资格证书", "营业执照"],
        {},
    ),
    (
        "device-2-filing",
        "第二类医疗器械经营备案",
        "Class II Medical Device Filing",
        "market",
        "commerce",
        "enterprise",
        "full_online",
        "医疗器械,卖器械",
        ["第二类医疗器械经营备案表", "营业执照"],
        {},
    ),
    (
        "device-3-licence",
        "第三类医疗器械经营许可",
        "Class III Medical Device Licence",
        "market",
        "commerce",
        "enterprise",
        "online_prereview",
        "医疗器械,三类器械",
        ["第三类医疗器械经营许可申请表", "质量管理制度"],
        {},
    ),
    (
        "health-food-filing",
        "保健食品销售备案",
        "Health Food Sales Filing",
        "market",
        "commerce",
        "enterprise",
        "full_online",
        "保健品,保健食品",
        ["保健食品销售备案表", "营业执照"],
        {},
    ),
    (
        "public-place-hygiene",
        "公共场所卫生许可",
        "Public Place Hygiene Licence",
        "health",
        "commerce",
        "enterprise",
        "online_prereview",
        "宾馆,酒店,美容美发,游泳馆,卫生许可证",
        ["卫生许可证申请表", "营业执照", "卫生管理制度"],
        {},
    ),
    (
        "commercial-performance",
        "营业性演出审批",
        "Commercial Performance Approval",
        "culture",
        "commerce",
        "enterprise",
        "online_prereview",
        "演出,演唱会,商演",
        ["营业性演出申请表", "演出节目内容材料"],
        {},
    ),
    (
        "drainage-permit",
        "排水许可",
        "Drainage Permit",
        "water",
        "construction",
        "enterprise",
        "online_prereview",
        "排水,污水纳管,排水证",
        ["排水许可申请表", "排水管网图"],
        {},
    ),
    (
        "construction-permit",
        "建筑工程施工许可",
        "Construction Works Permit",
        "construction",
        "construction",
        "enterprise",
        "online_prereview",
        "开工,施工证,施工许可证",
        ["建筑工程施工许可申请表", "施工合同", "施工图审查合格书"],
        {"legal_limit_days": 7, "promised_limit_days": 3},
    ),
    (
        "housing-transaction",
        "房屋交易网签备案",
        "Housing Transaction Contract Filing",
        "housing",
        "realestate",
        "both",
        "window",
        "买房,网签,二手房",
        ["房屋买卖合同", "买卖双方身份证明"],
        {},
    ),
    (
        "property-tax",
        "不动产交易税费申报",
        "Real Estate Transaction Tax Filing",
        "tax",
        "realestate",
        "both",
        "window",
        "契税,房产交易税",
        ["房屋买卖合同", "身份证明"],
        {},
    ),
    (
        "property-registration",
        "不动产转移登记",
        "Real Estate Transfer Registration",
        "realestate",
        "realestate",
        "both",
        "window",
        "过户,房产证,产权证",
        ["不动产登记申请书", "不动产权证书", "完税凭证"],
        {},
    ),
    (
        "residence-permit",
        "居住证办理",
        "Residence Permit",
        "police",
        "social",
        "person",
        "online_prereview",
        "居住证,居住登记,积分",
        ["居住登记凭证", "本人近期照片", "身份证"],
        {"max_visits": 1},
    ),
]

SYNONYMS = {
    "开饭店": "餐饮 食品经营",
    "营业执照": "企业设立 公司注册",
    "药店": "药品零售",
}


def catalogue_load() -> None:
    for order, (code, name) in enumerate(DEPARTMENTS):
        department_upsert(code=code, fields={"name": name, "order": order})
    for order, (code, name) in enumerate(SECTIONS):
        section_upsert(code=code, fields={"name": name, "order": order})
    for term, expansions in SYNONYMS.items():
        synonym_upsert(term=term, expansions=expansions)
    for row in MATTERS:
        code, name, name_en, dept, section, audience, depth, keywords, materials, extra = row
        fields: dict[str, Any] = {
            "name": name,
            "name_en": name_en,
            "kind": "licence",
            "audience": audience,
            "department": dept,
            "section": section,
            "summary": f"{name}的办事指南。",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_depth": depth,
            "channels": ["online", "window"],
            "keywords": keywords,
            **extra,
        }
        matter_upsert(
            code=code,
            fields=fields,
            materials=[
                {"code": f"m{i + 1}", "name": m, "required": True} for i, m in enumerate(materials)
            ],
        )
    # An offline matter that must never be found.
    matter_upsert(
        code="retired-canteen-permit",
        fields={
            "name": "餐饮服务许可（已取消）",
            "kind": "licence",
            "audience": "enterprise",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 20,
            "online_depth": "window",
            "keywords": "开饭店,饭店",
            "is_active": False,
        },
        materials=[],
    )
    theme_upsert(
        code="open-company",
        fields={
            "name": "开办企业",
            "name_en": "Opening a Company",
            "audience": "enterprise",
            "section": "commerce",
            "promised_limit_days": 5,
        },
        matters=[
            {"matter": "company-registration", "order": 1, "stage": 1},
            {"matter": "seal-engraving", "order": 2, "stage": 2},
            {"matter": "invoice-application", "order": 3, "stage": 2},
        ],
    )


ACTIVE_MATTER_COUNT = len(MATTERS)


@pytest.fixture
def catalogue(db: None) -> dict[str, Matter]:
    """The small district catalogue, matters by code."""
    catalogue_load()
    return {m.code: m for m in Matter.objects.all()}
