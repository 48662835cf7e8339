"""What the demo district is expected to hold, written down once for its tests."""

from __future__ import annotations

#: The data resources the demo's materials name in ``shared_resource`` (code → name, share type):
#: the catalogue must define each of them, so a material marked as shared can really be fetched.
SHARED_RESOURCES: dict[str, tuple[str, str]] = {
    "market.business_licence": ("营业执照信息", "unconditional"),
    "market.pharmacist_registration": ("执业药师注册信息", "unconditional"),
    "police.resident_id": ("居民身份证信息", "conditional"),
    "police.household": ("户籍信息", "conditional"),
    "tax.clearance": ("清税证明", "conditional"),
    "tax.payment_record": ("完税记录", "conditional"),
    "tax.property_tax_receipt": ("不动产交易完税凭证", "conditional"),
    "realestate.property_right": ("不动产权属信息", "conditional"),
    "realestate.family_housing": ("家庭住房情况", "conditional"),
    "housing.transaction_contract": ("房屋交易网签备案合同", "conditional"),
    "housing.lease_filing": ("房屋租赁合同登记备案信息", "conditional"),
    "hrss.social_insurance": ("社会保险缴费记录", "conditional"),
    "hrss.employment_record": ("就业失业登记信息", "conditional"),
    "medical-insurance.enrolment": ("基本医疗保险参保信息", "conditional"),
    "health.staff_health_certificate": ("从业人员健康证明", "unconditional"),
    "health.practitioner_registration": ("医务人员执业注册信息", "unconditional"),
    "health.physician_qualification": ("医师资格证书信息", "unconditional"),
    "culture.performance_agency_licence": ("营业性演出许可证（演出经纪机构）", "unconditional"),
    "fire.safety_inspection": ("消防安全检查合格信息", "unconditional"),
    "planning.construction_planning_permit": ("建设工程规划许可证", "unconditional"),
    "planning.land_use_permit": ("建设用地规划许可证", "unconditional"),
    "planning.land_grant_contract": ("国有建设用地使用权出让合同", "conditional"),
    "planning.site_selection": ("用地预审与选址意见书", "unconditional"),
    "construction.construction_permit": ("建筑工程施工许可证", "unconditional"),
    "construction.drawing_review": ("施工图审查合格信息", "unconditional"),
    "transport.driver_qualification": ("道路运输从业人员从业资格", "unconditional"),
}
