"""Builders for the demo catalogue: compact field tables become ``catalogue_upsert`` dicts.

A field table is a block of lines, one data item (信息项) per line:
``code|名称|数据类型|说明`` with an optional ``|s`` for personal data that is masked,
or just ``code`` to reuse a definition from ``COMMON``.
"""

from __future__ import annotations

from typing import Any

#: Data types a field may declare (信息项数据类型).
DATA_TYPES = (
    "string",
    "text",
    "integer",
    "number",
    "date",
    "datetime",
    "boolean",
    "array",
    "image",
)

CONDITION_APPROVAL = "仅用于行政审批事项办理，需经数据管理员审核"
CONDITION_SOCIAL = "仅用于社会保障、就业和民生服务事项办理，需经数据管理员审核，不得用于其他用途"
CONDITION_PROPERTY = "仅用于不动产登记、交易、税费及住房保障事项办理，需经数据管理员审核"
CONDITION_TAX = "仅用于行政审批和税费征管事项办理，涉及纳税人商业秘密的信息项须脱敏后提供"
CONDITION_POLICE = "仅用于办件中的身份与户籍核验，须关联办件编号，按最小必要原则返回"


def _parse_line(line: str) -> dict[str, Any]:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) == 1:
        return dict(COMMON[parts[0]])
    if len(parts) not in (4, 5):
        raise ValueError(f"bad field line: {line!r}")
    code, name, data_type, description = parts[:4]
    if data_type not in DATA_TYPES:
        raise ValueError(f"bad data type in: {line!r}")
    return {
        "code": code,
        "name": name,
        "name_en": code.replace("_", " ").capitalize(),
        "data_type": data_type,
        "description": description,
        "sensitive": len(parts) == 5 and parts[4] == "s",
    }


def fields(*blocks: str) -> list[dict[str, Any]]:
    """The data items of one or more field tables, in order, without repeated codes."""
    seen: set[str] = set()
    result: list[dict[str, Any]] = []
    for block in blocks:
        for raw in block.strip().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            item = _parse_line(line)
            if item["code"] in seen:
                continue
            seen.add(item["code"])
            result.append(item)
    return result


def resource(
    code: str,
    name: str,
    name_en: str,
    *,
    share: str,
    items: list[dict[str, Any]],
    description: str,
    condition: str = "",
    cycle: str = "daily",
    fmt: str = "api",
    subject: str = "person",
    adapter: str = "local",
    config: dict[str, Any] | None = None,
    open_type: str = "none",
) -> dict[str, Any]:
    """One resource of the catalogue; the provider department is the code's prefix."""
    if share == "conditional" and not condition:
        condition = CONDITION_APPROVAL
    if share == "none" and not condition:
        condition = "涉及国家秘密、工作秘密或敏感个人信息，仅限本部门依法使用，不予共享"
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "provider": code.split(".", 1)[0],
        "description": description,
        "share_type": share,
        "share_condition": condition,
        "open_type": open_type,
        "update_cycle": cycle,
        "format": fmt,
        "subject_kind": subject,
        "adapter": adapter,
        "adapter_config": dict(config or {}),
        "fields": items,
    }


_COMMON_TABLE = """
name|姓名|string|公民身份证件上登记的姓名
id_number|公民身份号码|string|18位公民身份号码（GB 11643）|s
gender|性别|string|男、女（GB/T 2261.1）
ethnicity|民族|string|民族名称（GB 3304）
birth_date|出生日期|date|公历出生日期
phone|联系电话|string|本人登记的手机号码|s
residential_address|居住地址|string|实际居住地详细地址|s
uscc|统一社会信用代码|string|18位统一社会信用代码（GB 32100）
company_name|名称|string|经登记的市场主体名称
company_type|类型|string|市场主体类型，如有限责任公司（自然人投资或控股）
legal_representative|法定代表人|string|法定代表人（负责人、经营者）姓名
legal_representative_id|法定代表人证件号码|string|法定代表人的公民身份号码|s
business_address|住所|string|登记的住所（经营场所）
registration_authority|登记机关|string|作出登记的市场监管部门
data_source|数据来源|string|提供该记录的业务系统
record_updated_at|数据更新时间|datetime|该记录在源系统中最后一次更新的时间
record_status|记录状态|string|有效、注销、历史等
remarks|备注|text|其他需要说明的事项
project_name|项目名称|string|建设项目名称
project_code|项目代码|string|投资项目在线审批监管平台赋予的项目代码
project_address|建设地点|string|建设项目所在地址
construction_unit|建设单位|string|建设单位名称
construction_unit_uscc|建设单位统一社会信用代码|string|建设单位的统一社会信用代码
building_area|建筑面积（平方米）|number|总建筑面积
land_area|用地面积（平方米）|number|用地总面积
property_address|房屋坐落|string|不动产所在详细地址
property_certificate_no|不动产权证书号|string|如 沪(2020)嘉字不动产权第012345号
property_unit_no|不动产单元号|string|28位不动产单元代码
property_area|建筑面积（平方米）|number|房屋建筑面积
property_use|用途|string|住宅、商业、办公、工业等
holder_name|权利人|string|证照持有人或权利人名称
holder_id_type|权利人证件种类|string|身份证、统一社会信用代码等
holder_id_number|权利人证件号码|string|权利人证件号码|s
insured_unit|参保单位名称|string|缴费单位名称
insured_unit_code|参保单位编号|string|社保登记的单位编号
insurance_number|社会保障号码|string|与公民身份号码一致的社会保障号码|s
contribution_month|费款所属期|string|缴费对应的年月，格式 YYYYMM
contribution_base|缴费基数（元）|number|当期核定的缴费基数
unit_contribution|单位缴费金额（元）|number|单位部分应缴金额
personal_contribution|个人缴费金额（元）|number|个人部分应缴金额
paid_on|到账日期|date|费款实际到账日期
arrears_flag|是否欠费|boolean|当期是否存在欠缴
cumulative_months|累计缴费月数|integer|截至查询日的累计缴费月数
taxpayer_id|纳税人识别号|string|纳税人识别号（企业为统一社会信用代码）
taxpayer_name|纳税人名称|string|纳税人名称或姓名
tax_authority|主管税务机关|string|主管税务机关名称
valid_from|有效期起始日期|date|证件或许可有效期开始
valid_until|有效期截止日期|date|证件或许可有效期截止；长期有效为空
issued_on|发证日期|date|证件签发日期
issuer|发证机关|string|签发证件的机关名称
licence_no|许可证编号|string|许可证（证书）编号
"""

COMMON: dict[str, dict[str, Any]] = {}
for _line in _COMMON_TABLE.strip().splitlines():
    _item = _parse_line(_line)
    COMMON[_item["code"]] = _item

#: Four items every registry record carries (source system, freshness, status).
META = """
data_source
record_updated_at
record_status
remarks
"""

PERSON_KEY = """
name
id_number
gender
ethnicity
birth_date
"""

ENTERPRISE_KEY = """
uscc
company_name
company_type
legal_representative
"""
