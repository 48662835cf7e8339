"""文旅, 消防, 水务, 生态环境, 绿化市容, 民防, 发改 (public credit) registries."""

from __future__ import annotations

from typing import Any

from tongban.exchange.data.build import ENTERPRISE_KEY, META, fields, resource

PERFORMANCE_AGENCY = """
uscc
company_name
legal_representative
licence_no
agency_type|单位类型|string|演出经纪机构、文艺表演团体、演出场所经营单位
business_scope|经营范围|string|演出经纪、演出组织、演出制作、演出营销等
business_address
certified_brokers|持证演出经纪人员数|integer|持有演出经纪人员资格证书的人数
brokers|演出经纪人员|array|演出经纪人员姓名和资格证书编号
issued_on
valid_until
issuer
"""

PERFORMANCE_APPROVAL = """
uscc
company_name
approval_no|批准文号|string|营业性演出批准文号
performance_name|演出名称|string|演出活动名称
performance_dates|演出日期|array|演出场次日期
performance_venue|演出场所|string|演出场所名称和地址
performers_count|演员人数|integer|参演演员人数
foreign_performers|是否涉外或港澳台|boolean|是否有境外演员参演
audience_capacity|观众容量|integer|核定观众人数
approved_on|批准日期|date|作出批准决定日期
"""

VENUE_LICENCE = """
uscc
company_name
legal_representative
licence_no
venue_name|场所名称|string|经营场所名称
venue_type|场所类型|string|歌舞娱乐、游艺娱乐、上网服务、剧场等
business_address
business_area|使用面积（平方米）|number|经营场所使用面积
rooms|包厢或机位数量|integer|包厢数或上网终端数
issued_on
valid_until
issuer
annual_check|年度核验结果|string|合格、不合格
"""

FIRE_INSPECTION = """
uscc
company_name
venue_name|场所名称|string|检查的公众聚集场所名称
business_address
building_area|建筑面积（平方米）|number|使用建筑面积
use_nature|使用性质|string|商店、餐饮、娱乐、宾馆等
inspection_type|检查类型|string|投入使用前检查、营业前检查、告知承诺后核查
document_no|文书编号|string|公众聚集场所投入使用、营业前消防安全检查合格证编号
inspected_on|检查日期|date|现场检查日期
inspection_result|检查结论|string|合格、不合格
commitment_based|是否告知承诺|boolean|是否按告知承诺方式办理
inspector|检查人员|string|消防监督员
issued_on
"""

FIRE_DESIGN = """
project_name
project_code
construction_unit
project_address
building_area
fire_rating|建筑耐火等级|string|一级、二级等
building_category|建筑分类|string|一类高层、二类高层、多层等
review_type|审查类型|string|特殊建设工程消防设计审查、消防验收、备案抽查
document_no|意见书文号|string|审查（验收）意见书文号
result|结论|string|合格、不合格
decided_on|决定日期|date|出具意见日期
"""

FIRE_HAZARDS = """
uscc
company_name
hazard_desc|隐患描述|text|火灾隐患内容
discovered_on|发现日期|date|检查发现日期
rectify_deadline|整改期限|date|责令改正期限
rectified|是否已整改|boolean|是否整改完毕
penalty_decision_no|处罚决定书文号|string|消防行政处罚决定书文号
closed_down|是否临时查封|boolean|是否临时查封
"""

DRAINAGE = """
uscc
company_name
legal_representative
licence_no
drainage_type|排水类别|string|餐饮、洗车、医疗、工业、建筑施工等
daily_discharge|日排水量（立方米）|number|许可的日最大排水量
connection_point|接入管网位置|string|接入市政排水管网的位置
pretreatment|预处理设施|string|隔油池、化粪池、沉淀池等
main_pollutants|主要污染物|array|化学需氧量、氨氮、动植物油等
sampling_result|水质检测结论|string|达标、超标
issued_on
valid_until
issuer
"""

WATER_INTAKE = """
uscc
company_name
permit_no|取水许可证编号|string|取水许可证编号
water_source|水源类型|string|地表水、地下水
intake_location|取水地点|string|取水口位置
annual_volume|年取水量（万立方米）|number|许可年取水量
water_use|取水用途|string|生产、生活、农业灌溉等
issued_on
valid_until
issuer
"""

POLLUTANT_PERMIT = """
uscc
company_name
legal_representative
licence_no
industry_name|行业类别|string|排污许可分类管理名录中的行业
management_type|管理类别|string|重点管理、简化管理、登记管理
pollutants|主要污染物种类|array|废气、废水污染物种类
discharge_outlets|排放口数量|integer|主要排放口数量
emission_limits|许可排放量|array|各污染物年许可排放量
issued_on
valid_until
issuer
"""

EIA = """
project_name
project_code
construction_unit
construction_unit_uscc
project_address
eia_type|环评类别|string|环境影响报告书、报告表、登记表
approval_no|批复文号|string|环境影响评价批复文号
eia_agency|编制单位|string|环评文件编制单位
approved_on|批复日期|date|批复日期
acceptance_done|是否完成竣工环保验收|boolean|是否完成竣工环境保护自主验收
"""

ENV_PENALTY = """
uscc
company_name
decision_no|处罚决定书文号|string|环境行政处罚决定书文号
violation_facts|违法事实|text|主要违法事实
penalty_type|处罚种类|string|罚款、责令停产整治等
fine_amount|罚款金额（万元）|number|罚款数额
decision_on|处罚日期|date|作出处罚决定的日期
daily_penalty|是否按日连续处罚|boolean|是否按日连续处罚
"""

OUTDOOR_AD = """
uscc
company_name
permit_no|许可决定书编号|string|户外广告设施设置许可决定书编号
facility_address|设置地点|string|户外广告设施设置地点
facility_type|设施类型|string|招牌、屋顶广告、墙面广告、立杆广告等
facility_size|规格（米）|string|长×宽×高
lighting|是否有照明|boolean|是否设置照明装置
safety_inspected_on|安全检测日期|date|设施安全检测日期
issued_on
valid_until
issuer
"""

WASTE_DISPOSAL = """
uscc
company_name
permit_no|许可证编号|string|城市生活垃圾（建筑垃圾）处置核准编号
waste_type|垃圾种类|string|餐厨垃圾、建筑垃圾、生活垃圾
collector|收运单位|string|签约收运单位
daily_volume|日产生量（吨）|number|申报的日产生量
contract_until|收运合同到期日|date|收运合同截止日期
issued_on
valid_until
"""

CIVIL_DEFENSE = """
project_name
project_code
construction_unit
project_address
shelter_area|人防工程面积（平方米）|number|应建防空地下室面积
protection_level|防护等级|string|核6级、核6B级、常6级等
wartime_use|战时用途|string|二等人员掩蔽所、物资库等
fee_paid|是否缴纳易地建设费|boolean|不具备条件的是否缴纳易地建设费
approval_no|审批文号|string|人防工程建设审批文号
approved_on|批准日期|date|批准日期
"""

PUBLIC_CREDIT = """
subject|主体标识|string|统一社会信用代码或公民身份号码|s
subject_name|主体名称|string|法人名称或自然人姓名
subject_type|主体类型|string|法人和其他组织、自然人
level|公共信用等级|string|A、B、C、D 级，D 最差
lists|所列名单|array|守信红名单、失信联合惩戒黑名单、重点关注名单
joint_punishment|是否实施联合惩戒|boolean|列入失信联合惩戒黑名单的为是
reasons|信用记录摘要|array|每条有效信用记录的来源、事由和有效期
legal_bases|认定依据|array|有效记录所依据的法律法规和备忘录
checked_at|查询时间|datetime|生成信用报告的时间
report_no|信用报告编号|string|公共信用信息查询报告编号
"""

CREDIT_COMMITMENT = """
uscc
company_name
commitment_matter|承诺事项|string|作出信用承诺的审批事项
commitment_type|承诺类型|string|审批替代型、主动型、行业自律型
committed_on|承诺日期|date|签署信用承诺书的日期
performance_status|履约状态|string|履约、未履约、核查中
verified_on|核查日期|date|事后核查日期
verification_result|核查结论|string|属实、不实
"""

INVESTMENT_PROJECT = """
project_name
project_code
construction_unit
construction_unit_uscc
project_address
project_type|项目类型|string|审批、核准、备案
industry_name|所属行业|string|国民经济行业
total_investment|总投资（万元）|number|项目总投资
construction_content|建设规模及内容|text|主要建设内容
planned_start_date|计划开工时间|date|计划开工日期
planned_end_date|计划竣工时间|date|计划竣工日期
approval_no|批复（备案）文号|string|审批、核准或备案文号
approved_on|批复（备案）日期|date|日期
"""

RESOURCES: list[dict[str, Any]] = [
    resource(
        "culture.performance_agency_licence",
        "营业性演出许可证（演出经纪机构）",
        "Performance agency licence",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(PERFORMANCE_AGENCY, META),
        description="演出经纪机构、文艺表演团体的营业性演出许可证信息。",
        open_type="unconditional",
    ),
    resource(
        "culture.performance_approval",
        "营业性演出审批信息",
        "Commercial performance approvals",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(PERFORMANCE_APPROVAL, META),
        description="营业性演出活动的审批决定。",
    ),
    resource(
        "culture.venue_licence",
        "文化娱乐场所经营许可信息",
        "Entertainment venue licences",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(VENUE_LICENCE, META),
        description="娱乐经营许可证、网络文化经营许可证（上网服务）等场所许可信息。",
        open_type="unconditional",
    ),
    resource(
        "fire.safety_inspection",
        "消防安全检查合格信息",
        "Fire safety inspection result",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(FIRE_INSPECTION, META),
        description="公众聚集场所投入使用、营业前消防安全检查结果，文化娱乐场所许可时直接调用。",
    ),
    resource(
        "fire.design_review",
        "建设工程消防设计审查验收信息",
        "Fire design review and acceptance",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(FIRE_DESIGN, META),
        description="特殊建设工程消防设计审查、消防验收和备案抽查结果。",
    ),
    resource(
        "fire.hazards",
        "火灾隐患和消防处罚信息",
        "Fire hazards and penalties",
        share="conditional",
        subject="enterprise",
        cycle="weekly",
        items=fields(FIRE_HAZARDS, META),
        description="消防监督检查发现的火灾隐患、整改和处罚信息。",
    ),
    resource(
        "water.drainage_permit",
        "排水许可信息",
        "Drainage permits",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(DRAINAGE, META),
        description="城镇污水排入排水管网许可证核发和水质检测信息。",
        open_type="unconditional",
    ),
    resource(
        "water.water_intake",
        "取水许可信息",
        "Water intake permits",
        share="unconditional",
        subject="enterprise",
        cycle="monthly",
        items=fields(WATER_INTAKE, META),
        description="取水许可证核发信息。",
    ),
    resource(
        "ecology.pollutant_permit",
        "排污许可信息",
        "Pollutant discharge permits",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(POLLUTANT_PERMIT, META),
        description="排污许可证核发和排污登记信息。",
        open_type="unconditional",
    ),
    resource(
        "ecology.eia_approval",
        "环境影响评价审批信息",
        "Environmental impact assessment approvals",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(EIA, META),
        description="建设项目环境影响评价文件审批和竣工环保验收信息。",
    ),
    resource(
        "ecology.penalties",
        "环境行政处罚信息",
        "Environmental penalties",
        share="conditional",
        subject="enterprise",
        cycle="daily",
        items=fields(ENV_PENALTY, META),
        description="生态环境部门作出的行政处罚决定。",
    ),
    resource(
        "greening.outdoor_advertising",
        "户外广告设施设置许可信息",
        "Outdoor advertising permits",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(OUTDOOR_AD, META),
        description="户外广告设施和大型店招设置许可信息。",
    ),
    resource(
        "greening.waste_disposal",
        "生活垃圾和建筑垃圾处置核准信息",
        "Waste disposal approvals",
        share="unconditional",
        subject="enterprise",
        cycle="monthly",
        items=fields(WASTE_DISPOSAL, ENTERPRISE_KEY, META),
        description="餐厨垃圾、建筑垃圾收运处置核准信息。",
    ),
    resource(
        "civil-defense.shelter_approval",
        "人防工程建设审批信息",
        "Civil air defence construction approvals",
        share="conditional",
        subject="enterprise",
        cycle="daily",
        items=fields(CIVIL_DEFENSE, META),
        description="结合民用建筑修建防空地下室的审批和易地建设费缴纳信息，涉密信息项不予提供。",
        condition="仅用于建设项目审批和竣工验收，涉及防护设施位置的信息项须脱敏，需经数据管理员审核",
    ),
    resource(
        "development.public_credit",
        "公共信用信息",
        "Public credit information",
        share="conditional",
        subject="enterprise",
        cycle="realtime",
        adapter="credit",
        items=fields(PUBLIC_CREDIT),
        description="公共信用信息服务平台归集的信用等级、守信红名单、失信联合惩戒黑名单和重点关注名单，用于告知承诺和分级分类审批。",
        condition="仅用于行政审批中的信用审查和告知承诺适用判断，需经数据管理员审核",
    ),
    resource(
        "development.credit_commitment",
        "信用承诺履约信息",
        "Credit commitments",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(CREDIT_COMMITMENT, META),
        description="告知承诺审批中的信用承诺及履约核查结果。",
    ),
    resource(
        "development.investment_projects",
        "投资项目审批核准备案信息",
        "Investment project approvals",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(INVESTMENT_PROJECT, META),
        description="企业投资项目审批、核准和备案信息，项目代码贯穿建设项目全流程。",
        open_type="unconditional",
    ),
]
