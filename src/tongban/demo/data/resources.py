"""Data resources (政务信息资源) that the demo's materials name in ``shared_resource``.

Codes are ``<department>.<resource>``; the exchange app's catalogue is expected
to define each of them, so a material marked as shared can really be fetched.
"""

from __future__ import annotations

#: code → (Chinese name, English name, share type: unconditional / conditional)
SHARED_RESOURCES: dict[str, tuple[str, str, str]] = {
    "market.business_licence": ("营业执照信息", "Business licence", "unconditional"),
    "market.pharmacist_registration": (
        "执业药师注册信息",
        "Pharmacist registration",
        "unconditional",
    ),
    "police.resident_id": ("居民身份证信息", "Resident identity card", "conditional"),
    "police.household": ("户籍信息", "Household registration", "conditional"),
    "tax.clearance": ("清税证明", "Tax clearance", "conditional"),
    "tax.payment_record": ("完税记录", "Tax payment records", "conditional"),
    "tax.property_tax_receipt": (
        "不动产交易完税凭证",
        "Real estate transaction tax receipt",
        "conditional",
    ),
    "realestate.property_right": ("不动产权属信息", "Real estate title", "conditional"),
    "realestate.family_housing": ("家庭住房情况", "Family housing record", "conditional"),
    "housing.transaction_contract": (
        "房屋交易网签备案合同",
        "Filed housing sale contract",
        "conditional",
    ),
    "housing.lease_filing": (
        "房屋租赁合同登记备案信息",
        "Registered lease contract",
        "conditional",
    ),
    "hrss.social_insurance": ("社会保险缴费记录", "Social insurance contributions", "conditional"),
    "hrss.employment_record": (
        "就业失业登记信息",
        "Employment and unemployment records",
        "conditional",
    ),
    "medical-insurance.enrolment": (
        "基本医疗保险参保信息",
        "Medical insurance enrolment",
        "conditional",
    ),
    "health.staff_health_certificate": (
        "从业人员健康证明",
        "Staff health certificates",
        "unconditional",
    ),
    "health.practitioner_registration": (
        "医务人员执业注册信息",
        "Medical practitioner registration",
        "unconditional",
    ),
    "health.physician_qualification": (
        "医师资格证书信息",
        "Physician qualification",
        "unconditional",
    ),
    "culture.performance_agency_licence": (
        "营业性演出许可证（演出经纪机构）",
        "Performance agency licence",
        "unconditional",
    ),
    "fire.safety_inspection": (
        "消防安全检查合格信息",
        "Fire safety inspection result",
        "unconditional",
    ),
    "planning.construction_planning_permit": (
        "建设工程规划许可证",
        "Construction project planning permit",
        "unconditional",
    ),
    "planning.land_use_permit": ("建设用地规划许可证", "Land use planning permit", "unconditional"),
    "planning.land_grant_contract": (
        "国有建设用地使用权出让合同",
        "Land-grant contract",
        "conditional",
    ),
    "planning.site_selection": (
        "用地预审与选址意见书",
        "Land pre-review and site selection opinion",
        "unconditional",
    ),
    "construction.construction_permit": (
        "建筑工程施工许可证",
        "Construction permit",
        "unconditional",
    ),
    "construction.drawing_review": (
        "施工图审查合格信息",
        "Design review approval",
        "unconditional",
    ),
    "transport.driver_qualification": (
        "道路运输从业人员从业资格",
        "Road transport driver qualification",
        "unconditional",
    ),
}
