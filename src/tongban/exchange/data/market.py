"""市场监管 法人库: registration, annual reports, shareholders, branches, changes, licences, penalties."""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from tongban.exchange.data.build import ENTERPRISE_KEY, META, fields, resource

BUSINESS_LICENCE = """
uscc
company_name
company_type
legal_representative
registered_capital|注册资本（万元）|number|认缴注册资本
capital_currency|注册资本币种|string|人民币、美元等
established_on|成立日期|date|营业执照记载的成立日期
business_term_from|营业期限自|date|营业期限起始日期
business_term_to|营业期限至|date|营业期限截止日期，长期为空
registration_authority
business_address
business_scope|经营范围|text|依法须经批准的项目，经相关部门批准后方可开展经营活动
approved_on|核准日期|date|最近一次核准登记的日期
registration_status|登记状态|string|存续（在营、开业、在册）、吊销、注销、迁出
industry_code|行业代码|string|国民经济行业分类代码（GB/T 4754）
industry_name|行业门类|string|国民经济行业门类名称
registration_no|注册号|string|统一代码实施前的工商注册号
organization_code|组织机构代码|string|统一代码第9至17位
region_code|住所所在行政区划|string|行政区划代码（GB/T 2260）
enterprise_category|企业类别|string|内资企业、外资企业、个体工商户、农民专业合作社
contact_phone|联系电话|string|企业登记的联系电话|s
email|电子邮箱|string|企业登记的电子邮箱|s
postal_code|邮政编码|string|住所邮政编码
employee_count|从业人数|integer|最近一次报告的从业人数
"""

ANNUAL_REPORT = """
uscc
company_name
report_year|报告年度|integer|年度报告所属年度
reported_on|报送日期|date|年度报告公示日期
business_status|经营状态|string|开业、歇业、清算
employee_count|从业人数|integer|年末从业人数
female_employees|其中女性从业人数|integer|女性从业人数
total_assets|资产总额（万元）|number|年末资产总额
total_liabilities|负债总额（万元）|number|年末负债总额
owners_equity|所有者权益合计（万元）|number|年末所有者权益
total_revenue|营业总收入（万元）|number|全年营业总收入
main_revenue|主营业务收入（万元）|number|全年主营业务收入
total_profit|利润总额（万元）|number|全年利润总额
net_profit|净利润（万元）|number|全年净利润
tax_paid|纳税总额（万元）|number|全年纳税总额
has_website|是否有网站或网店|boolean|是否通过网站或网店经营
has_investment|是否有对外投资|boolean|是否投资设立企业或购买股权
has_guarantee|是否提供对外担保|boolean|是否有对外提供保证担保
equity_transferred|股权是否转让|boolean|年度内股东股权是否发生转让
contact_phone|企业联系电话|string|年报填报的联系电话|s
email|电子邮箱|string|年报填报的电子邮箱|s
party_members|中共党员人数|integer|从业人员中的党员人数
social_insurance_count|参保人数|integer|城镇职工基本养老保险参保人数
abnormal_flag|是否列入经营异常名录|boolean|未按时报送年报等原因列入经营异常名录
"""

SHAREHOLDERS = """
uscc
company_name
shareholder_name|股东（发起人）名称|string|自然人姓名或企业名称
shareholder_type|股东类型|string|自然人股东、企业法人、合伙企业等
shareholder_id_type|证照或证件类型|string|身份证、营业执照等
shareholder_id_number|证照或证件号码|string|股东证件号码|s
subscribed_capital|认缴出资额（万元）|number|认缴的出资额
subscribed_on|认缴出资日期|date|认缴出资期限
subscribed_method|认缴出资方式|string|货币、实物、知识产权等
paid_capital|实缴出资额（万元）|number|已实缴的出资额
paid_on|实缴出资日期|date|实际出资日期
paid_method|实缴出资方式|string|货币、实物等
share_ratio|持股比例（%）|number|出资比例
nationality|国别（地区）|string|股东国籍或注册地
is_controller|是否实际控制人|boolean|是否为企业实际控制人
"""

KEY_PERSONNEL = """
uscc
company_name
person_name|姓名|string|主要人员姓名
position|职务|string|董事长、执行董事、监事、经理等
person_id_number|证件号码|string|主要人员身份证号码|s
appointed_on|任职日期|date|任职开始日期
term_years|任期（年）|integer|本届任期年限
appointment_method|产生方式|string|选举、委派、聘任
is_legal_representative|是否法定代表人|boolean|是否担任法定代表人
nationality|国籍|string|主要人员国籍
"""

BRANCHES = """
uscc
company_name
branch_uscc|分支机构统一社会信用代码|string|分支机构的统一社会信用代码
branch_name|分支机构名称|string|分支机构名称
branch_principal|负责人|string|分支机构负责人
branch_address|营业场所|string|分支机构营业场所
branch_scope|经营范围|text|分支机构经营范围
branch_authority|登记机关|string|分支机构的登记机关
branch_established_on|成立日期|date|分支机构成立日期
branch_status|登记状态|string|存续、注销
"""

CHANGES = """
uscc
company_name
change_item|变更事项|string|名称、住所、法定代表人、注册资本、经营范围、股东等
before_value|变更前内容|text|变更前的登记内容
after_value|变更后内容|text|变更后的登记内容
changed_on|变更日期|date|核准变更的日期
change_authority|核准机关|string|核准变更的登记机关
change_reason|变更原因|string|股东会决议等
document_no|核准通知书文号|string|准予变更登记通知书文号
"""

ADMIN_LICENCES = """
uscc
company_name
licence_name|许可文件名称|string|行政许可决定文书名称
licence_no
licence_content|许可内容|text|许可的经营项目或范围
decision_on|许可决定日期|date|作出许可决定的日期
valid_from
valid_until
licensing_authority|许可机关|string|作出许可的机关
licensing_authority_code|许可机关统一社会信用代码|string|许可机关代码
licence_category|许可类别|string|普通、特许、认可、核准、登记
licence_status|当前状态|string|有效、注销、撤销、过期
"""

PENALTIES = """
uscc
company_name
legal_representative
decision_no|行政处罚决定书文号|string|处罚决定书文号
violation_type|违法行为类型|string|违法行为类别
violation_facts|违法事实|text|主要违法事实
penalty_basis|处罚依据|text|处罚所依据的法律条款
penalty_type|处罚类别|string|警告、罚款、没收违法所得、责令停产停业、吊销许可证等
fine_amount|罚款金额（万元）|number|罚款数额
confiscated_amount|没收违法所得金额（万元）|number|没收违法所得数额
decision_on|处罚决定日期|date|作出处罚决定的日期
penalty_authority|处罚机关|string|作出处罚的机关
publicity_until|公示截止期|date|信用信息公示截止日期
repaired|是否已信用修复|boolean|是否完成信用修复
"""

ABNORMAL = """
uscc
company_name
listed_reason|列入经营异常名录原因|string|未按规定报送年度报告、通过登记的住所无法联系等
listed_on|列入日期|date|列入日期
listing_authority|作出决定机关（列入）|string|作出列入决定的机关
removed_reason|移出经营异常名录原因|string|补报年度报告等
removed_on|移出日期|date|移出日期
removing_authority|作出决定机关（移出）|string|作出移出决定的机关
serious_illegal|是否列入严重违法失信名单|boolean|列入经营异常名录届满3年未移出的列入严重违法失信名单
"""

INDIVIDUAL_BUSINESS = """
uscc
trade_name|个体工商户名称|string|字号名称，无字号的为空
operator_name|经营者姓名|string|经营者姓名
operator_id_number|经营者身份证号码|string|经营者身份证号码|s
organization_form|组成形式|string|个人经营、家庭经营
business_address|经营场所|string|经营场所地址
business_scope|经营范围|text|登记的经营范围
capital_amount|资金数额（万元）|number|经营资金数额
registered_on|注册日期|date|注册登记日期
registration_authority
registration_status|登记状态|string|存续、注销
employee_count|从业人数|integer|从业人员数量
"""

PHARMACIST = """
uscc
company_name
pharmacist_name|执业药师姓名|string|注册在本单位的执业药师姓名
pharmacist_id_number|执业药师身份证号码|string|执业药师身份证号码|s
pharmacist_registration_no|注册证编号|string|执业药师注册证编号
qualification_no|资格证书编号|string|执业药师职业资格证书编号
practice_category|执业类别|string|药学、中药学、药学与中药学
practice_scope|执业范围|string|药品经营、药品使用、药品生产
practice_unit|执业单位|string|执业单位名称
registered_on|注册日期|date|注册（延续注册）日期
registration_valid_until|注册有效期至|date|注册证有效期截止日期
continuing_education|继续教育是否合格|boolean|当年度继续教育学分是否达标
pharmacists|本单位执业药师|array|本单位注册的全部执业药师（姓名、注册证编号、有效期）
"""

FOOD_INSPECTION = """
uscc
company_name
inspection_type|检查类型|string|日常监督检查、专项检查、飞行检查
inspected_on|检查日期|date|现场检查日期
inspection_result|检查结果|string|符合、基本符合、不符合
risk_level|风险等级|string|A、B、C、D 级
rectification_required|是否需整改|boolean|是否责令限期整改
rectified_on|整改完成日期|date|整改复查通过日期
inspector_unit|检查单位|string|实施检查的市场监管所
smiley_rating|量化分级（笑脸）|string|优秀（大笑）、良好（微笑）、一般（平脸）
"""

TRADEMARK_PLEDGE = """
uscc
company_name
pledge_type|出质类型|string|股权出质、商标专用权质押、动产抵押
pledgor|出质人|string|出质人名称
pledgee|质权人|string|质权人名称
pledged_amount|出质数额（万元）|number|出质股权数额或担保债权数额
registration_no|登记编号|string|出质（抵押）登记编号
registered_on|登记日期|date|设立登记日期
pledge_status|状态|string|有效、注销
"""

RESOURCES: list[dict[str, Any]] = [
    resource(
        "market.business_licence",
        "营业执照信息",
        "Business licence",
        share="unconditional",
        subject="enterprise",
        cycle="realtime",
        items=fields(BUSINESS_LICENCE, META),
        description="市场主体登记（法人库）的营业执照照面和登记信息，各部门办理涉企事项时调用，企业无需提交营业执照复印件。",
        open_type="unconditional",
    ),
    resource(
        "market.annual_report",
        "企业年度报告信息",
        "Enterprise annual reports",
        share="conditional",
        subject="enterprise",
        cycle="yearly",
        items=fields(ANNUAL_REPORT, META),
        description="企业通过国家企业信用信息公示系统报送的年度报告，资产和经营数据为企业选择不公示的信息。",
    ),
    resource(
        "market.shareholders",
        "股东及出资信息",
        "Shareholders and capital contributions",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(SHAREHOLDERS, META),
        description="有限责任公司股东（发起人）的认缴和实缴出资情况。",
    ),
    resource(
        "market.key_personnel",
        "主要人员信息",
        "Directors, supervisors and managers",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(KEY_PERSONNEL, META),
        description="董事、监事、高级管理人员的备案信息。",
    ),
    resource(
        "market.branches",
        "分支机构信息",
        "Branches",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(BRANCHES, META),
        description="企业设立的分公司等分支机构登记信息。",
        open_type="unconditional",
    ),
    resource(
        "market.changes",
        "变更登记信息",
        "Registration changes",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(CHANGES, META),
        description="市场主体历次变更登记的事项和前后内容。",
    ),
    resource(
        "market.admin_licences",
        "行政许可信息",
        "Administrative licences",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(ADMIN_LICENCES, META),
        description="市场监管部门作出的行政许可决定（双公示），包括食品、药品、医疗器械、特种设备等许可。",
        open_type="unconditional",
    ),
    resource(
        "market.penalties",
        "行政处罚信息",
        "Administrative penalties",
        share="conditional",
        subject="enterprise",
        cycle="daily",
        items=fields(PENALTIES, META),
        description="市场监管部门作出的行政处罚决定（双公示），用于信用审查和联合惩戒。",
        condition="用于行政审批、信用审查和事中事后监管，需经数据管理员审核",
    ),
    resource(
        "market.abnormal_operations",
        "经营异常名录信息",
        "List of abnormal operations",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(ABNORMAL, META),
        description="列入和移出经营异常名录、严重违法失信名单的记录。",
    ),
    resource(
        "market.individual_business",
        "个体工商户登记信息",
        "Individual businesses",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(INDIVIDUAL_BUSINESS, META),
        description="个体工商户的登记信息。",
    ),
    resource(
        "market.pharmacist_registration",
        "执业药师注册信息",
        "Pharmacist registration",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(PHARMACIST, META),
        description="按执业单位查询的执业药师注册信息，药品零售经营许可时替代提交执业药师注册证。",
    ),
    resource(
        "market.food_inspection",
        "食品安全监督检查信息",
        "Food safety inspections",
        share="conditional",
        subject="enterprise",
        cycle="weekly",
        items=fields(FOOD_INSPECTION, ENTERPRISE_KEY, META),
        description="食品经营者日常监督检查结果和量化分级。",
    ),
    resource(
        "market.pledges",
        "股权出质和动产抵押信息",
        "Equity pledges and chattel mortgages",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(TRADEMARK_PLEDGE, META),
        description="股权出质登记、动产抵押登记信息。",
    ),
]
