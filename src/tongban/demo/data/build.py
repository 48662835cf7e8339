"""Small builders that keep the matter files readable.

Form fields come from one library (FIELDS), so matters of one theme share the
same keys (company_name, business_address …) and the merged theme form asks
each of them once.
"""

from __future__ import annotations

from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

MOBILE_PATTERN = r"^1[3-9]\d{9}$"
RESIDENT_ID_PATTERN = r"^\d{17}[\dX]$"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"

FOOD_SCOPES = [
    "预包装食品销售",
    "散装食品销售",
    "特殊食品销售（保健食品）",
    "热食类食品制售",
    "冷食类食品制售",
    "自制饮品制售",
    "半成品制售",
    "其他类食品制售",
]

FIELDS: dict[str, dict[str, Any]] = {
    # the applicant
    "applicant_name": {
        "type": "string",
        "title": "申请人姓名",
        "x-title-en": "Applicant's name",
        "minLength": 2,
        "maxLength": 50,
    },
    "id_number": {
        "type": "string",
        "title": "身份证号",
        "x-title-en": "Resident ID number",
        "pattern": RESIDENT_ID_PATTERN,
    },
    "contact_name": {
        "type": "string",
        "title": "联系人",
        "x-title-en": "Contact person",
        "maxLength": 50,
    },
    "contact_phone": {
        "type": "string",
        "title": "联系电话",
        "x-title-en": "Contact phone",
        "pattern": MOBILE_PATTERN,
    },
    "email": {"type": "string", "title": "电子邮箱", "x-title-en": "Email", "format": "email"},
    "residential_address": {
        "type": "string",
        "title": "居住地址",
        "x-title-en": "Residential address",
        "maxLength": 200,
    },
    # the enterprise
    "company_name": {
        "type": "string",
        "title": "企业名称",
        "x-title-en": "Company name",
        "minLength": 4,
        "maxLength": 100,
    },
    "uscc": {
        "type": "string",
        "title": "统一社会信用代码",
        "x-title-en": "Unified social credit code",
        "pattern": USCC_PATTERN,
    },
    "legal_representative": {
        "type": "string",
        "title": "法定代表人",
        "x-title-en": "Legal representative",
        "maxLength": 50,
    },
    "registered_capital": {
        "type": "number",
        "title": "注册资本（万元）",
        "x-title-en": "Registered capital (RMB 10,000)",
        "exclusiveMinimum": 0,
        "maximum": 10000000,
    },
    "business_address": {
        "type": "string",
        "title": "经营场所",
        "x-title-en": "Business premises",
        "maxLength": 200,
    },
    "business_scope": {
        "type": "string",
        "title": "经营范围",
        "x-title-en": "Business scope",
        "maxLength": 2000,
    },
    "company_type": {
        "type": "string",
        "title": "企业类型",
        "x-title-en": "Company type",
        "enum": ["有限责任公司", "股份有限公司", "个人独资企业", "合伙企业"],
    },
    "shareholders": {
        "type": "array",
        "title": "股东（发起人）",
        "x-title-en": "Shareholders (founders)",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {
                "name": {
                    "type": "string",
                    "title": "股东名称或姓名",
                    "x-title-en": "Shareholder name",
                },
                "subscribed_capital": {
                    "type": "number",
                    "title": "认缴出资额（万元）",
                    "x-title-en": "Subscribed capital (RMB 10,000)",
                },
            },
            "required": ["name", "subscribed_capital"],
        },
    },
    "employee_count": {
        "type": "integer",
        "title": "从业人数",
        "x-title-en": "Number of employees",
        "minimum": 1,
    },
    # food, drugs and devices (食品药品经营许可 theme)
    "business_name": {
        "type": "string",
        "title": "经营者名称",
        "x-title-en": "Business name",
        "minLength": 2,
        "maxLength": 100,
    },
    "main_business_form": {
        "type": "string",
        "title": "主体业态",
        "x-title-en": "Main business type",
        "enum": ["食品销售经营者", "餐饮服务经营者", "单位食堂"],
    },
    "food_business_items": {
        "type": "array",
        "title": "经营项目",
        "x-title-en": "Business items",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "enum": FOOD_SCOPES},
    },
    "business_area": {
        "type": "number",
        "title": "经营场所面积（平方米）",
        "x-title-en": "Business premises area (m²)",
        "exclusiveMinimum": 0,
    },
    "food_safety_manager": {
        "type": "string",
        "title": "食品安全管理人员",
        "x-title-en": "Food safety manager",
        "maxLength": 50,
    },
    "quality_manager": {
        "type": "string",
        "title": "质量负责人",
        "x-title-en": "Quality manager",
        "maxLength": 50,
    },
    "warehouse_address": {
        "type": "string",
        "title": "仓库地址",
        "x-title-en": "Warehouse address",
        "maxLength": 200,
    },
    "pharmacist_name": {
        "type": "string",
        "title": "执业药师姓名",
        "x-title-en": "Licensed pharmacist's name",
        "maxLength": 50,
    },
    "pharmacist_registration_no": {
        "type": "string",
        "title": "执业药师注册证编号",
        "x-title-en": "Pharmacist registration certificate no.",
        "maxLength": 40,
    },
    "drug_business_scope": {
        "type": "array",
        "title": "药品经营范围",
        "x-title-en": "Drug business scope",
        "minItems": 1,
        "uniqueItems": True,
        "items": {
            "type": "string",
            "enum": ["处方药", "甲类非处方药", "乙类非处方药", "中药饮片", "生物制品"],
        },
    },
    "device_categories": {
        "type": "array",
        "title": "医疗器械经营范围（分类编码）",
        "x-title-en": "Medical device business scope (classification codes)",
        "minItems": 1,
        "items": {"type": "string", "pattern": r"^\d{2}(-\d{2})?$"},
    },
    "health_food_categories": {
        "type": "array",
        "title": "保健食品类别",
        "x-title-en": "Health food categories",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "enum": ["注册类保健食品", "备案类保健食品"]},
    },
    # construction projects
    "project_name": {
        "type": "string",
        "title": "项目名称",
        "x-title-en": "Project name",
        "maxLength": 200,
    },
    "project_code": {
        "type": "string",
        "title": "项目代码",
        "x-title-en": "Project code",
        "pattern": r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$",
    },
    "project_address": {
        "type": "string",
        "title": "建设地点",
        "x-title-en": "Project location",
        "maxLength": 200,
    },
    "building_area": {
        "type": "number",
        "title": "建筑面积（平方米）",
        "x-title-en": "Floor area (m²)",
        "exclusiveMinimum": 0,
    },
    "total_investment": {
        "type": "number",
        "title": "总投资（万元）",
        "x-title-en": "Total investment (RMB 10,000)",
        "exclusiveMinimum": 0,
    },
    "construction_unit": {
        "type": "string",
        "title": "建设单位",
        "x-title-en": "Developer",
        "maxLength": 100,
    },
    "contractor_name": {
        "type": "string",
        "title": "施工单位",
        "x-title-en": "Contractor",
        "maxLength": 100,
    },
    "supervisor_name": {
        "type": "string",
        "title": "监理单位",
        "x-title-en": "Supervising firm",
        "maxLength": 100,
    },
    "planned_start_date": {
        "type": "string",
        "title": "计划开工日期",
        "x-title-en": "Planned start date",
        "format": "date",
    },
    "planned_end_date": {
        "type": "string",
        "title": "计划竣工日期",
        "x-title-en": "Planned completion date",
        "format": "date",
    },
    # real estate (不动产转移登记一件事 theme)
    "property_address": {
        "type": "string",
        "title": "房屋坐落",
        "x-title-en": "Property location",
        "maxLength": 200,
    },
    "property_certificate_no": {
        "type": "string",
        "title": "不动产权证书号",
        "x-title-en": "Real estate title certificate no.",
        "maxLength": 60,
    },
    "property_area": {
        "type": "number",
        "title": "建筑面积（平方米）",
        "x-title-en": "Floor area (m²)",
        "exclusiveMinimum": 0,
    },
    "property_use": {
        "type": "string",
        "title": "房屋用途",
        "x-title-en": "Property use",
        "enum": ["住宅", "非住宅"],
    },
    "seller_name": {"type": "string", "title": "出卖人", "x-title-en": "Seller", "maxLength": 100},
    "seller_id_number": {
        "type": "string",
        "title": "出卖人证件号码",
        "x-title-en": "Seller's ID number",
        "maxLength": 18,
    },
    "buyer_name": {"type": "string", "title": "买受人", "x-title-en": "Buyer", "maxLength": 100},
    "buyer_id_number": {
        "type": "string",
        "title": "买受人证件号码",
        "x-title-en": "Buyer's ID number",
        "maxLength": 18,
    },
    "price": {
        "type": "number",
        "title": "成交价格（元）",
        "x-title-en": "Transaction price (RMB)",
        "exclusiveMinimum": 0,
    },
    "is_first_home": {
        "type": "boolean",
        "title": "买受人家庭唯一住房",
        "x-title-en": "Buyer's family's only home",
    },
    "mortgagee": {
        "type": "string",
        "title": "抵押权人",
        "x-title-en": "Mortgagee",
        "maxLength": 100,
    },
    "loan_amount": {
        "type": "number",
        "title": "被担保债权数额（元）",
        "x-title-en": "Secured claim amount (RMB)",
        "exclusiveMinimum": 0,
    },
    # venues, events, permits
    "venue_name": {
        "type": "string",
        "title": "场所名称",
        "x-title-en": "Venue name",
        "maxLength": 100,
    },
    "venue_type": {
        "type": "string",
        "title": "场所类别",
        "x-title-en": "Venue type",
        "enum": ["宾馆", "美容美发场所", "沐浴场所", "游泳场所", "文化娱乐场所", "其他"],
    },
    "performance_name": {
        "type": "string",
        "title": "演出名称",
        "x-title-en": "Performance title",
        "maxLength": 100,
    },
    "performance_dates": {
        "type": "array",
        "title": "演出日期",
        "x-title-en": "Performance dates",
        "minItems": 1,
        "items": {"type": "string", "format": "date"},
    },
    "performance_venue": {
        "type": "string",
        "title": "演出场所",
        "x-title-en": "Performance venue",
        "maxLength": 200,
    },
    "performers_count": {
        "type": "integer",
        "title": "演员人数",
        "x-title-en": "Number of performers",
        "minimum": 1,
    },
    "drainage_type": {
        "type": "string",
        "title": "排水户类型",
        "x-title-en": "Type of drainage user",
        "enum": ["餐饮", "洗车", "医疗", "工业", "建筑施工", "其他"],
    },
    "daily_discharge": {
        "type": "number",
        "title": "日排水量（立方米）",
        "x-title-en": "Daily discharge (m³)",
        "exclusiveMinimum": 0,
    },
    "connection_point": {
        "type": "string",
        "title": "接入管网位置",
        "x-title-en": "Sewer connection point",
        "maxLength": 200,
    },
    "start_date": {
        "type": "string",
        "title": "开始日期",
        "x-title-en": "Start date",
        "format": "date",
    },
    "end_date": {"type": "string", "title": "结束日期", "x-title-en": "End date", "format": "date"},
    "reason": {
        "type": "string",
        "title": "申请事由",
        "x-title-en": "Reason for application",
        "maxLength": 1000,
    },
    "employer_name": {
        "type": "string",
        "title": "用人单位",
        "x-title-en": "Employer",
        "maxLength": 100,
    },
    "seal_types": {
        "type": "array",
        "title": "印章种类",
        "x-title-en": "Seal types",
        "minItems": 1,
        "uniqueItems": True,
        "items": {
            "type": "string",
            "enum": ["公章", "财务专用章", "发票专用章", "合同专用章", "法定代表人名章"],
        },
    },
    "seal_maker": {
        "type": "string",
        "title": "刻章企业",
        "x-title-en": "Seal maker",
        "maxLength": 100,
    },
    "invoice_types": {
        "type": "array",
        "title": "发票种类",
        "x-title-en": "Invoice types",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "enum": ["数电发票（普通发票）", "数电发票（增值税专用发票）"]},
    },
    "invoice_monthly_limit": {
        "type": "number",
        "title": "申请月开票额度（万元）",
        "x-title-en": "Monthly invoicing limit requested (RMB 10,000)",
        "exclusiveMinimum": 0,
        "maximum": 1000,
    },
    "taxpayer_type": {
        "type": "string",
        "title": "纳税人类型",
        "x-title-en": "Taxpayer type",
        "enum": ["小规模纳税人", "一般纳税人"],
    },
    "delivery_method": {
        "type": "string",
        "title": "领取方式",
        "x-title-en": "Collection method",
        "enum": ["窗口领取", "快递送达"],
    },
}


def form(
    *names: str, optional: tuple[str, ...] = (), extra: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A draft 2020-12 JSON Schema asking ``names`` (library fields) and ``extra`` (own fields).

    Every field is required unless listed in ``optional``.
    """
    extra = extra or {}
    properties: dict[str, Any] = {}
    for name in names:
        properties[name] = dict(FIELDS[name]) if name in FIELDS else dict(extra[name])
    for name, spec in extra.items():
        properties.setdefault(name, dict(spec))
    return {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "properties": properties,
        "required": [n for n in properties if n not in optional],
    }


def bind_shared(schema: dict[str, Any], **bindings: str) -> dict[str, Any]:
    """The schema with fields bound to shared data: ``field="<resource>#<field code>"``.

    A bound field the applicant leaves empty is prefilled from the exchange (x-shared).
    """
    properties = dict(schema["properties"])
    for name, binding in bindings.items():
        properties[name] = {**properties[name], "x-shared": binding}
    return {**schema, "properties": properties}


def material(
    code: str,
    name: str,
    name_en: str,
    *,
    description: str = "",
    required: bool = True,
    key: bool = True,
    copies: int = 1,
    form: str = "electronic",
    source: str = "applicant",
    shared: str = "",
) -> dict[str, Any]:
    """One line of a 材料清单 as MaterialRequirement field values."""
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "description": description,
        "required": required,
        "key": key,
        "copies": copies,
        "form": form,
        "source": source,
        "shared_resource": shared,
    }


# Materials that recur across many matters.
def business_licence() -> dict[str, Any]:
    return material(
        "business-licence",
        "营业执照",
        "Business licence",
        description="通过电子证照库调取，无需提交",
        form="electronic",
        source="government",
        shared="market.business_licence",
    )


def resident_id(
    code: str = "resident-id",
    name: str = "申请人身份证件",
    name_en: str = "Applicant's resident ID",
) -> dict[str, Any]:
    return material(
        code,
        name,
        name_en,
        description="通过实名认证核验，窗口办理的出示原件",
        form="original",
        source="government",
        shared="police.resident_id",
    )


def power_of_attorney() -> dict[str, Any]:
    return material(
        "power-of-attorney",
        "授权委托书",
        "Power of attorney",
        description="委托他人办理的提交，本人办理的无需提交",
        required=False,
        key=False,
        form="original",
    )


def application_form(name: str, name_en: str) -> dict[str, Any]:
    return material(
        "application-form",
        name,
        name_en,
        description="在线填报后系统自动生成，无需另行提交",
        form="electronic",
    )


def property_certificate() -> dict[str, Any]:
    return material(
        "property-certificate",
        "不动产权证书",
        "Real estate title certificate",
        description="通过不动产登记信息共享调取",
        form="original",
        source="government",
        shared="realestate.property_right",
    )


def premises_proof() -> dict[str, Any]:
    return material(
        "premises-proof",
        "经营场所使用证明",
        "Proof of the right to use the premises",
        description="自有房屋提供产权证明，租赁的提供租赁合同；产权信息可共享调取",
        form="copy",
        shared="realestate.property_right",
    )


SECTION_WINDOWS = {
    "commerce": "区行政服务中心一楼商事登记板块",
    "construction": "区行政服务中心二楼投资建设板块",
    "social": "区行政服务中心一楼社会事务板块",
    "realestate": "区行政服务中心三楼不动产登记板块",
    "innovation": "区行政服务中心二楼创新创业板块",
    "general": "区行政服务中心一楼综合办事板块",
}

ALL_CHANNELS = ["online", "window", "mobile"]


def matter(**fields: Any) -> dict[str, Any]:
    """One matter as Matter field values (codes for department, section, certificate type).

    Fills the district's defaults so each data entry says only what is particular to it.
    """
    fields.setdefault("fee", "0")
    fields.setdefault("fee_basis", "")
    fields.setdefault("max_visits", 0 if fields.get("online_depth") == "full_online" else 1)
    fields.setdefault("channels", list(ALL_CHANNELS))
    fields.setdefault("process", "standard_approval")
    fields.setdefault("process_params", {})
    fields.setdefault("certificate_type", None)
    fields.setdefault("commitment_eligible", False)
    fields.setdefault("window_address", SECTION_WINDOWS[fields["section"]])
    fields.setdefault("consult_phone", "12345")
    fields.setdefault("legal_basis_en", "")
    fields.setdefault("conditions_en", "")
    if isinstance(fields.get("keywords"), list):
        fields["keywords"] = ",".join(fields["keywords"])
    return fields
