"""税务, 公安交警, 交通 registries."""

from __future__ import annotations

from typing import Any

from tongban.exchange.data.build import CONDITION_TAX, META, fields, resource

TAXPAYER = """
taxpayer_id
taxpayer_name
uscc
legal_representative
taxpayer_type|纳税人资格|string|增值税一般纳税人、小规模纳税人
registration_type|登记注册类型|string|有限责任公司、私营独资企业等
industry_name|国标行业|string|国民经济行业
tax_authority
tax_officer|税收管理员|string|主管税务所（科）税收管理员
registered_on|税务登记日期|date|办理涉税信息确认的日期
accounting_method|核算方式|string|独立核算、非独立核算
financial_officer|财务负责人|string|财务负责人姓名
tax_handler|办税人|string|办税人员姓名
tax_handler_phone|办税人联系电话|string|办税人员手机号|s
business_address|生产经营地址|string|生产经营地址
taxpayer_status|纳税人状态|string|正常、非正常、注销
invoice_types|发票票种核定|array|增值税专用发票、普通发票、电子发票等
invoice_monthly_limit|每月最高领用数量|integer|核定的月领用份数
"""

CLEARANCE = """
taxpayer_id
taxpayer_name
certificate_no|清税证明文书号|string|清税证明文书号
cleared_on|清税日期|date|出具清税证明的日期
tax_authority
outstanding_tax|未结清税款（元）|number|清税时未结清的税款，已清为0
outstanding_penalty|未结清罚款（元）|number|未缴纳的罚款
invoices_cancelled|发票是否已缴销|boolean|已领用发票是否全部缴销
tax_control_device_cancelled|税控设备是否已注销|boolean|税控设备是否已注销
simple_deregistration|是否即时办结|boolean|符合条件的即时出具清税文书
"""

PAYMENT_RECORD = """
taxpayer_id
taxpayer_name
tax_authority
certificate_no|完税证明号码|string|税收完税证明号码
tax_type|税种|string|增值税、企业所得税、个人所得税等
tax_item|品目名称|string|征收品目
period_from|税款所属期起|date|税款所属期开始
period_to|税款所属期止|date|税款所属期截止
tax_amount|实缴税额（元）|number|实际缴纳的税额
paid_on|入库日期|date|税款入（退）库日期
payment_voucher_no|电子缴税付款凭证号|string|缴款凭证号码
records|完税明细|array|按税种和所属期的完税明细
total_paid_last_12_months|近12个月纳税合计（元）|number|近12个月实缴税额合计
"""

PROPERTY_TAX_RECEIPT = """
taxpayer_id
taxpayer_name
contract_no|网签合同编号|string|房屋交易网签备案合同编号
property_address|房屋坐落|string|交易房屋坐落
property_area|建筑面积（平方米）|number|交易房屋建筑面积
declared_price|计税价格（元）|number|核定的计税价格
deed_tax|契税（元）|number|实缴契税
deed_tax_rate|契税适用税率（%）|number|适用税率
vat|增值税及附加（元）|number|卖方实缴增值税及附加
personal_income_tax|个人所得税（元）|number|卖方实缴个人所得税
stamp_duty|印花税（元）|number|实缴印花税
tax_relief|减免税情况|string|首套、二套、满五唯一等减免情况
receipt_no|完税凭证号|string|契税完税凭证号码
paid_on|缴税日期|date|缴纳日期
"""

ARREARS = """
taxpayer_id
taxpayer_name
legal_representative
tax_type|欠缴税种|string|欠缴的税种
arrears_amount|欠税金额（元）|number|欠缴税款余额
new_arrears|当期新发生欠税（元）|number|当期新发生的欠税金额
arrears_from|欠税起始日期|date|欠税发生日期
tax_authority
announced_on|欠税公告日期|date|欠税公告日期
collection_measures|采取的措施|string|催缴、加收滞纳金、强制执行等
"""

TAX_CREDIT = """
taxpayer_id
taxpayer_name
evaluation_year|评价年度|integer|纳税信用评价年度
credit_level|纳税信用级别|string|A、B、M、C、D 级
score|评价得分|number|年度评价指标得分
evaluated_on|评价日期|date|评价结果确定日期
major_violation|是否重大税收违法失信主体|boolean|是否列入重大税收违法失信主体名单
repaired|是否已信用修复|boolean|是否完成纳税信用修复
tax_authority
"""

TAX_CASES = """
taxpayer_id
taxpayer_name
case_no|案件编号|string|税务稽查案件编号
case_source|案源|string|举报、协查、数据分析等
violation_type|违法类型|string|偷税、逃避追缴欠税、骗取出口退税、虚开发票等
involved_amount|涉案金额（元）|number|查补税款金额
investigation_status|查处状态|string|检查中、审理中、执行中、已结案
inspector|检查人员|string|承办检查人员
informant_info|举报人信息|string|举报人身份信息|s
referral|是否移送公安|boolean|是否移送公安机关
"""

IIT = """
name
id_number
tax_year|纳税年度|integer|综合所得年度
wage_income|工资薪金收入（元）|number|全年工资薪金收入|s
labour_income|劳务报酬收入（元）|number|全年劳务报酬|s
special_deductions|专项附加扣除（元）|number|子女教育、住房贷款利息、赡养老人等扣除合计
tax_payable|应纳税额（元）|number|全年应纳税额
tax_prepaid|已预缴税额（元）|number|全年已预缴税额
refund_or_due|应退（补）税额（元）|number|年度汇算应退或应补税额
settlement_status|汇算状态|string|已申报、已退税、无需申报
employers|任职受雇单位|array|全年扣缴义务人名称
"""

VEHICLE = """
name
id_number
plate_no|号牌号码|string|机动车号牌号码，如 沪A·12345
plate_type|号牌种类|string|小型汽车、大型汽车、新能源小型车等
vehicle_type|车辆类型|string|小型轿车、小型普通客车等
brand_model|品牌型号|string|车辆品牌和型号
vin|车辆识别代号|string|17位车辆识别代号（VIN）
engine_no|发动机号码|string|发动机（电动机）号码
color|车身颜色|string|车身颜色
use_nature|使用性质|string|非营运、营运、租赁等
fuel_type|燃料种类|string|汽油、纯电动、插电式混合动力等
seats|核定载客（人）|integer|核定载客人数
registered_on|初次登记日期|date|机动车初次登记日期
inspection_valid_until|检验有效期止|date|安全技术检验有效期截止
insurance_valid_until|交强险有效期止|date|机动车交通事故责任强制保险有效期
vehicle_status|机动车状态|string|正常、抵押、查封、注销、达到报废标准
mortgaged|是否抵押|boolean|是否办理抵押登记
registration_certificate_no|机动车登记证书编号|string|登记证书编号
"""

DRIVER = """
name
id_number
gender
licence_no|驾驶证号|string|机动车驾驶证号（与身份证号一致）|s
file_no|档案编号|string|驾驶证档案编号
vehicle_classes|准驾车型|string|A1、B2、C1、C2 等
first_issued_on|初次领证日期|date|初次领取驾驶证日期
valid_from
valid_until
points|累积记分|integer|当前记分周期累积记分
scoring_period_end|记分周期截止|date|当前记分周期截止日期
licence_status|驾驶证状态|string|正常、超分、暂扣、吊销、注销
issuer
"""

VIOLATIONS = """
name
id_number
plate_no|号牌号码|string|违法车辆号牌
violation_code|违法代码|string|公安交通管理违法行为代码
violation_desc|违法行为|string|违法行为描述
occurred_at|违法时间|datetime|违法发生时间
location|违法地点|string|违法发生地点
points_deducted|记分|integer|本次记分
fine_amount|罚款金额（元）|number|罚款数额
handled|是否处理|boolean|是否已接受处理
paid|是否缴款|boolean|罚款是否已缴纳
decision_no|处罚决定书编号|string|简易程序处罚决定书编号
"""

DRIVER_QUALIFICATION = """
name
id_number
gender
certificate_no|从业资格证号|string|道路运输从业人员从业资格证号
qualification_category|从业资格类别|string|道路旅客运输驾驶员、道路货物运输驾驶员、危险货物运输驾驶员等
employer|服务单位|string|当前服务的道路运输企业
vehicle_classes|准驾车型|string|驾驶证准驾车型
first_issued_on|初领日期|date|从业资格证初领日期
valid_until
integrity_rating|诚信考核等级|string|AAA、AA、A、B 级
continuing_education|继续教育情况|string|本周期继续教育完成情况
issuer
"""

ROAD_TRANSPORT = """
uscc
company_name
legal_representative
licence_no
transport_scope|经营范围|string|道路普通货物运输、道路旅客运输等
vehicle_count|营运车辆数|integer|在册营运车辆数
driver_count|从业驾驶员数|integer|在册从业驾驶员数
safety_rating|安全生产标准化等级|string|一级、二级、三级
quality_rating|质量信誉考核等级|string|AAA、AA、A、B
issued_on
valid_until
issuer
"""

RESOURCES: list[dict[str, Any]] = [
    resource(
        "tax.taxpayer_registration",
        "纳税人登记信息",
        "Taxpayer registration",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(TAXPAYER, META),
        description="纳税人涉税信息确认、税种认定和票种核定信息。",
    ),
    resource(
        "tax.clearance",
        "清税证明",
        "Tax clearance",
        share="conditional",
        condition=CONDITION_TAX,
        subject="enterprise",
        cycle="realtime",
        items=fields(CLEARANCE, META),
        description="纳税人注销税务登记前出具的清税证明，企业注销登记时替代提交清税文书。",
    ),
    resource(
        "tax.payment_record",
        "完税记录",
        "Tax payment records",
        share="conditional",
        condition=CONDITION_TAX,
        cycle="daily",
        items=fields(PAYMENT_RECORD, META),
        description="个人或企业的税收完税记录，可出具电子税收完税证明。",
    ),
    resource(
        "tax.property_tax_receipt",
        "不动产交易完税凭证",
        "Real estate transaction tax receipt",
        share="conditional",
        condition=CONDITION_TAX,
        cycle="realtime",
        items=fields(PROPERTY_TAX_RECEIPT, META),
        description="存量房和新建商品房交易的契税、增值税、个人所得税完税信息，不动产登记时直接调用。",
    ),
    resource(
        "tax.arrears",
        "欠税信息",
        "Tax arrears",
        share="conditional",
        condition=CONDITION_TAX,
        subject="enterprise",
        cycle="monthly",
        items=fields(ARREARS, META),
        description="纳税人欠缴税款及欠税公告信息。",
    ),
    resource(
        "tax.credit_rating",
        "纳税信用等级",
        "Tax credit rating",
        share="unconditional",
        subject="enterprise",
        cycle="yearly",
        items=fields(TAX_CREDIT, META),
        description="年度纳税信用评价结果，A级纳税人名单向社会公开。",
        open_type="conditional",
    ),
    resource(
        "tax.individual_income",
        "个人所得税综合所得汇算信息",
        "Individual income tax settlement",
        share="conditional",
        condition="仅用于人才引进、积分落户和住房保障审核中的纳税情况核验，需经数据管理员审核",
        cycle="yearly",
        items=fields(IIT, META),
        description="个人所得税年度综合所得汇算清缴结果。",
    ),
    resource(
        "tax.tax_cases",
        "涉税案件信息",
        "Tax inspection cases",
        share="none",
        subject="enterprise",
        cycle="daily",
        items=fields(TAX_CASES, META),
        description="税务稽查案件的案源、查处和移送信息，属税务机关工作秘密，不予共享。",
    ),
    resource(
        "police.vehicles",
        "机动车登记信息",
        "Motor vehicle registration",
        share="conditional",
        cycle="realtime",
        items=fields(VEHICLE, META),
        description="公安交警部门机动车注册、转移、抵押和检验信息。",
        condition="仅用于行政审批、社会救助家庭经济状况核对和车辆相关事项办理，需经数据管理员审核",
    ),
    resource(
        "police.driving_licences",
        "机动车驾驶证信息",
        "Driving licences",
        share="conditional",
        cycle="realtime",
        items=fields(DRIVER, META),
        description="机动车驾驶证申领、换证、记分和状态信息。",
    ),
    resource(
        "police.traffic_violations",
        "交通违法记录",
        "Traffic violations",
        share="conditional",
        cycle="realtime",
        items=fields(VIOLATIONS, META),
        description="道路交通安全违法行为及其处理信息。",
        condition="仅用于道路运输从业资格、驾驶员招录审查等事项办理，需经数据管理员审核",
    ),
    resource(
        "transport.driver_qualification",
        "道路运输从业人员从业资格",
        "Road transport driver qualification",
        share="unconditional",
        cycle="daily",
        items=fields(DRIVER_QUALIFICATION, META),
        description="道路运输驾驶员从业资格证及诚信考核信息。",
    ),
    resource(
        "transport.road_transport",
        "道路运输经营许可信息",
        "Road transport business licences",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(ROAD_TRANSPORT, META),
        description="道路运输经营许可证及企业质量信誉考核信息。",
        open_type="unconditional",
    ),
]
