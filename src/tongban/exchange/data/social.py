"""人社, 医保 and 卫健 registries."""

from __future__ import annotations

from typing import Any

from tongban.exchange.data.build import CONDITION_SOCIAL, META, fields, resource

INSURED = """
name
id_number
insurance_number
insured_unit
insured_unit_code
"""

SOCIAL_INSURANCE = """
insurance_types|参保险种|array|养老、失业、工伤等已参保的险种
insured_status|参保状态|string|正常参保、暂停缴费、终止参保
first_insured_on|首次参保日期|date|本市首次参保日期
contribution_base
latest_contribution_month|最近缴费月份|string|最近一次缴费的所属期，格式 YYYYMM
consecutive_months|连续缴费月数|integer|截至查询月连续缴纳的月数
cumulative_months
months_last_24|近24个月缴费月数|integer|最近24个月内的缴费月数
arrears_flag
contribution_records|缴费明细|array|每月的所属期、险种、基数和到账日期
household_type|户口性质|string|本市城镇、本市农村、外省市城镇、外省市农村
"""

INSURANCE_REGISTRATION = """
insurance_types|参保险种|array|参保的险种
insured_on|参保日期|date|本次参保登记日期
insured_status|参保状态|string|正常参保、暂停缴费、终止参保
person_category|人员类别|string|在职职工、灵活就业人员、退休人员
employment_form|用工形式|string|劳动合同、劳务派遣、非全日制
social_security_card_no|社会保障卡卡号|string|社会保障卡卡号|s
card_status|社会保障卡状态|string|正常、挂失、注销
bank_account|社会保障卡金融账户|string|社会保障卡银行账户|s
"""

CONTRIBUTION = """
contribution_month
contribution_base
unit_rate|单位缴费比例（%）|number|单位缴费费率
personal_rate|个人缴费比例（%）|number|个人缴费费率
unit_contribution
personal_contribution
paid_on
payment_type|缴费类型|string|正常应缴、补缴、退费
arrears_flag
cumulative_months
"""

PENSION_BENEFIT = """
retired_on|退休日期|date|办理退休的日期
retirement_type|退休类别|string|正常退休、提前退休、病退
monthly_pension|月养老金（元）|number|当前月基本养老金
basic_pension|基础养老金（元）|number|基础养老金部分
personal_account_pension|个人账户养老金（元）|number|个人账户养老金部分
transition_pension|过渡性养老金（元）|number|过渡性养老金部分
personal_account_balance|个人账户储存额（元）|number|养老保险个人账户累计储存额|s
contribution_years|缴费年限|number|视同缴费年限与实际缴费年限之和
paying_bank|发放银行|string|养老金发放银行
benefit_status|待遇状态|string|正常发放、暂停发放、终止发放
"""

EMPLOYMENT = """
name
id_number
gender
education|文化程度|string|最高学历
employment_status|就业状态|string|就业、失业、灵活就业、退休
employer_name|用人单位|string|当前（或最后）就业单位名称
employer_uscc|用人单位统一社会信用代码|string|用人单位代码
contract_type|劳动合同类型|string|固定期限、无固定期限、以完成一定工作任务为期限
contract_from|劳动合同起始日期|date|劳动合同开始日期
contract_to|劳动合同终止日期|date|劳动合同终止日期
employment_registered_on|就业登记日期|date|用工备案日期
terminated_on|解除或终止劳动合同日期|date|劳动关系终止日期
termination_reason|解除或终止原因|string|合同期满、协商一致解除、单位裁员等
unemployment_registered_on|失业登记日期|date|办理失业登记日期
unemployment_no|就业失业登记证编号|string|就业创业证编号
unemployment_benefit_months|可领取失业保险金月数|integer|核定的领取期限
unemployment_benefit_amount|失业保险金标准（元/月）|number|月失业保险金
job_intention|求职意向|string|登记的求职意向
training_records|职业培训记录|array|参加的职业培训
"""

VOCATIONAL_QUALIFICATION = """
name
id_number
certificate_no|证书编号|string|职业资格或职业技能等级证书编号
occupation_name|职业（工种）名称|string|按国家职业分类大典的职业名称
skill_level|等级|string|五级/初级工至一级/高级技师
assessed_on|评定日期|date|鉴定或评价日期
assessing_body|评价机构|string|职业技能等级认定机构
certificate_type|证书类型|string|职业资格证书、职业技能等级证书、专项职业能力证书
subsidy_claimed|是否已申领补贴|boolean|是否已申领技能提升补贴
title_series|职称系列|string|工程、经济、会计等职称系列
professional_title|职称|string|助理级、中级、副高级、正高级职称名称
title_approved_on|职称取得日期|date|职称评审通过日期
"""

LABOUR_DISPATCH = """
uscc
company_name
legal_representative
licence_no
registered_capital|注册资本（万元）|number|劳务派遣单位注册资本
dispatched_count|被派遣劳动者人数|integer|当前派遣人数
user_units|用工单位数|integer|当前用工单位数量
issued_on
valid_until
annual_report_year|最近经营情况报告年度|integer|最近报送经营情况的年度
"""

MEDICAL_ENROLMENT = """
name
id_number
insurance_number
insurance_category|参保类别|string|职工医保、城乡居民医保
insured_status|参保状态|string|参保缴费、暂停缴费、终止参保
insured_unit
insured_on|参保日期|date|本统筹区参保开始日期
insured_region|参保地|string|参保统筹区
person_category|人员类别|string|在职、退休、灵活就业、学生、老年居民
medical_card_no|医保卡号|string|医保电子凭证或社保卡号|s
personal_account_balance|个人账户余额（元）|number|医保个人账户余额|s
cumulative_years|累计缴费年限|number|职工医保累计缴费年限
payment_status|缴费状态|string|正常、中断
insurance_certificate_no|参保凭证编号|string|参保凭证编号
"""

MEDICAL_CONTRIBUTION = """
contribution_month
contribution_base
unit_contribution
personal_contribution
maternity_contribution|生育保险缴费（元）|number|生育保险合并实施后单位缴纳部分
paid_on
arrears_flag
cumulative_months
"""

OFFSITE_FILING = """
name
id_number
insurance_number
insured_region|参保地|string|参保统筹区
filing_type|备案类型|string|异地安置退休人员、异地长期居住、常驻异地工作、异地转诊、临时外出就医
destination|就医地|string|备案的就医省市
filed_on|备案日期|date|备案办理日期
valid_from|备案有效期起|date|备案生效日期
valid_until|备案有效期止|date|备案截止日期，长期为空
designated_hospitals|就医定点医疗机构|array|选定的就医地定点医疗机构
filing_status|备案状态|string|有效、已撤销
"""

MEDICAL_SETTLEMENT = """
name
id_number
settlement_no|结算单号|string|医疗费用结算单据号
hospital|医疗机构|string|就诊医疗机构名称
visit_type|就诊类型|string|门诊、住院、门诊大病
admitted_on|入院日期|date|住院开始日期
discharged_on|出院日期|date|出院日期
total_cost|医疗费用总额（元）|number|医疗费用合计
fund_paid|统筹基金支付（元）|number|基本医疗保险统筹基金支付金额
personal_paid|个人自付（元）|number|个人自付金额
diagnosis|诊断|string|出院诊断名称|s
"""

HEALTH_CERTIFICATE = """
uscc
company_name
certificate_count|持证人数|integer|本单位有效健康证明人数
holders|从业人员健康证明清单|array|姓名、证明编号、体检日期、有效期（身份证号脱敏）|s
examination_institution|体检机构|string|承担预防性健康检查的医疗机构
latest_examined_on|最近体检日期|date|本单位最近一次体检日期
earliest_expiry|最早到期日期|date|清单中最早到期的健康证明有效期
industry|行业类别|string|食品、公共场所、药品、化妆品等
"""

PRACTITIONER = """
name
id_number
gender
practitioner_type|人员类别|string|医师、护士、药师、技师
certificate_no|执业证书编码|string|医师或护士执业证书编码
qualification_no|资格证书编码|string|医师资格证书编码
practice_category|执业类别|string|临床、中医、口腔、公共卫生
practice_scope|执业范围|string|内科专业、外科专业、全科医学专业等
practice_institution|主要执业机构|string|第一执业机构名称
practice_institution_code|执业机构登记号|string|医疗机构执业许可证登记号
registered_on|注册日期|date|首次注册或变更注册日期
registration_valid_until|注册有效期至|date|护士注册有效期截止日期（医师为长期）
multi_site|是否多机构备案|boolean|是否在其他机构多机构执业备案
professional_title|专业技术职务|string|住院医师、主治医师、副主任医师、主任医师
staff|本机构执业人员|array|按执业机构查询时返回本机构注册的全部医务人员
"""

PHYSICIAN_QUALIFICATION = """
name
id_number
gender
birth_date
qualification_no|资格证书编码|string|医师资格证书编码
qualification_level|资格级别|string|执业医师、执业助理医师
qualification_category|资格类别|string|临床、中医、口腔、公共卫生
graduated_school|毕业学校|string|最高学历毕业院校
major|所学专业|string|所学专业
education|学历|string|学历层次
exam_year|考试年份|integer|通过医师资格考试的年份
issued_on
issuer
"""

MEDICAL_INSTITUTION = """
uscc
institution_name|机构名称|string|医疗机构名称
institution_type|机构类别|string|综合医院、社区卫生服务中心、诊所、门诊部等
ownership|所有制形式|string|全民、集体、私营等
legal_representative
principal|主要负责人|string|医疗机构主要负责人
business_address
licence_no|登记号|string|医疗机构执业许可证登记号
departments|诊疗科目|array|核准的诊疗科目
bed_count|核定床位|integer|核定床位数
is_designated|是否医保定点|boolean|是否为医保定点医疗机构
issued_on
valid_until
verified_on|校验日期|date|最近一次校验日期
"""

BIRTH_CERTIFICATE = """
child_name|新生儿姓名|string|出生医学证明登记的姓名
child_gender|新生儿性别|string|男、女
birth_time|出生时间|datetime|出生日期和时刻
birth_place|出生地点|string|出生地省市区
birth_weight|出生体重（克）|integer|出生体重
birth_length|出生身长（厘米）|number|出生身长
mother_name|母亲姓名|string|母亲姓名
mother_id_number|母亲证件号码|string|母亲身份证号码|s
father_name|父亲姓名|string|父亲姓名
father_id_number|父亲证件号码|string|父亲身份证号码|s
certificate_no|出生医学证明编号|string|出生医学证明编号|s
hospital|接生机构|string|接生医疗机构名称
issued_on
"""

PATIENT_RECORDS = """
name
id_number
hospital|就诊医疗机构|string|就诊医疗机构
visit_on|就诊日期|date|就诊日期
department|就诊科室|string|就诊科室
diagnosis|诊断|text|诊断名称|s
prescription|处方|text|处方内容|s
examinations|检查检验结果|array|检查检验项目和结果|s
attending_doctor|接诊医师|string|接诊医师姓名
"""

WORK_INJURY = """
name
id_number
employer_name|用人单位|string|受伤职工所在单位
employer_uscc|用人单位统一社会信用代码|string|用人单位代码
injured_on|事故发生日期|date|工伤事故发生日期
injury_part|受伤部位|string|受伤部位|s
decision_no|工伤认定决定书编号|string|认定工伤决定书编号
decision_on|认定日期|date|作出认定的日期
recognized|是否认定为工伤|boolean|认定工伤或视同工伤
disability_level|劳动能力鉴定等级|string|一级至十级伤残|s
assessed_on|鉴定日期|date|劳动能力鉴定日期
one_off_allowance|一次性伤残补助金（元）|number|核定的一次性伤残补助金
"""

LONG_TERM_CARE = """
name
id_number
insurance_number
assessment_level|评估等级|string|二级至六级，二级最轻
assessed_on|评估日期|date|老年照护统一需求评估日期
assessment_agency|评估机构|string|评估机构名称
care_type|服务形式|string|社区居家照护、养老机构照护、住院医疗护理
care_provider|护理服务机构|string|提供服务的护理站或养老机构
weekly_hours|每周服务时长（小时）|integer|核定的每周上门服务时长
valid_until|评估结果有效期至|date|评估结果有效期
"""


def _contribution(
    code: str, name: str, name_en: str, insurance: str, provider_note: str
) -> dict[str, Any]:
    return resource(
        code,
        name,
        name_en,
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="monthly",
        items=fields(INSURED, CONTRIBUTION, META),
        description=f"{insurance}逐月缴费明细（费款所属期、缴费基数、单位和个人缴费金额、到账情况），{provider_note}",
    )


RESOURCES: list[dict[str, Any]] = [
    resource(
        "hrss.social_insurance",
        "社会保险缴费记录",
        "Social insurance contributions",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="monthly",
        items=fields(INSURED, SOCIAL_INSURANCE, META),
        description="个人社会保险参保和缴费汇总，可作为居住证、人才引进、购房资格的合法稳定就业证明，替代纸质参保缴费证明。",
    ),
    resource(
        "hrss.insurance_registration",
        "社会保险参保登记信息",
        "Social insurance enrolment",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="daily",
        items=fields(INSURED, INSURANCE_REGISTRATION, META),
        description="职工和灵活就业人员的社会保险参保登记及社会保障卡信息。",
    ),
    _contribution(
        "hrss.pension_contribution",
        "职工基本养老保险缴费信息",
        "Pension insurance contributions",
        "职工基本养老保险",
        "用于养老待遇核定和社保转移。",
    ),
    _contribution(
        "hrss.unemployment_contribution",
        "失业保险缴费信息",
        "Unemployment insurance contributions",
        "失业保险",
        "用于失业保险金和技能提升补贴资格核定。",
    ),
    _contribution(
        "hrss.injury_contribution",
        "工伤保险缴费信息",
        "Work injury insurance contributions",
        "工伤保险",
        "用于工伤认定和工伤保险待遇核定。",
    ),
    resource(
        "hrss.pension_benefit",
        "养老保险待遇发放信息",
        "Pension payments",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="monthly",
        items=fields(INSURED, PENSION_BENEFIT, META),
        description="退休人员基本养老金核定和按月发放信息。",
    ),
    resource(
        "hrss.work_injury",
        "工伤认定和劳动能力鉴定信息",
        "Work injury recognition",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="daily",
        items=fields(WORK_INJURY, META),
        description="工伤认定决定、劳动能力鉴定结论和工伤保险待遇核定信息。",
    ),
    resource(
        "medical-insurance.long_term_care",
        "长期护理保险评估信息",
        "Long-term care insurance assessments",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="monthly",
        items=fields(LONG_TERM_CARE, META),
        description="老年照护统一需求评估等级和长期护理保险服务信息。",
    ),
    resource(
        "hrss.employment_record",
        "就业失业登记信息",
        "Employment and unemployment records",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="daily",
        items=fields(EMPLOYMENT, META),
        description="用工备案、劳动合同解除或终止和失业登记信息，失业保险金申领时替代提交解除劳动合同证明。",
    ),
    resource(
        "hrss.vocational_qualification",
        "职业资格和职称信息",
        "Vocational qualifications and professional titles",
        share="unconditional",
        cycle="daily",
        items=fields(VOCATIONAL_QUALIFICATION, META),
        description="职业资格证书、职业技能等级证书和专业技术职称信息。",
    ),
    resource(
        "hrss.labour_dispatch",
        "劳务派遣经营许可信息",
        "Labour dispatch licences",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(LABOUR_DISPATCH, META),
        description="劳务派遣经营许可证核发及年度经营情况报告。",
        open_type="unconditional",
    ),
    resource(
        "medical-insurance.enrolment",
        "基本医疗保险参保信息",
        "Medical insurance enrolment",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="daily",
        items=fields(MEDICAL_ENROLMENT, META),
        description="职工医保和城乡居民医保的参保状态和参保凭证信息，医保关系转移时替代提交参保凭证。",
    ),
    resource(
        "medical-insurance.contribution",
        "医疗保险缴费信息",
        "Medical insurance contributions",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="monthly",
        items=fields(INSURED, MEDICAL_CONTRIBUTION, META),
        description="职工基本医疗保险（含生育保险）逐月缴费明细。",
    ),
    resource(
        "medical-insurance.offsite_filing",
        "异地就医备案信息",
        "Medical treatment elsewhere filing",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="realtime",
        items=fields(OFFSITE_FILING, META),
        description="跨省和市外异地就医直接结算的备案信息。",
    ),
    resource(
        "medical-insurance.settlement",
        "医疗费用结算信息",
        "Medical expense settlements",
        share="none",
        cycle="daily",
        items=fields(MEDICAL_SETTLEMENT, META),
        description="门诊和住院医疗费用的医保结算明细，含诊断等敏感个人健康信息，不予共享。",
    ),
    resource(
        "health.staff_health_certificate",
        "从业人员健康证明",
        "Staff health certificates",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(HEALTH_CERTIFICATE, META),
        description="按用人单位查询的食品、公共场所从业人员预防性健康检查合格证明。",
    ),
    resource(
        "health.practitioner_registration",
        "医务人员执业注册信息",
        "Medical practitioner registration",
        share="unconditional",
        cycle="daily",
        items=fields(PRACTITIONER, META),
        description="医师、护士电子化注册信息，可按本人或执业机构查询。",
    ),
    resource(
        "health.physician_qualification",
        "医师资格证书信息",
        "Physician qualification",
        share="unconditional",
        cycle="yearly",
        items=fields(PHYSICIAN_QUALIFICATION, META),
        description="医师资格考试合格后取得的医师资格证书信息。",
    ),
    resource(
        "health.medical_institution",
        "医疗机构执业登记信息",
        "Medical institutions",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(MEDICAL_INSTITUTION, META),
        description="医疗机构执业登记、校验和诊疗科目信息。",
        open_type="unconditional",
    ),
    resource(
        "health.birth_certificate",
        "出生医学证明信息",
        "Birth medical certificates",
        share="conditional",
        condition="仅用于新生儿出生一件事（户口登记、医保参保、社保卡申领）办理，需经数据管理员审核",
        cycle="daily",
        items=fields(BIRTH_CERTIFICATE, META),
        description="出生医学证明签发信息，按母亲或父亲身份证号查询。",
    ),
    resource(
        "health.patient_records",
        "电子病历信息",
        "Electronic medical records",
        share="none",
        cycle="realtime",
        items=fields(PATIENT_RECORDS, META),
        description="医疗机构诊疗记录，属敏感个人健康信息，不予共享。",
    ),
]
