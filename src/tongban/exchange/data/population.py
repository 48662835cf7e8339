"""公安 population registries and 民政 civil-status registries."""

# Field tables are data: long lines read better than wrapped ones.

from __future__ import annotations

from typing import Any

from tongban.exchange.data.build import (
    CONDITION_POLICE,
    CONDITION_SOCIAL,
    META,
    fields,
    resource,
)

POPULATION = """
name
former_names|曾用名|string|曾经使用过的姓名，多个以顿号分隔
gender
ethnicity
birth_date
id_number
birth_place|出生地|string|出生地省市县（区）
native_place|籍贯|string|祖籍所在省市县
household_address|户籍地址|string|常住户口登记地详细地址|s
household_no|户号|string|户口簿户号
household_type|户别|string|家庭户、集体户
relation_to_head|与户主关系|string|本人、配偶、子、女等（GB/T 4761）
head_of_household|户主姓名|string|本户户主姓名
education|文化程度|string|研究生、大学本科、大学专科、高中等（GB/T 4658）
marital_status|婚姻状况|string|未婚、已婚、离婚、丧偶（GB/T 2261.2）
military_service|兵役状况|string|未服兵役、退出现役、预备役等
employer|服务处所|string|工作单位名称
occupation|职业|string|职业分类名称
height_cm|身高（厘米）|integer|户籍登记的身高
blood_type|血型|string|A、B、AB、O 型
religion|宗教信仰|string|户籍登记的宗教信仰|s
moved_in_on|迁入日期|date|迁入本户籍地的日期
moved_in_from|何时由何地迁来|string|迁入前的户籍地
moved_in_reason|迁入原因|string|投靠亲属、购房、人才引进等
police_station|户籍派出所|string|户籍所在地公安派出所
street_community|所属街道（乡镇）居（村）委会|string|户籍所在的街道和居委会
registration_status|户口状态|string|正常、迁出、死亡注销等
registered_on|登记日期|date|本条户口登记的日期
"""

RESIDENT_ID = """
name
gender
ethnicity
birth_date
id_number
id_address|身份证住址|string|居民身份证上的住址|s
issuing_authority|签发机关|string|签发居民身份证的公安机关
id_valid_from|证件有效期起始|date|居民身份证有效期开始日期
id_valid_until|证件有效期截止|date|居民身份证有效期截止日期，长期为空
card_status|证件状态|string|有效、挂失、作废
photo|人像照片|image|居民身份证制证照片（仅核验时返回比对结果）|s
card_version|证件版本|string|第二代居民身份证
"""

HOUSEHOLD = """
household_no|户号|string|户口簿户号
household_type|户别|string|家庭户、集体户
head_of_household|户主姓名|string|本户户主姓名
household_address|住址|string|户口簿登记的住址|s
police_station|户籍派出所|string|承办户口登记的派出所
name
id_number
relation_to_head|与户主关系|string|本人、配偶、子、女等
former_names|曾用名|string|曾经使用过的姓名
gender
birth_date
ethnicity
birth_place|出生地|string|出生地省市县（区）
native_place|籍贯|string|祖籍所在省市县
education|文化程度|string|最高学历
marital_status|婚姻状况|string|未婚、已婚、离婚、丧偶
employer|服务处所|string|工作单位
moved_in_on|迁入日期|date|迁入本址的日期
members|户内成员|array|同户成员的姓名与关系（身份证号脱敏）|s
"""

RESIDENCE_PERMIT = """
name
id_number
gender
permit_no|居住证号码|string|居住证编号
residential_address|居住地址|string|居住证登记的居住地址|s
residence_basis|居住事由|string|合法稳定就业、合法稳定住所、连续就读
permit_issued_on|签发日期|date|居住证签发日期
permit_valid_until|有效期至|date|居住证有效期截止
sign_count|签注次数|integer|已办理的年度签注次数
last_signed_on|最近签注日期|date|最近一次签注日期
points|积分分值|integer|居住证积分（达到标准分值享受相应公共服务）
police_station|受理派出所|string|受理居住登记的派出所
"""

TEMPORARY_RESIDENCE = """
name
id_number
residential_address|暂住地址|string|登记的暂住地址|s
registered_on|登记日期|date|居住登记日期
landlord_name|房东姓名|string|出租人姓名
landlord_phone|房东联系电话|string|出租人联系电话|s
residence_type|居住处所类型|string|租赁房屋、单位内部、借住等
employer|服务处所|string|工作单位
police_station|登记派出所|string|办理居住登记的派出所
community|居（村）委会|string|居住地居委会
left_on|注销日期|date|离开登记地的日期
"""

SEAL_FILING = """
uscc
company_name
legal_representative
seal_types|印章种类|array|法定名称章、财务专用章、发票专用章、合同专用章等
seal_codes|印章编码|array|公安机关赋予的印章编码
seal_maker|刻章企业|string|承接刻制的刻章企业
seal_maker_licence|刻章企业许可证号|string|刻章企业特种行业许可证号
filed_on|备案日期|date|印章备案日期
handler_name|经办人|string|办理备案的经办人
handler_id_number|经办人证件号码|string|经办人身份证号码|s
material_type|印章材质|string|铜质、橡胶、光敏等
seal_status|印章状态|string|在用、缴销、挂失
"""

FUGITIVES = """
name
id_number
gender
birth_date
case_no|案件编号|string|立案编号
wanted_level|通缉级别|string|A级、B级
crime_type|涉嫌罪名|string|涉嫌的犯罪类别
escaped_on|在逃日期|date|在逃开始日期
handling_unit|主办单位|string|立案的公安机关
contact_officer|联系人|string|主办民警
feature|体貌特征|text|身高、口音、体貌等
"""

MARRIAGE = """
registration_type|登记类别|string|结婚登记、离婚登记、补领结婚证、撤销婚姻
certificate_no|结婚证字号|string|结婚（离婚）证字号，如 J310114-2015-000123
registered_on|登记日期|date|婚姻登记日期
registration_office|登记机关|string|办理登记的婚姻登记机关
male_name|男方姓名|string|男方姓名
male_id_number|男方证件号码|string|男方身份证号码|s
male_nationality|男方国籍|string|男方国籍
male_birth_date|男方出生日期|date|男方出生日期
male_marital_before|男方登记前婚姻状况|string|未婚、离婚、丧偶
female_name|女方姓名|string|女方姓名
female_id_number|女方证件号码|string|女方身份证号码|s
female_nationality|女方国籍|string|女方国籍
female_birth_date|女方出生日期|date|女方出生日期
female_marital_before|女方登记前婚姻状况|string|未婚、离婚、丧偶
officer|登记员|string|婚姻登记员姓名
spouse_name|配偶姓名|string|本人配偶姓名（按查询主体视角）
current_status|当前婚姻状况|string|已婚、离婚、丧偶
"""

MINIMUM_LIVING = """
name
id_number
household_size|保障人口数|integer|纳入保障的家庭人口数
monthly_benefit|月保障金额（元）|number|每月发放的最低生活保障金
approved_on|批准日期|date|审批确认日期
benefit_status|保障状态|string|在保、停保
household_income|家庭月人均收入（元）|number|核对得出的家庭月人均收入
street|所属街道（镇）|string|受理的街道（镇）
review_due|下次复核日期|date|定期复核日期
"""

DISABILITY = """
name
id_number
disability_certificate_no|残疾人证号|string|第三代残疾人证号|s
disability_category|残疾类别|string|视力、听力、言语、肢体、智力、精神、多重|s
disability_grade|残疾等级|string|一级至四级|s
issued_on
valid_until
subsidy_type|补贴类型|string|困难残疾人生活补贴、重度残疾人护理补贴
subsidy_amount|补贴金额（元/月）|number|每月补贴金额
"""

SOCIAL_ORG = """
uscc
org_name|社会组织名称|string|登记的社会组织名称
org_type|组织类型|string|社会团体、民办非企业单位（社会服务机构）、基金会
legal_representative
business_scope|业务范围|text|章程规定的业务范围
registered_capital|开办资金（万元）|number|开办资金数额
supervising_unit|业务主管单位|string|业务主管单位名称
business_address
registered_on|成立登记日期|date|成立登记日期
annual_inspection|年检结论|string|合格、基本合格、不合格
evaluation_grade|评估等级|string|1A 至 5A
org_status|登记状态|string|正常、撤销、注销
"""

EXIT_ENTRY = """
name
id_number
gender
birth_date
document_type|证件类型|string|普通护照、往来港澳通行证、往来台湾通行证
document_no|证件号码|string|出入境证件号码|s
issued_on
valid_until
issuer
endorsement|签注|string|团队旅游、个人旅游、探亲等签注类别及有效期
document_status|证件状态|string|有效、失效、挂失、注销
restricted|是否限制出境|boolean|是否被依法限制出境
"""

DEATH_CREMATION = """
name
id_number
gender
death_date|死亡日期|date|死亡日期
death_place|死亡地点|string|医疗机构、家中等
death_certificate_no|死亡医学证明编号|string|居民死亡医学证明（推断）书编号
cremated_on|火化日期|date|遗体火化日期
funeral_home|殡仪馆|string|承办火化的殡仪馆
cremation_certificate_no|火化证明编号|string|火化证明编号
household_cancelled|户口是否已注销|boolean|死亡后户口是否已注销
informant|报告人|string|办理丧事的亲属姓名
"""

RESOURCES: list[dict[str, Any]] = [
    resource(
        "police.population",
        "人口基础信息",
        "Population base register",
        share="conditional",
        condition=CONDITION_POLICE,
        cycle="realtime",
        items=fields(POPULATION, META),
        description="全区常住户籍人口的基础信息，来源于公安人口管理信息系统，与国家人口基础信息库同步。",
    ),
    resource(
        "police.resident_id",
        "居民身份证信息",
        "Resident identity card",
        share="conditional",
        condition=CONDITION_POLICE,
        cycle="realtime",
        items=fields(RESIDENT_ID, META),
        description="第二代居民身份证的证面信息和证件状态，用于办件中的身份核验，替代提交身份证复印件。",
    ),
    resource(
        "police.household",
        "户籍信息",
        "Household registration",
        share="conditional",
        condition=CONDITION_POLICE,
        cycle="daily",
        items=fields(HOUSEHOLD, META),
        description="居民户口簿登记信息（户主、户号、住址和户内成员关系），替代提交户口簿。",
    ),
    resource(
        "police.residence_permit",
        "居住证信息",
        "Residence permit",
        share="conditional",
        cycle="daily",
        items=fields(RESIDENCE_PERMIT, META),
        description="来沪人员居住证的办理、签注和积分信息。",
    ),
    resource(
        "police.temporary_residence",
        "来沪人员居住登记信息",
        "Temporary residence registration",
        share="conditional",
        cycle="daily",
        items=fields(TEMPORARY_RESIDENCE, META),
        description="来沪人员居住登记及其出租房屋信息。",
    ),
    resource(
        "police.seal_filing",
        "印章刻制备案信息",
        "Seal engraving filing",
        share="unconditional",
        subject="enterprise",
        cycle="realtime",
        items=fields(SEAL_FILING, META),
        description="企业印章刻制备案记录，开办企业一件事中与营业执照同步办理。",
        open_type="conditional",
    ),
    resource(
        "police.fugitives",
        "在逃人员信息",
        "Wanted persons",
        share="none",
        cycle="realtime",
        items=fields(FUGITIVES, META),
        description="公安机关在逃人员信息，仅限公安机关依法使用。",
    ),
    resource(
        "police.exit_entry",
        "出入境证件信息",
        "Exit and entry documents",
        share="conditional",
        condition=CONDITION_POLICE,
        cycle="daily",
        items=fields(EXIT_ENTRY, META),
        description="普通护照、往来港澳台通行证的签发、签注和状态信息。",
    ),
    resource(
        "civil-affairs.death_cremation",
        "死亡和火化信息",
        "Deaths and cremations",
        share="conditional",
        condition="仅用于身后事一件事（户口注销、社保停发、公积金提取等）办理，需经数据管理员审核",
        cycle="daily",
        items=fields(DEATH_CREMATION, META),
        description="居民死亡医学证明和遗体火化信息，用于停发待遇和注销登记。",
    ),
    resource(
        "civil-affairs.marriage",
        "婚姻登记信息",
        "Marriage registration",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="daily",
        items=fields(MARRIAGE, META),
        description="结婚、离婚登记及补领婚姻登记证记录，来源于全国婚姻登记信息系统。",
    ),
    resource(
        "civil-affairs.minimum_living",
        "最低生活保障信息",
        "Minimum living allowance",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="monthly",
        items=fields(MINIMUM_LIVING, META),
        description="城乡居民最低生活保障对象及保障金发放信息。",
    ),
    resource(
        "civil-affairs.disability_subsidy",
        "残疾人两项补贴信息",
        "Disability subsidies",
        share="conditional",
        condition=CONDITION_SOCIAL,
        cycle="monthly",
        items=fields(DISABILITY, META),
        description="困难残疾人生活补贴和重度残疾人护理补贴的发放信息。",
    ),
    resource(
        "civil-affairs.social_organization",
        "社会组织登记信息",
        "Social organisation registration",
        share="unconditional",
        subject="enterprise",
        cycle="daily",
        items=fields(SOCIAL_ORG, META),
        description="社会团体、社会服务机构和基金会的登记、年检和评估信息。",
        open_type="unconditional",
    ),
]
