"""电子证照库: one resource per certificate type of the demo, read by the "elicence" adapter."""

from __future__ import annotations

from typing import Any

from tongban.exchange.data.build import CONDITION_APPROVAL, fields, resource

#: The envelope every e-licence carries (the ``elicence`` provider returns these keys).
ENVELOPE = """
number|证照编号|string|电子证照的证照编号
licence_type_name|证照类型名称|string|证照目录中的证照类型名称
holder_name|持证主体|string|持证的法人名称或自然人姓名
holder_subject|持证主体代码|string|统一社会信用代码或公民身份号码|s
holder_subject_type|持证主体代码类型|string|统一社会信用代码、公民身份号码
issuer|发证机关|string|颁发证照的机关
issuer_code|发证机关代码|string|发证机关的统一社会信用代码
issued_on|发证日期|date|证照颁发日期
valid_until|有效期截止日期|date|有效期截止，长期有效为空
licence_status|证照状态|string|有效、已撤销、已过期
seal_signature|电子印章签名值|string|发证机关电子印章的签名值
verify_url|核验地址|string|扫码核验证照真伪的地址
"""

#: The face items (照面信息) of the demo certificate types.
FACE = """
uscc|统一社会信用代码|string|持证企业的统一社会信用代码
company_type|类型|string|市场主体类型
legal_representative|法定代表人|string|法定代表人（负责人）
registered_capital|注册资本（万元）|number|注册资本
established_on|成立日期|date|成立日期
address|住所（经营场所）|string|证照记载的住所或经营场所
business_scope|经营范围|text|证照记载的经营范围
seal_types|印章种类|array|备案的印章种类
seal_maker|刻章企业|string|承刻企业
invoice_types|发票种类|array|核定的发票种类
invoice_monthly_limit|每月最高领用数量|integer|核定的月领用份数
main_business_form|主体业态|string|食品销售经营者、餐饮服务经营者、单位食堂
food_business_items|经营项目|array|预包装食品销售、热食类食品制售等
food_safety_manager|食品安全管理人员|string|食品安全管理人员姓名
drug_business_scope|经营范围（药品）|array|中药饮片、中成药、化学药制剂等
quality_manager|质量负责人|string|质量负责人姓名
warehouse_address|仓库地址|string|仓库地址
device_categories|经营类别|array|医疗器械分类目录中的类别
health_food_categories|保健食品类别|array|备案销售的保健食品类别
licensed_items|许可项目|array|综合许可证载明的各项许可
venue_name|场所名称|string|经营场所名称
venue_type|场所类型|string|宾馆、美容美发、游泳场所等
performance_name|演出名称|string|演出活动名称
performance_dates|演出日期|array|演出场次日期
performance_venue|演出场所|string|演出场所
drainage_type|排水类别|string|排水户类别
daily_discharge|日排水量（立方米）|number|许可日排水量
connection_point|接入管网位置|string|接入位置
project_name|项目名称|string|建设项目名称
project_address|建设地点|string|建设地点
building_area|建筑面积（平方米）|number|建筑面积
total_investment|总投资（万元）|number|合同价格或总投资
contractor_name|施工单位|string|施工总承包单位
supervisor_name|监理单位|string|监理单位
planned_start_date|计划开工日期|date|合同开工日期
planned_end_date|计划竣工日期|date|合同竣工日期
property_address|坐落|string|不动产坐落
property_area|面积（平方米）|number|房屋建筑面积
property_use|用途|string|规划用途
registered_on|登记日期|date|登记日期
mortgagee|抵押权人|string|抵押权人
loan_amount|被担保债权数额（元）|number|被担保主债权数额
id_number|公民身份号码|string|持证人身份证号码|s
residential_address|居住地址|string|居住证登记的居住地址|s
institution_type|机构类别|string|医疗机构类别
departments|诊疗科目|array|核准的诊疗科目
radiation_items|许可项目|array|放射诊疗许可项目
land_area|用地面积（平方米）|number|用地面积
transport_scope|经营范围（运输）|string|道路运输经营范围
pollutants|污染物种类|array|许可排放的污染物
spouse_name|配偶姓名|string|婚姻登记的另一方姓名
"""

_FACE_ITEMS = {item["code"]: item for item in fields(FACE)}

#: Certificates held by natural persons; they are shared only on condition.
PERSON_LICENCES = {
    "residence-permit",
    "marriage-certificate",
    "property-certificate",
    "mortgage-certificate",
}


def elicence_resource_code(certificate_type: dict[str, Any]) -> str:
    """``<issuer>.elicence_<type>``, e.g. market.elicence_business_licence."""
    return f"{certificate_type['department']}.elicence_{certificate_type['code'].replace('-', '_')}"


def elicence_resources(certificate_types: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One e-licence resource per certificate type."""
    result = []
    for ctype in certificate_types:
        envelope = fields(ENVELOPE)
        codes = {item["code"] for item in envelope}
        face = [dict(_FACE_ITEMS[c]) for c in ctype["fields"] if c not in codes]
        person = ctype["code"] in PERSON_LICENCES
        result.append(
            resource(
                elicence_resource_code(ctype),
                f"{ctype['name']}（电子证照）",
                f"{ctype['name_en']} (e-licence)",
                share="conditional" if person else "unconditional",
                condition=CONDITION_APPROVAL if person else "",
                subject="person" if person else "enterprise",
                cycle="realtime",
                fmt="elicence",
                adapter="elicence",
                config={"licence_type": ctype["code"]},
                items=[*envelope, *face],
                description=f"电子证照库归集的《{ctype['name']}》，含本平台签发和外部导入的证照，办事时替代提交纸质证照。",
                open_type="none",
            )
        )
    return result
