"""Themes (一件事), search synonyms."""

# Guide texts are prose: one string per line reads better than wrapped fragments.
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

THEMES: list[dict[str, Any]] = [
    {
        "code": "open-company",
        "fields": {
            "name": "开办企业",
            "name_en": "Open a company",
            "summary": "一表申请、一窗领取：企业设立登记、公章刻制备案、发票申领一次提交，各部门并行办理，5个工作日内全部办结，印章费用由政府承担。",
            "summary_en": "One form and one window: company registration, seal engraving and invoices are applied for together and handled in parallel, all finished within 5 working days; the seals are paid for by the government.",
            "audience": "enterprise",
            "section": "commerce",
            "promised_limit_days": 5,
            "max_visits": 0,
            "combined_certificate_type": None,
            "on_child_failure": "continue",
            "keywords": "开公司,注册公司,企业开办,开办企业,办执照",
            "order": 1,
        },
        "matters": [
            {"matter": "company-registration", "order": 1, "stage": 1},
            {"matter": "seal-engraving", "order": 2, "stage": 1},
            {"matter": "invoice-application", "order": 3, "stage": 1},
        ],
    },
    {
        "code": "food-drug-licence",
        "fields": {
            "name": "食品药品经营许可",
            "name_en": "Food and drug business licence",
            "summary": "许可一证通：食品经营、药品零售、第二类医疗器械经营备案、第三类医疗器械经营许可、保健食品销售备案一次申请、一并审查，核发一张《食品药品经营许可证》。",
            "summary_en": "One licence for all: food business, drug retail, class II and III medical devices and health food sales are applied for and reviewed together, and one combined Food and Drug Business Licence is issued.",
            "audience": "enterprise",
            "section": "commerce",
            "promised_limit_days": 10,
            "max_visits": 1,
            "combined_certificate_type": "food-drug-combined",
            "on_child_failure": "continue",
            "keywords": "药店,开药店,许可一证通,食品药品,综合许可证",
            "order": 2,
        },
        "matters": [
            {"matter": "food-business-licence", "order": 1, "stage": 1},
            {"matter": "drug-retail-licence", "order": 2, "stage": 1},
            {"matter": "device-2-filing", "order": 3, "stage": 1},
            {"matter": "device-3-licence", "order": 4, "stage": 1},
            {"matter": "health-food-filing", "order": 5, "stage": 1},
        ],
    },
    {
        "code": "property-transfer",
        "fields": {
            "name": "不动产转移登记一件事",
            "name_en": "Property transfer in one go",
            "summary": "房屋交易网签备案、税费申报、不动产转移登记一窗受理：先网签备案，再并行完成纳税和登记（登记以完税为前提），5个工作日领证。",
            "summary_en": "Contract filing, tax declaration and transfer registration at one window: the contract is filed first, then tax and registration follow (registration needs the tax paid); the new certificate is ready in 5 working days.",
            "audience": "both",
            "section": "realestate",
            "promised_limit_days": 5,
            "max_visits": 1,
            "combined_certificate_type": None,
            "on_child_failure": "stop",
            "keywords": "买房,卖房,过户,二手房过户,房产过户",
            "order": 3,
        },
        "matters": [
            {"matter": "housing-transaction", "order": 1, "stage": 1},
            {"matter": "property-tax", "order": 2, "stage": 2},
            {"matter": "property-registration", "order": 3, "stage": 3},
        ],
    },
    {
        "code": "open-restaurant",
        "fields": {
            "name": "开办餐饮店",
            "name_en": "Open a restaurant",
            "summary": "开饭店一件事：食品经营许可、公众聚集场所营业前消防安全检查、排水许可、店招设置一次申请，并联审批。",
            "summary_en": "Open a restaurant: food licence, fire safety inspection, drainage permit and shop sign in one application, reviewed in parallel.",
            "audience": "enterprise",
            "section": "commerce",
            "promised_limit_days": 6,
            "max_visits": 1,
            "combined_certificate_type": None,
            "on_child_failure": "continue",
            "keywords": "开饭店,开餐馆,餐饮店,开饭馆",
            "order": 4,
        },
        "matters": [
            {"matter": "food-business-licence", "order": 1, "stage": 1},
            {"matter": "fire-safety-inspection", "order": 2, "stage": 1},
            {"matter": "drainage-permit", "order": 3, "stage": 1},
            {"matter": "outdoor-advertising", "order": 4, "stage": 1},
        ],
    },
]

#: Words citizens say → space-separated words the catalogue uses.
SYNONYMS: dict[str, str] = {
    "开饭店": "餐饮 食品经营",
    "开餐馆": "餐饮 食品经营",
    "饭店": "餐饮 食品经营",
    "奶茶店": "餐饮 食品经营 自制饮品",
    "营业执照": "企业设立 公司登记 个体工商户",
    "执照": "营业执照 企业设立",
    "开公司": "企业设立 开办企业",
    "药店": "药品零售 药品经营",
    "买房": "不动产 转移登记 房屋交易",
    "卖房": "不动产 转移登记 房屋交易",
    "过户": "不动产 转移登记 房屋交易",
    "房产证": "不动产权证书 不动产登记",
    "盖房子": "施工许可 建筑工程",
    "开工": "施工许可",
    "身份证": "居民身份证",
    "暂住证": "居住证",
    "外地人": "居住证 居住登记",
    "刻章": "公章刻制",
    "发票": "发票申领",
    "理发店": "公共场所卫生许可",
    "美容院": "公共场所卫生许可",
    "演唱会": "营业性演出",
    "网吧": "互联网上网服务营业场所",
    "KTV": "娱乐场所",
    "医保": "医疗保险",
    "社保": "社会保险 社会保障卡",
    "结婚": "结婚登记 婚姻登记",
    "护照": "出入境证件",
    "环评": "环境影响评价",
    "排污水": "排水许可",
    "广告牌": "户外广告",
    "诊所": "医疗机构执业登记",
}
