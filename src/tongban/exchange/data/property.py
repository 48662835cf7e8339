"""不动产, 房管, 规划资源 and 建管 registries."""

from __future__ import annotations

from typing import Any

from tongban.exchange.data.build import CONDITION_PROPERTY, META, fields, resource

PROPERTY_RIGHT = """
property_certificate_no
property_unit_no
holder_name
holder_id_type
holder_id_number
co_ownership|共有情况|string|单独所有、共同共有、按份共有
co_owners|共有人|array|其他共有人姓名及份额|s
property_address
right_type|权利类型|string|国有建设用地使用权/房屋所有权等
right_nature|权利性质|string|出让/市场化商品房、划拨、自建房等
property_use
land_area|宗地面积（平方米）|number|宗地总面积
land_use_term|土地使用期限|string|如 2004年1月1日起至2073年12月31日止
property_area
exclusive_area|套内建筑面积（平方米）|number|套内建筑面积
floor|所在层|string|所在楼层
total_floors|总层数|integer|房屋总层数
structure|房屋结构|string|钢混、混合、砖木等
completed_year|竣工年份|integer|房屋竣工年份
registered_on|登记时间|date|本次登记簿记载时间
registration_type|登记类型|string|首次登记、转移登记、变更登记
mortgaged|是否抵押|boolean|是否存在有效的抵押权登记
seized|是否查封|boolean|是否存在有效的查封登记
registration_authority|登记机构|string|不动产登记机构
"""

MORTGAGE = """
property_certificate_no
property_unit_no
property_address
mortgage_certificate_no|不动产登记证明号|string|抵押权登记证明号
mortgagee|抵押权人|string|抵押权人名称（通常为银行）
mortgagor|抵押人|string|抵押人姓名或名称
debtor|债务人|string|主债务人
mortgage_type|抵押方式|string|一般抵押、最高额抵押
secured_amount|被担保主债权数额（万元）|number|被担保债权数额或最高债权额
debt_term_from|债务履行期限起|date|债务履行期限开始
debt_term_to|债务履行期限止|date|债务履行期限届满
mortgage_scope|担保范围|text|抵押担保范围
registered_on|登记时间|date|抵押权登记时间
cancelled_on|注销时间|date|抵押权注销登记时间
mortgage_status|抵押状态|string|有效、已注销
"""

SEIZURE = """
property_certificate_no
property_unit_no
property_address
holder_name
seizing_authority|查封机关|string|人民法院或其他有权机关
seizure_document_no|查封文号|string|协助执行通知书文号|s
seizure_type|查封类型|string|查封、轮候查封、预查封
seizure_from|查封期限起|date|查封开始日期
seizure_to|查封期限止|date|查封期限届满日期
registered_on|登记时间|date|查封登记时间
released_on|解封时间|date|解除查封日期
seizure_status|查封状态|string|有效、已解封
"""

ADVANCE_NOTICE = """
property_unit_no
property_address
notice_type|预告登记种类|string|预购商品房预告登记、预购商品房抵押权预告登记
notice_certificate_no|预告登记证明号|string|预告登记证明号
obligee|权利人|string|预告登记权利人
obligor|义务人|string|预告登记义务人（开发企业）
obligee_id_number|权利人证件号码|string|权利人证件号码|s
contract_no|买卖合同编号|string|网签备案合同编号
price|合同金额（万元）|number|合同约定的价款
property_area
registered_on|登记时间|date|预告登记时间
notice_status|状态|string|有效、已转本登记、已注销
"""

FAMILY_HOUSING = """
name
id_number
query_scope|查询范围|string|本人、配偶及未成年子女
family_members|家庭成员|array|纳入查询的家庭成员（姓名、关系，证件号脱敏）|s
housing_count|家庭住房套数|integer|家庭名下登记的住房套数
residential_area_total|住房总建筑面积（平方米）|number|家庭名下住房建筑面积合计
properties|住房清单|array|每套住房的坐落、面积、登记时间
is_first_home|是否首套住房|boolean|购房时是否为家庭唯一住房
housing_in_shanghai|本市住房情况|string|无房、一套、两套及以上
query_certificate_no|查询结果编号|string|不动产登记信息查询结果证明编号
queried_on|查询日期|date|查询证明出具日期
"""

TRANSACTION_CONTRACT = """
contract_no|合同编号|string|网签备案合同编号
contract_type|合同类型|string|存量房买卖合同、商品房预售合同、商品房出售合同
property_address
property_unit_no
property_certificate_no
property_area
property_use
seller_name|出卖人|string|出卖人姓名或名称
seller_id_number|出卖人证件号码|string|出卖人证件号码|s
buyer_name|买受人|string|买受人姓名或名称
buyer_id_number|买受人证件号码|string|买受人证件号码|s
price|成交价格（元）|number|合同约定的成交总价
payment_method|付款方式|string|一次性付款、贷款付款
fund_supervised|是否资金监管|boolean|交易资金是否纳入监管
agency_name|经纪机构|string|居间的房地产经纪机构
agent_name|经纪人员|string|房地产经纪人员
signed_on|网签日期|date|合同网上签约日期
filed_on|备案日期|date|合同备案日期
contract_status|合同状态|string|已备案、已注销、已登记
"""

LEASE_FILING = """
filing_no|登记备案证明编号|string|房屋租赁合同登记备案证明编号
property_address
property_certificate_no
lessor_name|出租人|string|出租人姓名或名称
lessor_id_number|出租人证件号码|string|出租人证件号码|s
lessee_name|承租人|string|承租人姓名或名称
lessee_id_number|承租人证件号码|string|承租人证件号码|s
lease_area|租赁面积（平方米）|number|租赁房屋建筑面积
lease_use|租赁用途|string|居住、办公、商业
monthly_rent|月租金（元）|number|合同约定月租金
lease_from|租赁期限起|date|租赁开始日期
lease_to|租赁期限止|date|租赁截止日期
filed_on|备案日期|date|登记备案日期
filing_status|备案状态|string|有效、已注销
co_residents|同住人|array|登记的同住人员|s
"""

HOUSING_FUND = """
name
id_number
fund_account|公积金账号|string|个人住房公积金账号|s
employer|缴存单位|string|当前缴存单位名称
deposit_base|缴存基数（元）|number|月缴存基数
deposit_rate|缴存比例（%）|number|单位和个人缴存比例
monthly_deposit|月缴存额（元）|number|单位和个人合计月缴存额
balance|账户余额（元）|number|截至上月末的账户余额|s
account_status|账户状态|string|正常、封存、销户
opened_on|开户日期|date|个人账户开户日期
last_paid_month|最近缴存月份|string|最近一次缴存的所属月份
loan_flag|是否有公积金贷款|boolean|是否存在未结清的公积金贷款
"""

PRESALE = """
project_name
project_address
developer_name|开发企业|string|房地产开发企业名称
developer_uscc|开发企业统一社会信用代码|string|开发企业代码
presale_permit_no|预售许可证号|string|商品房预售许可证号
presale_area|预售面积（平方米）|number|本次预售建筑面积
presale_units|预售套数|integer|本次预售套数
buildings|预售楼栋|array|预售楼栋号
supervision_bank|监管银行|string|预售资金监管银行
supervision_account|监管账户|string|预售资金监管账户|s
issued_on
average_price|申报均价（元/平方米）|number|备案申报均价
"""

LAND_GRANT = """
contract_no|出让合同编号|string|国有建设用地使用权出让合同编号
parcel_no|地块编号|string|出让地块编号
parcel_location|宗地坐落|string|出让宗地位置
grantee|受让人|string|受让人名称
grantee_uscc|受让人统一社会信用代码|string|受让人代码
land_area
land_use|土地用途|string|住宅、商业、工业、研发等
grant_term_years|出让年限|integer|土地使用权出让年限
grant_price|出让价款（万元）|number|出让价款总额
plot_ratio|容积率|number|规划容积率上限
building_density|建筑密度（%）|number|建筑密度上限
green_ratio|绿地率（%）|number|绿地率下限
signed_on|签订日期|date|合同签订日期
delivered_on|交地日期|date|约定交地日期
start_deadline|约定开工日期|date|约定开工时间
completion_deadline|约定竣工日期|date|约定竣工时间
"""

SITE_SELECTION = """
project_name
project_code
construction_unit
construction_unit_uscc
project_address
land_area
land_use|拟用地性质|string|拟申请用地的性质
document_no|意见书文号|string|用地预审与选址意见书文号
issued_on
valid_until
planning_conditions|规划条件|text|选址意见中的规划要求
farmland_involved|是否占用耕地|boolean|是否涉及占用耕地或永久基本农田
"""

LAND_USE_PERMIT = """
permit_no|许可证编号|string|建设用地规划许可证编号
project_name
project_code
construction_unit
construction_unit_uscc
project_address
land_area
land_use|用地性质|string|批准的用地性质
building_scale|建设规模|string|批准的建设规模
plot_ratio|容积率|number|规划容积率
issued_on
issuer
attachments|附图及附件|array|用地红线图等附件名称
"""

CONSTRUCTION_PLANNING = """
permit_no|许可证编号|string|建设工程规划许可证编号
project_name
project_code
construction_unit
construction_unit_uscc
project_address
building_area
above_ground_area|地上建筑面积（平方米）|number|地上部分建筑面积
underground_area|地下建筑面积（平方米）|number|地下部分建筑面积
building_height|建筑高度（米）|number|最高建筑高度
building_count|建筑栋数|integer|单体建筑数量
issued_on
issuer
design_unit|设计单位|string|方案设计单位
"""

CONSTRUCTION_PERMIT = """
permit_no|施工许可证编号|string|建筑工程施工许可证编号
project_name
project_code
construction_unit
construction_unit_uscc
project_address
building_area
contract_price|合同价格（万元）|number|施工合同价格
contractor_name|施工单位|string|施工总承包单位
contractor_uscc|施工单位统一社会信用代码|string|施工单位代码
supervisor_name|监理单位|string|工程监理单位
design_unit|设计单位|string|设计单位
survey_unit|勘察单位|string|勘察单位
project_manager|项目经理|string|施工单位项目负责人
chief_supervisor|总监理工程师|string|总监理工程师
planned_start_date|合同开工日期|date|合同约定开工日期
planned_end_date|合同竣工日期|date|合同约定竣工日期
issued_on
issuer
"""

DRAWING_REVIEW = """
certificate_no|审查合格书编号|string|施工图设计文件审查合格书编号
project_name
project_code
construction_unit
project_address
building_area
review_agency|审查机构|string|施工图审查机构
design_unit|设计单位|string|设计单位
review_scope|审查范围|string|建筑、结构、给排水、电气、暖通、消防、人防、节能等
review_passed_on|审查通过日期|date|审查合格日期
fire_review_included|是否含消防审查|boolean|多审合一是否包含消防设计审查
civil_defense_included|是否含人防审查|boolean|多审合一是否包含人防设计审查
reviewer|审查人员|array|各专业审查人员
"""

COMPLETION = """
project_name
project_code
construction_unit
project_address
building_area
filing_no|竣工验收备案编号|string|竣工验收备案证明编号
accepted_on|竣工验收日期|date|五方责任主体竣工验收日期
filed_on|备案日期|date|竣工验收备案日期
quality_rating|质量评定|string|合格、不合格
joint_acceptance|是否联合验收|boolean|规划、消防、人防、档案等是否联合验收
"""

QUALIFICATION_PRACTITIONER = """
name
id_number
gender
qualification_type|执业资格类别|string|一级注册建造师、注册监理工程师、一级注册结构工程师等
specialty|专业|string|建筑工程、市政公用工程、机电工程等
registration_no|注册编号|string|执业注册证书编号
qualification_no|资格证书编号|string|职业资格证书编号
registered_unit|注册单位|string|聘用注册的单位名称
registered_unit_uscc|注册单位统一社会信用代码|string|注册单位代码
registered_on|注册日期|date|初始或延续注册日期
registration_valid_until|注册有效期至|date|注册有效期截止
seal_no|执业印章号|string|执业印章编号
in_service_project|在建项目|string|当前担任项目负责人的在建项目
"""

QUALIFICATION_ENTERPRISE = """
uscc
company_name
legal_representative
certificate_no|资质证书编号|string|建筑业企业资质证书编号
qualification_category|资质类别|string|施工总承包、专业承包、施工劳务、工程监理、勘察设计
qualification_items|资质等级及范围|array|如 建筑工程施工总承包一级
technical_director|技术负责人|string|企业技术负责人
registered_staff_count|注册人员数|integer|在本企业注册的执业人员数量
safety_licence_no|安全生产许可证号|string|建筑施工企业安全生产许可证编号
safety_licence_valid_until|安全生产许可证有效期|date|安全生产许可证有效期截止
issued_on
valid_until
issuer
"""

RESOURCES: list[dict[str, Any]] = [
    resource(
        "realestate.property_right",
        "不动产权属信息",
        "Real estate title",
        share="conditional",
        condition=CONDITION_PROPERTY,
        cycle="realtime",
        items=fields(PROPERTY_RIGHT, META),
        description="不动产登记簿记载的房地权属信息，可按权利人查询，替代提交不动产权证书和经营场所产权证明。",
    ),
    resource(
        "realestate.mortgage",
        "不动产抵押登记信息",
        "Real estate mortgages",
        share="conditional",
        condition=CONDITION_PROPERTY,
        cycle="realtime",
        items=fields(MORTGAGE, META),
        description="不动产抵押权设立、变更和注销登记信息。",
    ),
    resource(
        "realestate.seizure",
        "不动产查封登记信息",
        "Real estate seizures",
        share="conditional",
        condition="仅用于不动产登记和交易办理及司法协助，需经数据管理员审核",
        cycle="realtime",
        items=fields(SEIZURE, META),
        description="人民法院等有权机关嘱托的查封、轮候查封和解封登记信息。",
    ),
    resource(
        "realestate.advance_notice",
        "预告登记信息",
        "Advance notice registrations",
        share="conditional",
        condition=CONDITION_PROPERTY,
        cycle="realtime",
        items=fields(ADVANCE_NOTICE, META),
        description="预购商品房预告登记及其抵押权预告登记信息。",
    ),
    resource(
        "realestate.family_housing",
        "家庭住房情况",
        "Family housing record",
        share="conditional",
        condition=CONDITION_PROPERTY,
        cycle="realtime",
        items=fields(FAMILY_HOUSING, META),
        description="以家庭为单位的本市住房登记情况，用于契税优惠认定、限购审核和住房保障资格审核。",
    ),
    resource(
        "housing.transaction_contract",
        "房屋交易网签备案合同",
        "Filed housing sale contract",
        share="conditional",
        condition=CONDITION_PROPERTY,
        cycle="realtime",
        items=fields(TRANSACTION_CONTRACT, META),
        description="存量房和新建商品房买卖合同的网上签约和备案信息，不动产转移登记一件事中税务和登记部门直接调用。",
    ),
    resource(
        "housing.lease_filing",
        "房屋租赁合同登记备案信息",
        "Registered lease contract",
        share="conditional",
        condition=CONDITION_PROPERTY,
        cycle="daily",
        items=fields(LEASE_FILING, META),
        description="住房和非居住房屋租赁合同登记备案信息，可作为居住证办理的合法稳定住所证明。",
    ),
    resource(
        "housing.provident_fund",
        "住房公积金缴存信息",
        "Housing provident fund",
        share="conditional",
        condition="仅用于住房保障、落户和人才服务事项办理，需经数据管理员审核",
        cycle="monthly",
        items=fields(HOUSING_FUND, META),
        description="个人住房公积金账户及缴存信息。",
    ),
    resource(
        "housing.presale",
        "商品房预售许可信息",
        "Pre-sale permits",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(PRESALE, META),
        description="商品房预售许可及预售资金监管信息。",
        open_type="unconditional",
    ),
    resource(
        "planning.land_grant_contract",
        "国有建设用地使用权出让合同",
        "Land-grant contract",
        share="conditional",
        subject="enterprise",
        cycle="daily",
        items=fields(LAND_GRANT, META),
        description="国有建设用地使用权出让合同及其规划指标。",
    ),
    resource(
        "planning.site_selection",
        "用地预审与选址意见书",
        "Land pre-review and site selection opinion",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(SITE_SELECTION, META),
        description="建设项目用地预审与选址意见书核发信息。",
    ),
    resource(
        "planning.land_use_permit",
        "建设用地规划许可证",
        "Land use planning permit",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(LAND_USE_PERMIT, META),
        description="建设用地规划许可证核发信息。",
        open_type="unconditional",
    ),
    resource(
        "planning.construction_planning_permit",
        "建设工程规划许可证",
        "Construction project planning permit",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(CONSTRUCTION_PLANNING, META),
        description="建设工程规划许可证核发信息，施工许可和人防审批时直接调用。",
        open_type="unconditional",
    ),
    resource(
        "construction.construction_permit",
        "建筑工程施工许可证",
        "Construction permit",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(CONSTRUCTION_PERMIT, META),
        description="建筑工程施工许可证核发信息。",
        open_type="unconditional",
    ),
    resource(
        "construction.drawing_review",
        "施工图审查合格信息",
        "Design review approval",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(DRAWING_REVIEW, META),
        description="施工图设计文件（含消防、人防、节能）多审合一审查合格信息。",
    ),
    resource(
        "construction.completion_filing",
        "竣工验收备案信息",
        "Completion acceptance filing",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(COMPLETION, META),
        description="房屋建筑和市政基础设施工程竣工验收备案信息。",
    ),
    resource(
        "construction.practitioner_qualification",
        "建设领域执业资格注册信息",
        "Construction practitioner registration",
        share="unconditional",
        cycle="daily",
        items=fields(QUALIFICATION_PRACTITIONER, META),
        description="注册建造师、注册监理工程师、注册结构工程师等执业资格注册信息。",
    ),
    resource(
        "construction.enterprise_qualification",
        "建筑业企业资质信息",
        "Construction enterprise qualifications",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(QUALIFICATION_ENTERPRISE, META),
        description="建筑业企业、工程监理和勘察设计企业资质及安全生产许可信息。",
        open_type="unconditional",
    ),
]
