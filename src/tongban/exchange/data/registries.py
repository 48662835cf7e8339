"""Records of the local registries about the demo people and enterprises.

Values agree with ``tongban.demo.data.people`` (names, numbers, addresses, legal
representatives), so what the exchange returns matches what the applicant
would have copied from their own papers.
"""

# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from typing import Any

from tongban.demo.data.people import ENTERPRISES, PEOPLE

UPDATED = "2026-01-05T09:00:00+08:00"

#: Facts about the demo people that the identity app does not hold.
PERSON_FACTS: dict[str, dict[str, Any]] = {
    "张伟": {
        "ethnicity": "汉族",
        "birth_place": "上海市嘉定区",
        "native_place": "上海市嘉定区",
        "household_address": "上海市嘉定区新成路街道塔城路288弄5号302室",
        "household_no": "310114056783",
        "relation_to_head": "户主",
        "head_of_household": "张伟",
        "education": "大学本科",
        "marital_status": "已婚",
        "military_service": "未服兵役",
        "employer": "上海嘉定新城建设发展有限公司",
        "occupation": "工程技术人员",
        "height_cm": 176,
        "blood_type": "A",
        "moved_in_on": "2016-09-20",
        "moved_in_from": "上海市嘉定区嘉定镇街道",
        "moved_in_reason": "购房",
        "police_station": "上海市公安局嘉定分局新成路派出所",
        "community": "新成路街道塔城居委会",
        "spouse": "周婷",
        "first_insured_on": "2010-07-01",
        "contribution_base": 12000,
        "household_kind": "本市城镇",
    },
    "李娜": {
        "ethnicity": "汉族",
        "birth_place": "江苏省昆山市",
        "native_place": "江苏省昆山市",
        "household_address": "江苏省昆山市玉山镇朝阳东路108号",
        "household_no": "320583104422",
        "relation_to_head": "女",
        "head_of_household": "李国平",
        "education": "大学本科",
        "marital_status": "未婚",
        "military_service": "未服兵役",
        "employer": "上海汇嘉医药连锁有限公司",
        "occupation": "药学技术人员",
        "height_cm": 163,
        "blood_type": "O",
        "moved_in_on": "1992-07-20",
        "moved_in_from": "出生登记",
        "moved_in_reason": "出生",
        "police_station": "昆山市公安局玉山派出所",
        "community": "玉山镇朝阳社区",
        "spouse": "",
        "first_insured_on": "2016-08-01",
        "contribution_base": 9800,
        "household_kind": "外省市城镇",
    },
    "王芳": {
        "ethnicity": "汉族",
        "birth_place": "上海市嘉定区",
        "native_place": "浙江省绍兴市",
        "household_address": "上海市嘉定区嘉定镇街道清河路66弄3号201室",
        "household_no": "310114031156",
        "relation_to_head": "配偶",
        "head_of_household": "孙立新",
        "education": "大学专科",
        "marital_status": "已婚",
        "military_service": "未服兵役",
        "employer": "上海嘉通餐饮管理有限公司",
        "occupation": "企业负责人",
        "height_cm": 160,
        "blood_type": "B",
        "moved_in_on": "2011-05-16",
        "moved_in_from": "上海市嘉定区南翔镇",
        "moved_in_reason": "婚姻迁入",
        "police_station": "上海市公安局嘉定分局嘉定镇派出所",
        "community": "嘉定镇街道清河路居委会",
        "spouse": "孙立新",
        "first_insured_on": "2006-03-01",
        "contribution_base": 15000,
        "household_kind": "本市城镇",
    },
    "陈建国": {
        "ethnicity": "汉族",
        "birth_place": "上海市嘉定区",
        "native_place": "上海市嘉定区",
        "household_address": "上海市嘉定区南翔镇古猗园路200弄8号101室",
        "household_no": "310114020031",
        "relation_to_head": "户主",
        "head_of_household": "陈建国",
        "education": "高中",
        "marital_status": "已婚",
        "military_service": "退出现役",
        "employer": "上海汇嘉医药连锁有限公司",
        "occupation": "企业负责人",
        "height_cm": 172,
        "blood_type": "AB",
        "moved_in_on": "1998-04-02",
        "moved_in_from": "上海市嘉定区南翔镇",
        "moved_in_reason": "动迁安置",
        "police_station": "上海市公安局嘉定分局南翔派出所",
        "community": "南翔镇古猗园居委会",
        "spouse": "沈美华",
        "first_insured_on": "1993-01-01",
        "contribution_base": 18000,
        "household_kind": "本市城镇",
    },
    "刘洋": {
        "ethnicity": "回族",
        "birth_place": "上海市嘉定区",
        "native_place": "上海市嘉定区",
        "household_address": "上海市嘉定区江桥镇金沙江西路1555弄21号602室",
        "household_no": "310114077319",
        "relation_to_head": "户主",
        "head_of_household": "刘洋",
        "education": "研究生",
        "marital_status": "未婚",
        "military_service": "未服兵役",
        "employer": "上海嘉定新城建设发展有限公司",
        "occupation": "企业负责人",
        "height_cm": 181,
        "blood_type": "O",
        "moved_in_on": "2019-12-03",
        "moved_in_from": "上海市嘉定区马陆镇",
        "moved_in_reason": "购房",
        "police_station": "上海市公安局嘉定分局江桥派出所",
        "community": "江桥镇金沙江西路居委会",
        "spouse": "",
        "first_insured_on": "2015-07-01",
        "contribution_base": 20000,
        "household_kind": "本市城镇",
    },
    "赵敏": {
        "ethnicity": "汉族",
        "birth_place": "上海市徐汇区",
        "native_place": "上海市徐汇区",
        "household_address": "上海市徐汇区漕溪北路398弄6号1202室",
        "household_no": "310104052271",
        "relation_to_head": "户主",
        "head_of_household": "赵敏",
        "education": "研究生",
        "marital_status": "离婚",
        "military_service": "未服兵役",
        "employer": "上海疁城文化传播有限公司",
        "occupation": "企业负责人",
        "height_cm": 165,
        "blood_type": "A",
        "moved_in_on": "2008-10-10",
        "moved_in_from": "上海市徐汇区枫林路街道",
        "moved_in_reason": "购房",
        "police_station": "上海市公安局徐汇分局漕河泾派出所",
        "community": "漕河泾街道漕溪北路居委会",
        "spouse": "",
        "first_insured_on": "2004-09-01",
        "contribution_base": 16000,
        "household_kind": "本市城镇",
    },
}

#: Facts about the demo enterprises that the identity app does not hold.
ENTERPRISE_FACTS: dict[str, dict[str, Any]] = {
    "上海嘉通餐饮管理有限公司": {
        "company_type": "有限责任公司（自然人投资或控股）",
        "registered_capital": 100,
        "business_scope": "许可项目：餐饮服务；食品销售。一般项目：餐饮管理；食品销售（仅销售预包装食品）；外卖递送服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        "industry_code": "H6210",
        "industry_name": "住宿和餐饮业",
        "employees": 23,
        "phone": "021-59521380",
        "shareholders": [("王芳", 60.0), ("孙立新", 40.0)],
        "taxpayer_type": "小规模纳税人",
        "tax_level": "A",
        "floor_area": 186.5,
        "property_use": "商业",
    },
    "上海汇嘉医药连锁有限公司": {
        "company_type": "有限责任公司（自然人独资）",
        "registered_capital": 500,
        "business_scope": "许可项目：药品零售；第三类医疗器械经营；食品销售。一般项目：第二类医疗器械销售；保健食品（预包装）销售；化妆品零售。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        "industry_code": "F5251",
        "industry_name": "批发和零售业",
        "employees": 48,
        "phone": "021-39126655",
        "shareholders": [("陈建国", 100.0)],
        "taxpayer_type": "增值税一般纳税人",
        "tax_level": "B",
        "floor_area": 420.0,
        "property_use": "商业",
    },
    "上海嘉定新城建设发展有限公司": {
        "company_type": "有限责任公司（国有控股）",
        "registered_capital": 50000,
        "business_scope": "一般项目：房地产开发经营；城市基础设施建设；土地整理；物业管理；停车场服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        "industry_code": "K7010",
        "industry_name": "房地产业",
        "employees": 156,
        "phone": "021-69989100",
        "shareholders": [("上海市嘉定区国有资产监督管理委员会", 70.0), ("刘洋", 30.0)],
        "taxpayer_type": "增值税一般纳税人",
        "tax_level": "A",
        "floor_area": 3200.0,
        "property_use": "办公",
    },
    "上海疁城文化传播有限公司": {
        "company_type": "有限责任公司（自然人投资或控股）",
        "registered_capital": 300,
        "business_scope": "许可项目：营业性演出；演出经纪；网络文化经营。一般项目：组织文化艺术交流活动；会议及展览服务；文艺创作。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        "industry_code": "R8870",
        "industry_name": "文化、体育和娱乐业",
        "employees": 12,
        "phone": "021-59906618",
        "shareholders": [("赵敏", 80.0), ("刘洋", 20.0)],
        "taxpayer_type": "小规模纳税人",
        "tax_level": "B",
        "floor_area": 260.0,
        "property_use": "办公",
    },
}

GENDER = {"male": "男", "female": "女"}
MARKET_AUTHORITY = "上海市嘉定区市场监督管理局"
TAX_AUTHORITY = "国家税务总局上海市嘉定区税务局"


def _meta(source: str) -> dict[str, Any]:
    return {"data_source": source, "record_updated_at": UPDATED, "record_status": "有效"}


def _birth(id_number: str) -> str:
    return f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"


def _person_records(person: dict[str, Any]) -> list[dict[str, Any]]:
    facts = PERSON_FACTS[person["name"]]
    number = person["id_number"]
    name = person["name"]
    gender = GENDER[person["gender"]]
    local = number.startswith("31")
    key = {"name": name, "id_number": number, "gender": gender, "birth_date": _birth(number)}
    records: list[dict[str, Any]] = [
        {
            "resource": "police.population",
            "data": {
                **key,
                "former_names": "",
                "ethnicity": facts["ethnicity"],
                "birth_place": facts["birth_place"],
                "native_place": facts["native_place"],
                "household_address": facts["household_address"],
                "household_no": facts["household_no"],
                "household_type": "家庭户",
                "relation_to_head": facts["relation_to_head"],
                "head_of_household": facts["head_of_household"],
                "education": facts["education"],
                "marital_status": facts["marital_status"],
                "military_service": facts["military_service"],
                "employer": facts["employer"],
                "occupation": facts["occupation"],
                "height_cm": facts["height_cm"],
                "blood_type": facts["blood_type"],
                "moved_in_on": facts["moved_in_on"],
                "moved_in_from": facts["moved_in_from"],
                "moved_in_reason": facts["moved_in_reason"],
                "police_station": facts["police_station"],
                "street_community": facts["community"],
                "registration_status": "正常",
                **_meta("公安人口管理信息系统"),
            },
        },
        {
            "resource": "police.resident_id",
            "data": {
                **key,
                "ethnicity": facts["ethnicity"],
                "id_address": facts["household_address"],
                "issuing_authority": _issuing_authority(facts["police_station"]),
                "id_valid_from": "2018-05-10",
                "id_valid_until": "2038-05-10",
                "card_status": "有效",
                "card_version": "第二代居民身份证",
                **_meta("居民身份证管理系统"),
            },
        },
        {
            "resource": "police.household",
            "data": {
                "household_no": facts["household_no"],
                "household_type": "家庭户",
                "head_of_household": facts["head_of_household"],
                "household_address": facts["household_address"],
                "police_station": facts["police_station"],
                "name": name,
                "id_number": number,
                "relation_to_head": facts["relation_to_head"],
                "former_names": "",
                "gender": gender,
                "birth_date": _birth(number),
                "ethnicity": facts["ethnicity"],
                "birth_place": facts["birth_place"],
                "native_place": facts["native_place"],
                "education": facts["education"],
                "marital_status": facts["marital_status"],
                "employer": facts["employer"],
                "moved_in_on": facts["moved_in_on"],
                **_meta("公安人口管理信息系统"),
            },
        },
        {
            "resource": "realestate.family_housing",
            "data": {
                "name": name,
                "id_number": number,
                "query_scope": "本人、配偶及未成年子女",
                "housing_count": 1 if name in ("张伟", "陈建国", "赵敏", "刘洋") else 0,
                "residential_area_total": {
                    "张伟": 89.6,
                    "陈建国": 102.3,
                    "赵敏": 76.4,
                    "刘洋": 95.2,
                }.get(name, 0),
                "is_first_home": name not in ("张伟", "陈建国", "赵敏", "刘洋"),
                "housing_in_shanghai": "一套"
                if name in ("张伟", "陈建国", "赵敏", "刘洋")
                else "无房",
                "query_certificate_no": f"JDCX2026{number[-6:]}",
                "queried_on": "2026-01-05",
                **_meta("不动产登记信息管理基础平台"),
            },
        },
        {
            "resource": "hrss.social_insurance",
            "data": {
                "name": name,
                "id_number": number,
                "insurance_number": number,
                "insured_unit": facts["employer"],
                "insurance_types": ["养老保险", "失业保险", "工伤保险"],
                "insured_status": "正常参保",
                "first_insured_on": facts["first_insured_on"],
                "contribution_base": facts["contribution_base"],
                "latest_contribution_month": "202512",
                "consecutive_months": 36 if name == "李娜" else 60,
                "cumulative_months": _months_since(facts["first_insured_on"]),
                "months_last_24": 24,
                "arrears_flag": False,
                "household_type": facts["household_kind"],
                **_meta("上海市社会保险信息系统"),
            },
        },
        {
            "resource": "hrss.insurance_registration",
            "data": {
                "name": name,
                "id_number": number,
                "insurance_number": number,
                "insured_unit": facts["employer"],
                "insurance_types": ["养老保险", "失业保险", "工伤保险"],
                "insured_on": facts["first_insured_on"],
                "insured_status": "正常参保",
                "person_category": "在职职工",
                "employment_form": "劳动合同",
                "card_status": "正常",
                **_meta("上海市社会保险信息系统"),
            },
        },
        {
            "resource": "hrss.pension_contribution",
            "data": {
                "name": name,
                "id_number": number,
                "insurance_number": number,
                "insured_unit": facts["employer"],
                "contribution_month": "202512",
                "contribution_base": facts["contribution_base"],
                "unit_rate": 16,
                "personal_rate": 8,
                "unit_contribution": round(facts["contribution_base"] * 0.16, 2),
                "personal_contribution": round(facts["contribution_base"] * 0.08, 2),
                "paid_on": "2025-12-15",
                "payment_type": "正常应缴",
                "arrears_flag": False,
                "cumulative_months": _months_since(facts["first_insured_on"]),
                **_meta("上海市社会保险信息系统"),
            },
        },
        {
            "resource": "hrss.employment_record",
            "data": {
                "name": name,
                "id_number": number,
                "gender": gender,
                "education": facts["education"],
                "employment_status": "就业",
                "employer_name": facts["employer"],
                "employer_uscc": _uscc_of(facts["employer"]),
                "contract_type": "无固定期限" if name in ("陈建国", "王芳") else "固定期限",
                "contract_from": facts["first_insured_on"],
                "employment_registered_on": facts["first_insured_on"],
                **_meta("上海市就业管理信息系统"),
            },
        },
        {
            "resource": "medical-insurance.enrolment",
            "data": {
                "name": name,
                "id_number": number,
                "insurance_number": number,
                "insurance_category": "职工医保",
                "insured_status": "参保缴费",
                "insured_unit": facts["employer"],
                "insured_on": facts["first_insured_on"],
                "insured_region": "上海市",
                "person_category": "在职",
                "cumulative_years": round(_months_since(facts["first_insured_on"]) / 12, 1),
                "payment_status": "正常",
                "insurance_certificate_no": f"YB310114{number[-8:]}",
                **_meta("上海市医疗保障信息平台"),
            },
        },
        {
            "resource": "tax.payment_record",
            "data": {
                "taxpayer_id": number,
                "taxpayer_name": name,
                "tax_authority": TAX_AUTHORITY,
                "certificate_no": f"(251)沪个证{number[-7:]}",
                "tax_type": "个人所得税",
                "tax_item": "工资薪金所得",
                "period_from": "2025-01-01",
                "period_to": "2025-12-31",
                "tax_amount": round(facts["contribution_base"] * 12 * 0.04, 2),
                "paid_on": "2026-01-15",
                **_meta("金税工程个人所得税系统"),
            },
        },
    ]
    if facts["spouse"] or facts["marital_status"] == "离婚":
        male = person["gender"] == "male"
        records.append(
            {
                "resource": "civil-affairs.marriage",
                "data": {
                    "registration_type": "离婚登记"
                    if facts["marital_status"] == "离婚"
                    else "结婚登记",
                    "certificate_no": f"J310114-2015-{number[-6:]}",
                    "registered_on": "2015-10-08",
                    "registration_office": "上海市嘉定区民政局婚姻登记处",
                    "male_name": name if male else (facts["spouse"] or "郑浩"),
                    "male_id_number": number if male else "",
                    "male_nationality": "中国",
                    "female_name": (facts["spouse"] or "") if male else name,
                    "female_id_number": "" if male else number,
                    "female_nationality": "中国",
                    "spouse_name": facts["spouse"],
                    "current_status": facts["marital_status"],
                    **_meta("全国婚姻登记信息系统"),
                },
            }
        )
    if not local:
        records.append(
            {
                "resource": "police.residence_permit",
                "data": {
                    "name": name,
                    "id_number": number,
                    "gender": gender,
                    "permit_no": f"3101140{number[-8:]}",
                    "residential_address": person["address"],
                    "residence_basis": "合法稳定就业",
                    "permit_issued_on": "2023-03-02",
                    "permit_valid_until": "2026-03-01",
                    "sign_count": 2,
                    "last_signed_on": "2025-03-01",
                    "points": 96,
                    "police_station": "上海市公安局嘉定分局安亭派出所",
                    **_meta("上海市实有人口管理系统"),
                },
            }
        )
        records.append(
            {
                "resource": "housing.lease_filing",
                "data": {
                    "filing_no": f"嘉租备2024{number[-6:]}",
                    "property_address": "上海市嘉定区安亭镇墨玉南路1018弄12号503室",
                    "property_certificate_no": "沪(2018)嘉字不动产权第031877号",
                    "lessor_name": "沈国强",
                    "lessee_name": name,
                    "lessee_id_number": number,
                    "lease_area": 58.3,
                    "lease_use": "居住",
                    "monthly_rent": 3800,
                    "lease_from": "2024-09-01",
                    "lease_to": "2026-08-31",
                    "filed_on": "2024-09-05",
                    "filing_status": "有效",
                    **_meta("上海市房屋租赁管理系统"),
                },
            }
        )
    owned = {
        "张伟": (
            "上海市嘉定区新成路街道塔城路288弄5号302室",
            89.6,
            "沪(2016)嘉字不动产权第018823号",
            3,
        ),
        "陈建国": (
            "上海市嘉定区南翔镇古猗园路200弄8号101室",
            102.3,
            "沪(2009)嘉字不动产权第004417号",
            1,
        ),
        "赵敏": ("上海市徐汇区漕溪北路398弄6号1202室", 76.4, "沪(2008)徐字不动产权第021356号", 12),
        "刘洋": (
            "上海市嘉定区江桥镇金沙江西路1555弄21号602室",
            95.2,
            "沪(2019)嘉字不动产权第052290号",
            6,
        ),
    }
    if name in owned:
        address, area, certificate, floor = owned[name]
        records.append(
            {
                "resource": "realestate.property_right",
                "data": {
                    "property_certificate_no": certificate,
                    "property_unit_no": f"310114{number[-6:]}GB00001F0001",
                    "holder_name": name,
                    "holder_id_type": "居民身份证",
                    "holder_id_number": number,
                    "co_ownership": "共同共有" if facts["spouse"] else "单独所有",
                    "property_address": address,
                    "right_type": "国有建设用地使用权/房屋所有权",
                    "right_nature": "出让/市场化商品房",
                    "property_use": "住宅",
                    "land_use_term": "2004年1月1日起至2073年12月31日止",
                    "property_area": area,
                    "floor": str(floor),
                    "total_floors": 18 if name != "陈建国" else 6,
                    "structure": "钢混",
                    "registered_on": facts["moved_in_on"],
                    "registration_type": "转移登记",
                    "mortgaged": name == "张伟",
                    "seized": False,
                    "registration_authority": "上海市嘉定区不动产登记事务中心"
                    if "嘉定" in address
                    else "上海市徐汇区不动产登记事务中心",
                    **_meta("不动产登记信息管理基础平台"),
                },
            }
        )
    if name == "张伟":
        records.extend(_zhang_wei_extras(person, facts))
    if name == "刘洋":
        records.append(
            {
                "resource": "transport.driver_qualification",
                "data": {
                    "name": name,
                    "id_number": number,
                    "gender": gender,
                    "certificate_no": number,
                    "qualification_category": "道路货物运输驾驶员",
                    "employer": "上海嘉定新城建设发展有限公司",
                    "vehicle_classes": "B2",
                    "first_issued_on": "2014-06-20",
                    "valid_until": "2030-06-19",
                    "integrity_rating": "AA",
                    "issuer": "上海市嘉定区交通委员会",
                    **_meta("道路运输从业人员管理系统"),
                },
            }
        )
    if name == "赵敏":
        records.append(
            {
                "resource": "health.physician_qualification",
                "data": {
                    "name": name,
                    "id_number": number,
                    "gender": gender,
                    "birth_date": _birth(number),
                    "qualification_no": f"20033110{number[-7:]}",
                    "qualification_level": "执业医师",
                    "qualification_category": "临床",
                    "graduated_school": "复旦大学上海医学院",
                    "major": "临床医学",
                    "education": "研究生",
                    "exam_year": 2003,
                    "issued_on": "2003-12-30",
                    "issuer": "中华人民共和国国家卫生和计划生育委员会",
                    **_meta("医师资格考试信息系统"),
                },
            }
        )
    for record in records:
        record["subject"] = number
    return records


def _zhang_wei_extras(person: dict[str, Any], facts: dict[str, Any]) -> list[dict[str, Any]]:
    number = person["id_number"]
    contract = {
        "contract_no": "JD2026000317",
        "contract_type": "存量房买卖合同",
        "property_address": "上海市嘉定区南翔镇民主街118弄2号401室",
        "property_unit_no": "310114007003GB00021F0401",
        "property_certificate_no": "沪(2012)嘉字不动产权第009126号",
        "property_area": 72.8,
        "property_use": "住宅",
        "seller_name": "陈建国",
        "seller_id_number": PEOPLE[3]["id_number"],
        "buyer_name": "张伟",
        "buyer_id_number": number,
        "price": 3_150_000,
        "payment_method": "贷款付款",
        "fund_supervised": True,
        "agency_name": "上海嘉房房地产经纪有限公司",
        "signed_on": "2026-01-04",
        "filed_on": "2026-01-04",
        "contract_status": "已备案",
        **_meta("上海市房地产交易管理系统"),
    }
    return [
        {"resource": "housing.transaction_contract", "data": contract},
        {
            "resource": "tax.property_tax_receipt",
            "data": {
                "taxpayer_id": number,
                "taxpayer_name": "张伟",
                "contract_no": contract["contract_no"],
                "property_address": contract["property_address"],
                "property_area": contract["property_area"],
                "declared_price": 3_150_000,
                "deed_tax": 94_500,
                "deed_tax_rate": 3,
                "stamp_duty": 0,
                "tax_relief": "家庭第二套改善性住房，面积90平方米及以下，按1%/3%",
                "receipt_no": "(251)沪契证26000317",
                "paid_on": "2026-01-06",
                **_meta("金税工程房地产交易税收系统"),
            },
        },
        {
            "resource": "realestate.mortgage",
            "data": {
                "property_certificate_no": "沪(2016)嘉字不动产权第018823号",
                "property_address": "上海市嘉定区新成路街道塔城路288弄5号302室",
                "mortgage_certificate_no": "沪(2016)嘉字不动产证明第011502号",
                "mortgagee": "中国建设银行股份有限公司上海嘉定支行",
                "mortgagor": "张伟",
                "debtor": "张伟",
                "mortgage_type": "一般抵押",
                "secured_amount": 120,
                "debt_term_from": "2016-09-18",
                "debt_term_to": "2046-09-17",
                "registered_on": "2016-09-22",
                "mortgage_status": "有效",
                **_meta("不动产登记信息管理基础平台"),
            },
        },
        {
            "resource": "police.driving_licences",
            "data": {
                "name": "张伟",
                "id_number": number,
                "gender": "男",
                "licence_no": number,
                "file_no": "310011887564",
                "vehicle_classes": "C1",
                "first_issued_on": "2009-08-14",
                "valid_from": "2021-08-14",
                "valid_until": "2031-08-14",
                "points": 0,
                "licence_status": "正常",
                "issuer": "上海市公安局交通警察总队",
                **_meta("公安交通管理综合应用平台"),
            },
        },
        {
            "resource": "police.vehicles",
            "data": {
                "name": "张伟",
                "id_number": number,
                "plate_no": "沪AD·58231",
                "plate_type": "新能源小型车",
                "vehicle_type": "小型轿车",
                "brand_model": "比亚迪牌BYD7005BEV",
                "vin": "LGXCE4CB8N0123456",
                "color": "白",
                "use_nature": "非营运",
                "fuel_type": "纯电动",
                "seats": 5,
                "registered_on": "2022-05-30",
                "inspection_valid_until": "2028-05-31",
                "vehicle_status": "正常",
                "mortgaged": False,
                **_meta("公安交通管理综合应用平台"),
            },
        },
        {
            "resource": "housing.provident_fund",
            "data": {
                "name": "张伟",
                "id_number": number,
                "employer": facts["employer"],
                "deposit_base": facts["contribution_base"],
                "deposit_rate": 7,
                "monthly_deposit": round(facts["contribution_base"] * 0.14, 2),
                "account_status": "正常",
                "opened_on": facts["first_insured_on"],
                "last_paid_month": "202512",
                "loan_flag": True,
                **_meta("上海市公积金管理信息系统"),
            },
        },
    ]


def _issuing_authority(police_station: str) -> str:
    """The bureau above a police station: 上海市公安局嘉定分局, 昆山市公安局 …"""
    if "分局" in police_station:
        return police_station.split("分局")[0] + "分局"
    return police_station.split("局")[0] + "局"


def _months_since(start: str) -> int:
    first = dt.date.fromisoformat(start)
    return (2025 - first.year) * 12 + (12 - first.month) + 1


def _uscc_of(name: str) -> str:
    for enterprise in ENTERPRISES:
        if enterprise["name"] == name:
            return str(enterprise["uscc"])
    return ""


def _enterprise_records(enterprise: dict[str, Any]) -> list[dict[str, Any]]:
    facts = ENTERPRISE_FACTS[enterprise["name"]]
    uscc = enterprise["uscc"]
    name = enterprise["name"]
    established: dt.date = enterprise["established_on"]
    key = {
        "uscc": uscc,
        "company_name": name,
        "company_type": facts["company_type"],
        "legal_representative": enterprise["legal_representative"],
    }
    main_holder, main_ratio = facts["shareholders"][0]
    records: list[dict[str, Any]] = [
        {
            "resource": "market.business_licence",
            "data": {
                **key,
                "registered_capital": facts["registered_capital"],
                "capital_currency": "人民币",
                "established_on": established.isoformat(),
                "business_term_from": established.isoformat(),
                "business_term_to": None,
                "registration_authority": MARKET_AUTHORITY,
                "business_address": enterprise["address"],
                "business_scope": facts["business_scope"],
                "approved_on": "2024-03-18",
                "registration_status": "存续（在营、开业、在册）",
                "industry_code": facts["industry_code"],
                "industry_name": facts["industry_name"],
                "organization_code": uscc[8:17],
                "region_code": "310114",
                "enterprise_category": "内资企业",
                "contact_phone": facts["phone"],
                "postal_code": "201800",
                "employee_count": facts["employees"],
                **_meta("上海市市场主体登记管理系统"),
            },
        },
        {
            "resource": "market.annual_report",
            "data": {
                "uscc": uscc,
                "company_name": name,
                "report_year": 2024,
                "reported_on": "2025-05-20",
                "business_status": "开业",
                "employee_count": facts["employees"],
                "has_website": False,
                "has_investment": False,
                "has_guarantee": False,
                "equity_transferred": False,
                "social_insurance_count": facts["employees"],
                "abnormal_flag": False,
                **_meta("国家企业信用信息公示系统"),
            },
        },
        {
            "resource": "market.shareholders",
            "data": {
                "uscc": uscc,
                "company_name": name,
                "shareholder_name": main_holder,
                "shareholder_type": "自然人股东" if len(main_holder) <= 4 else "企业法人",
                "subscribed_capital": round(facts["registered_capital"] * main_ratio / 100, 2),
                "subscribed_method": "货币",
                "share_ratio": main_ratio,
                "nationality": "中国",
                "is_controller": True,
                **_meta("上海市市场主体登记管理系统"),
            },
        },
        {
            "resource": "tax.taxpayer_registration",
            "data": {
                "taxpayer_id": uscc,
                "taxpayer_name": name,
                "uscc": uscc,
                "legal_representative": enterprise["legal_representative"],
                "taxpayer_type": facts["taxpayer_type"],
                "registration_type": facts["company_type"],
                "industry_name": facts["industry_name"],
                "tax_authority": TAX_AUTHORITY,
                "registered_on": established.isoformat(),
                "accounting_method": "独立核算",
                "business_address": enterprise["address"],
                "taxpayer_status": "正常",
                "invoice_types": ["增值税电子普通发票", "增值税电子专用发票"],
                "invoice_monthly_limit": 100,
                **_meta("金税工程核心征管系统"),
            },
        },
        {
            "resource": "tax.payment_record",
            "data": {
                "taxpayer_id": uscc,
                "taxpayer_name": name,
                "tax_authority": TAX_AUTHORITY,
                "tax_type": "增值税",
                "tax_item": "销售服务",
                "period_from": "2025-10-01",
                "period_to": "2025-12-31",
                "tax_amount": round(facts["employees"] * 2150.0, 2),
                "paid_on": "2026-01-15",
                "total_paid_last_12_months": round(facts["employees"] * 9300.0, 2),
                **_meta("金税工程核心征管系统"),
            },
        },
        {
            "resource": "tax.credit_rating",
            "data": {
                "taxpayer_id": uscc,
                "taxpayer_name": name,
                "evaluation_year": 2024,
                "credit_level": facts["tax_level"],
                "score": 95 if facts["tax_level"] == "A" else 82,
                "evaluated_on": "2025-04-15",
                "major_violation": False,
                "repaired": False,
                "tax_authority": TAX_AUTHORITY,
                **_meta("纳税信用管理系统"),
            },
        },
        {
            "resource": "realestate.property_right",
            "data": {
                "property_certificate_no": f"沪({established.year})嘉字不动产权第{uscc[10:16].translate(_DIGITS)}号",
                "property_unit_no": f"310114{uscc[10:16].translate(_DIGITS)}GB00001F0002",
                "holder_name": name,
                "holder_id_type": "统一社会信用代码",
                "holder_id_number": uscc,
                "co_ownership": "单独所有",
                "property_address": enterprise["address"],
                "right_type": "国有建设用地使用权/房屋所有权",
                "right_nature": "出让/市场化商品房",
                "property_use": facts["property_use"],
                "land_use_term": "2003年6月1日起至2043年5月31日止",
                "property_area": facts["floor_area"],
                "structure": "钢混",
                "registered_on": established.isoformat(),
                "registration_type": "转移登记",
                "mortgaged": False,
                "seized": False,
                "registration_authority": "上海市嘉定区不动产登记事务中心",
                **_meta("不动产登记信息管理基础平台"),
            },
        },
    ]
    if name == "上海嘉通餐饮管理有限公司":
        records.extend(
            [
                {
                    "resource": "health.staff_health_certificate",
                    "data": {
                        "uscc": uscc,
                        "company_name": name,
                        "certificate_count": 21,
                        "holders": [
                            {
                                "name": "王芳",
                                "certificate_no": "JDJK2025-08812",
                                "valid_until": "2026-08-30",
                            },
                            {
                                "name": "徐磊",
                                "certificate_no": "JDJK2025-08813",
                                "valid_until": "2026-08-30",
                            },
                            {
                                "name": "黄晓梅",
                                "certificate_no": "JDJK2025-09107",
                                "valid_until": "2026-09-12",
                            },
                        ],
                        "examination_institution": "上海市嘉定区疾病预防控制中心",
                        "latest_examined_on": "2025-09-12",
                        "earliest_expiry": "2026-08-30",
                        "industry": "食品",
                        **_meta("从业人员健康管理系统"),
                    },
                },
                {
                    "resource": "fire.safety_inspection",
                    "data": {
                        "uscc": uscc,
                        "company_name": name,
                        "venue_name": "嘉通餐厅（城中路店）",
                        "business_address": enterprise["address"],
                        "building_area": facts["floor_area"],
                        "use_nature": "餐饮",
                        "inspection_type": "告知承诺后核查",
                        "document_no": "沪嘉消安检字〔2019〕第0412号",
                        "inspected_on": "2019-07-02",
                        "inspection_result": "合格",
                        "commitment_based": True,
                        "issued_on": "2019-07-03",
                        **_meta("消防监督管理系统"),
                    },
                },
                {
                    "resource": "market.food_inspection",
                    "data": {
                        **key,
                        "inspection_type": "日常监督检查",
                        "inspected_on": "2025-11-18",
                        "inspection_result": "符合",
                        "risk_level": "B",
                        "rectification_required": False,
                        "inspector_unit": "嘉定区市场监管局嘉定镇市场监管所",
                        "smiley_rating": "良好（微笑）",
                        **_meta("食品安全智慧监管平台"),
                    },
                },
            ]
        )
    if name == "上海汇嘉医药连锁有限公司":
        lina = PEOPLE[1]
        records.append(
            {
                "resource": "market.pharmacist_registration",
                "data": {
                    "uscc": uscc,
                    "company_name": name,
                    "pharmacist_name": lina["name"],
                    "pharmacist_id_number": lina["id_number"],
                    "pharmacist_registration_no": "31201807000215",
                    "qualification_no": "2017032031000123",
                    "practice_category": "药学",
                    "practice_scope": "药品经营",
                    "practice_unit": name,
                    "registered_on": "2023-07-10",
                    "registration_valid_until": "2028-07-09",
                    "continuing_education": True,
                    "pharmacists": [
                        {
                            "name": lina["name"],
                            "registration_no": "31201807000215",
                            "valid_until": "2028-07-09",
                        },
                        {
                            "name": "许文静",
                            "registration_no": "31201905000877",
                            "valid_until": "2029-05-20",
                        },
                    ],
                    **_meta("执业药师注册管理系统"),
                },
            }
        )
    if name == "上海嘉定新城建设发展有限公司":
        records.extend(_project_records(enterprise))
    if name == "上海疁城文化传播有限公司":
        records.extend(
            [
                {
                    "resource": "culture.performance_agency_licence",
                    "data": {
                        "uscc": uscc,
                        "company_name": name,
                        "legal_representative": enterprise["legal_representative"],
                        "licence_no": "310114120021",
                        "agency_type": "演出经纪机构",
                        "business_scope": "演出经纪、演出组织、演出制作、演出营销",
                        "business_address": enterprise["address"],
                        "certified_brokers": 3,
                        "issued_on": "2021-06-15",
                        "issuer": "上海市嘉定区文化和旅游局",
                        **_meta("全国文化市场技术监管与服务平台"),
                    },
                },
                {
                    "resource": "fire.safety_inspection",
                    "data": {
                        "uscc": uscc,
                        "company_name": name,
                        "venue_name": "疁城小剧场",
                        "business_address": enterprise["address"],
                        "building_area": facts["floor_area"],
                        "use_nature": "娱乐",
                        "inspection_type": "营业前检查",
                        "document_no": "沪嘉消安检字〔2021〕第0733号",
                        "inspected_on": "2021-05-20",
                        "inspection_result": "合格",
                        "commitment_based": False,
                        "issued_on": "2021-05-24",
                        **_meta("消防监督管理系统"),
                    },
                },
            ]
        )
    for record in records:
        record["subject"] = uscc
    return records


#: Letters in a USCC's organisation part become digits in a made-up certificate number.
_DIGITS = str.maketrans({chr(ord("A") + i): str(i % 10) for i in range(26)})


def _project_records(enterprise: dict[str, Any]) -> list[dict[str, Any]]:
    uscc = enterprise["uscc"]
    name = enterprise["name"]
    project = {
        "project_name": "嘉定新城远香湖东侧社区配套服务中心新建工程",
        "project_code": "2505-310114-04-01-372815",
        "construction_unit": name,
        "construction_unit_uscc": uscc,
        "project_address": "上海市嘉定区嘉定新城D13-2地块（白银路以东、双丁路以南）",
    }
    short = {k: v for k, v in project.items() if k != "construction_unit_uscc"}
    return [
        {
            "resource": "planning.site_selection",
            "data": {
                **project,
                "land_area": 18650.0,
                "land_use": "社区服务用地（Rc）",
                "document_no": "用字第沪嘉规(2025)EA31011420250231号",
                "issued_on": "2025-06-12",
                "valid_until": "2028-06-11",
                "farmland_involved": False,
                **_meta("规划资源业务管理系统"),
            },
        },
        {
            "resource": "planning.land_grant_contract",
            "data": {
                "contract_no": "沪嘉规划资源(2025)出让合同第0057号",
                "parcel_no": "JDXC-D13-2",
                "parcel_location": project["project_address"],
                "grantee": name,
                "grantee_uscc": uscc,
                "land_area": 18650.0,
                "land_use": "社区服务用地",
                "grant_term_years": 50,
                "grant_price": 9325.0,
                "plot_ratio": 2.0,
                "building_density": 40,
                "green_ratio": 20,
                "signed_on": "2025-07-08",
                "delivered_on": "2025-08-01",
                "start_deadline": "2026-02-01",
                "completion_deadline": "2028-08-01",
                **_meta("土地市场管理系统"),
            },
        },
        {
            "resource": "planning.land_use_permit",
            "data": {
                **project,
                "permit_no": "地字第沪嘉地(2025)EA31011420250512号",
                "land_area": 18650.0,
                "land_use": "社区服务用地",
                "building_scale": "地上建筑面积不大于37300平方米",
                "plot_ratio": 2.0,
                "issued_on": "2025-08-20",
                "issuer": "上海市嘉定区规划和自然资源局",
                **_meta("规划资源业务管理系统"),
            },
        },
        {
            "resource": "planning.construction_planning_permit",
            "data": {
                **project,
                "permit_no": "建字第沪嘉建(2025)FA31011420250833号",
                "building_area": 48200.0,
                "above_ground_area": 36900.0,
                "underground_area": 11300.0,
                "building_height": 23.9,
                "building_count": 3,
                "issued_on": "2025-11-06",
                "issuer": "上海市嘉定区规划和自然资源局",
                "design_unit": "上海建筑设计研究院有限公司",
                **_meta("规划资源业务管理系统"),
            },
        },
        {
            "resource": "construction.drawing_review",
            "data": {
                **short,
                "certificate_no": "沪审(2025)嘉0188",
                "building_area": 48200.0,
                "review_agency": "上海建科工程咨询有限公司",
                "design_unit": "上海建筑设计研究院有限公司",
                "review_scope": "建筑、结构、给排水、电气、暖通、消防、人防、节能",
                "review_passed_on": "2025-12-10",
                "fire_review_included": True,
                "civil_defense_included": True,
                **_meta("施工图审查管理系统"),
            },
        },
    ]


def registry_records() -> list[dict[str, Any]]:
    """Every registry record of the demo: ``{resource, subject, data}``."""
    records: list[dict[str, Any]] = []
    for person in PEOPLE:
        records.extend(_person_records(person))
    for enterprise in ENTERPRISES:
        records.extend(_enterprise_records(enterprise))
    return records


def imported_elicences() -> list[dict[str, Any]]:
    """E-licences issued before the platform existed, imported into the library."""
    result: list[dict[str, Any]] = []
    for enterprise in ENTERPRISES:
        facts = ENTERPRISE_FACTS[enterprise["name"]]
        result.append(
            {
                "licence_type": "business-licence",
                "number": enterprise["uscc"],
                "holder_subject": enterprise["uscc"],
                "holder_name": enterprise["name"],
                "issuer": "market",
                "issued_on": dt.date(2024, 3, 18),
                "valid_until": None,
                "data": {
                    "holder_name": enterprise["name"],
                    "uscc": enterprise["uscc"],
                    "company_type": facts["company_type"],
                    "legal_representative": enterprise["legal_representative"],
                    "registered_capital": facts["registered_capital"],
                    "established_on": enterprise["established_on"].isoformat(),
                    "address": enterprise["address"],
                    "business_scope": facts["business_scope"],
                },
            }
        )
    jiatong = ENTERPRISES[0]
    result.append(
        {
            "licence_type": "food-business-licence",
            "number": "JY23101140087521",
            "holder_subject": jiatong["uscc"],
            "holder_name": jiatong["name"],
            "issuer": "market",
            "issued_on": dt.date(2021, 7, 12),
            "valid_until": dt.date(2026, 7, 11),
            "data": {
                "holder_name": jiatong["name"],
                "uscc": jiatong["uscc"],
                "legal_representative": jiatong["legal_representative"],
                "address": jiatong["address"],
                "valid_until": "2026-07-11",
                "main_business_form": "餐饮服务经营者",
                "food_business_items": ["热食类食品制售", "冷食类食品制售", "预包装食品销售"],
                "food_safety_manager": "徐磊",
            },
        }
    )
    return result
