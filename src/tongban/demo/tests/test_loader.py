"""The demo district as CONTRACT.md promises it; loaded once per module (it takes a while)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from jsonschema import Draft202012Validator

from tongban.catalog.models import (
    Department,
    MaterialRequirement,
    Matter,
    MatterVersion,
    SearchSynonym,
    Section,
    Theme,
)
from tongban.catalog.selectors import matter_search
from tongban.catalog.services import theme_form_schema
from tongban.counter.choices import WindowKind
from tongban.counter.models import CenterSection, NegativeListEntry, Window
from tongban.counter.selectors import center_sections, is_center_window_clerk, windows_staffed_by
from tongban.demo import loader
from tongban.demo.accounts import DEMO_PASSWORD, demo_usernames
from tongban.demo.district import district_read
from tongban.demo.loader import DemoSummary, demo_is_loaded, demo_load
from tongban.demo.tests.expected import SHARED_RESOURCES
from tongban.exchange.models import DataField, DataResource, RegistryRecord
from tongban.identity.models import Enterprise, Person, User
from tongban.identity.selectors import user_enterprises, user_roles, user_staff
from tongban.identity.validators import resident_id_problem, uscc_problem
from tongban.workflow.calendar import SHANGHAI

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DISTRICT = district_read()

DEPARTMENT_CODES = {
    "center": "行政服务中心",
    "market": "市场监管局",
    "tax": "税务局",
    "police": "公安分局",
    "construction": "建管委",
    "development": "发改委",
    "planning": "规划资源局",
    "health": "卫健委",
    "culture": "文旅局",
    "water": "水务局",
    "housing": "房管局",
    "realestate": "不动产登记中心",
    "ecology": "生态环境局",
    "fire": "消防救援支队",
    "civil-defense": "民防办",
    "greening": "绿化市容局",
    "transport": "交通委",
    "hrss": "人社局",
    "civil-affairs": "民政局",
    "medical-insurance": "医保局",
}

SECTION_CODES = {
    "commerce": "商事登记",
    "construction": "投资建设",
    "social": "社会事务",
    "realestate": "不动产登记",
    "innovation": "创新创业",
    "general": "综合办事",
}

NAMED_MATTERS = {
    "company-registration": ("企业设立登记", "market"),
    "seal-engraving": ("公章刻制备案", "police"),
    "invoice-application": ("发票申领", "tax"),
    "food-business-licence": ("食品经营许可", "market"),
    "drug-retail-licence": ("药品零售经营许可", "market"),
    "device-2-filing": ("第二类医疗器械经营备案", "market"),
    "device-3-licence": ("第三类医疗器械经营许可", "market"),
    "health-food-filing": ("保健食品销售备案", "market"),
    "public-place-hygiene": ("公共场所卫生许可", "health"),
    "commercial-performance": ("营业性演出审批", "culture"),
    "drainage-permit": ("排水许可", "water"),
    "construction-permit": ("建筑工程施工许可", "construction"),
    "housing-transaction": ("房屋交易网签备案", "housing"),
    "property-tax": ("不动产交易税费申报", "tax"),
    "property-registration": ("不动产转移登记", "realestate"),
    "residence-permit": ("居住证办理", "police"),
}


@pytest.fixture(scope="module")
def loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoSummary]:
    """The demo district, loaded once and rolled back after the module."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        summary = demo_load()
        yield summary
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_it_loads_the_twenty_departments_with_their_contract_codes(loaded: DemoSummary) -> None:
    names = dict(Department.objects.values_list("code", "name"))
    assert {code: names.get(code) for code in DEPARTMENT_CODES} == DEPARTMENT_CODES
    assert loaded.departments == 20
    assert all(Department.objects.exclude(name_en="").filter(code=c) for c in DEPARTMENT_CODES)


def test_it_loads_the_six_sections(loaded: DemoSummary) -> None:
    assert dict(Section.objects.values_list("code", "name")) == SECTION_CODES
    assert not Section.objects.filter(description="").exists()


def test_it_loads_sixty_matters_with_at_least_two_per_department(loaded: DemoSummary) -> None:
    assert Matter.objects.count() >= 60
    for code in DEPARTMENT_CODES:
        assert Matter.objects.filter(department__code=code).count() >= 2, code


def test_it_loads_the_sixteen_named_matters_in_their_departments(loaded: DemoSummary) -> None:
    found = {
        m.code: (m.name, m.department.code)
        for m in Matter.objects.filter(code__in=NAMED_MATTERS).select_related("department")
    }
    assert found == NAMED_MATTERS


def test_named_matters_carry_the_contract_notes(loaded: DemoSummary) -> None:
    food = Matter.objects.get(code="food-business-licence")
    assert food.commitment_eligible
    assert food.promised_limit_days < food.legal_limit_days
    assert Matter.objects.get(code="public-place-hygiene").process == "instant"
    assert Matter.objects.get(code="commercial-performance").process_params == {
        "pre_review_channel": True
    }
    drainage = Matter.objects.get(code="drainage-permit")
    assert drainage.process_params == {"pre_approval_guidance": True}
    assert (drainage.legal_limit_days, drainage.promised_limit_days) == (20, 6)
    permit = Matter.objects.get(code="construction-permit")
    assert permit.process == "joint_review"
    reviewers = permit.process_params["reviewers"]
    assert len(set(reviewers)) >= 10
    assert set(reviewers) <= set(DEPARTMENT_CODES) - {"construction"}
    assert Matter.objects.get(code="residence-permit").audience == "person"


def test_it_loads_the_three_themes_with_their_matters(loaded: DemoSummary) -> None:
    def members(code: str) -> list[tuple[str, int]]:
        theme = Theme.objects.get(code=code)
        links = theme.theme_matters.select_related("matter").order_by("order")
        return [(link.matter.code, link.stage) for link in links]

    assert [c for c, _ in members("open-company")] == [
        "company-registration",
        "seal-engraving",
        "invoice-application",
    ]
    assert Theme.objects.get(code="open-company").promised_limit_days == 5
    food_drug = Theme.objects.get(code="food-drug-licence")
    assert {c for c, _ in members("food-drug-licence")} == {
        "food-business-licence",
        "drug-retail-licence",
        "device-2-filing",
        "device-3-licence",
        "health-food-filing",
    }
    assert food_drug.combined_certificate_type is not None
    assert food_drug.combined_certificate_type.is_combined
    assert food_drug.combined_certificate_type.name == "食品药品经营许可证"
    transfer = dict(members("property-transfer"))
    assert transfer["housing-transaction"] < transfer["property-tax"]
    assert transfer["property-tax"] <= transfer["property-registration"]
    assert Theme.objects.get(code="property-transfer").promised_limit_days == 5
    assert Theme.objects.get(code="property-transfer").name == "不动产转移登记一件事"


def test_theme_forms_ask_shared_fields_once(loaded: DemoSummary) -> None:
    schema = theme_form_schema(theme=Theme.objects.get(code="open-company"))
    asked_by = schema["x-matters"]
    assert {"company_name", "legal_representative", "contact_phone"} <= set(schema["properties"])
    assert len(asked_by["company_name"]) == 3
    transfer = theme_form_schema(theme=Theme.objects.get(code="property-transfer"))
    for key in (
        "property_address",
        "property_certificate_no",
        "seller_name",
        "buyer_name",
        "price",
    ):
        assert len(transfer["x-matters"][key]) == 3, key
    food_drug = theme_form_schema(theme=Theme.objects.get(code="food-drug-licence"))
    assert len(food_drug["x-matters"]["business_name"]) == 5


def test_every_form_schema_is_a_valid_draft_2020_12_schema(loaded: DemoSummary) -> None:
    for matter in Matter.objects.all():
        schema = matter.form_schema
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", matter.code
        Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object"
        assert set(schema["required"]) <= set(schema["properties"]), matter.code
        assert all(p.get("title") for p in schema["properties"].values()), matter.code


def test_a_form_schema_refuses_a_wrong_mobile_number(loaded: DemoSummary) -> None:
    validator = Draft202012Validator(Matter.objects.get(code="residence-permit").form_schema)
    good = {
        "applicant_name": "李娜",
        "id_number": DISTRICT.people[1]["id_number"],
        "residential_address": "上海市嘉定区安亭镇",
        "contact_phone": "15921873356",
        "basis": "合法稳定住所",
    }
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({**good, "contact_phone": "12345"}))


def test_promised_limits_never_exceed_legal_limits(loaded: DemoSummary) -> None:
    for matter in Matter.objects.all():
        assert matter.promised_limit_days <= matter.legal_limit_days, matter.code


def test_every_matter_has_two_to_eight_materials(loaded: DemoSummary) -> None:
    for matter in Matter.objects.all():
        assert 2 <= matter.materials.count() <= 8, matter.code
    shared = set(
        MaterialRequirement.objects.exclude(shared_resource="").values_list(
            "shared_resource", flat=True
        )
    )
    assert {"market.business_licence", "police.resident_id", "realestate.property_right"} <= shared
    assert shared <= set(SHARED_RESOURCES)
    assert all(code.split(".")[0] in DEPARTMENT_CODES for code in SHARED_RESOURCES)


def test_at_least_94_percent_of_enterprise_matters_need_at_most_one_visit(
    loaded: DemoSummary,
) -> None:
    enterprise = Matter.objects.filter(audience__in=["enterprise", "both"])
    share = enterprise.filter(max_visits__lte=1).count() / enterprise.count()
    assert share >= 0.94


def test_the_data_catalogue_holds_two_thousand_items_from_at_least_seven_departments(
    loaded: DemoSummary,
) -> None:
    assert DataField.objects.count() == loaded.data_fields >= 2000
    assert DataResource.objects.count() == loaded.data_resources
    providers = set(DataResource.objects.values_list("provider__code", flat=True))
    assert len(providers) == loaded.data_departments >= 7
    assert RegistryRecord.objects.count() == loaded.registry_records > 0


def test_every_materials_shared_resource_exists_as_a_data_resource(loaded: DemoSummary) -> None:
    shared = set(
        MaterialRequirement.objects.exclude(shared_resource="").values_list(
            "shared_resource", flat=True
        )
    )
    resources = dict(DataResource.objects.values_list("code", "share_type"))
    assert shared - set(resources) == set()
    for code, (_name, share_type) in SHARED_RESOURCES.items():
        assert resources[code] == share_type, code


def test_the_demo_enterprise_business_licence_is_in_the_registry(loaded: DemoSummary) -> None:
    enterprise = DISTRICT.demo_enterprise
    record = RegistryRecord.objects.get(
        resource__code="market.business_licence", subject=enterprise["uscc"]
    )
    assert record.data["company_name"] == enterprise["name"]


def test_every_demo_account_exists_with_its_role(loaded: DemoSummary) -> None:
    usernames = demo_usernames(list(DEPARTMENT_CODES))
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    assert set(users) == set(usernames)
    assert loaded.accounts == len(usernames) == 4 + 2 + 4 * 20
    for username in usernames:
        assert users[username].check_password(DEMO_PASSWORD), username
    for code in DEPARTMENT_CODES:
        for role in ("clerk", "reviewer", "approver", "supervisor"):
            user = users[f"{code}-{role}"]
            staff = user_staff(user=user)
            assert staff is not None
            assert staff.department.code == code
            assert user_roles(user=user) == [role]
    admin = users["admin"]
    assert admin.is_staff and admin.is_superuser
    assert user_roles(user=admin) == ["center_admin"]
    assert user_staff(user=users["citizen"]) is None


def test_citizens_are_people_and_the_agent_acts_for_the_demo_enterprise(
    loaded: DemoSummary,
) -> None:
    assert Person.objects.get(user__username="citizen").name == DISTRICT.people[0]["name"]
    assert Person.objects.get(user__username="citizen2").name == DISTRICT.people[1]["name"]
    agent = User.objects.get(username="agent")
    assert [e.uscc for e in user_enterprises(user=agent)] == [DISTRICT.demo_enterprise["uscc"]]


def test_every_person_id_and_credit_code_is_valid(loaded: DemoSummary) -> None:
    assert loaded.people == len(DISTRICT.people)
    assert loaded.enterprises == len(DISTRICT.enterprises)
    for number in Person.objects.values_list("id_number", flat=True):
        assert resident_id_problem(number) is None, number
    for code in Enterprise.objects.values_list("uscc", flat=True):
        assert uscc_problem(code) is None, code
        assert code[2:8] == "310114"


def test_citizens_words_find_the_right_matters(loaded: DemoSummary) -> None:
    for query, code in [
        ("开饭店", "food-business-licence"),
        ("营业执照", "company-registration"),
        ("办居住证", "residence-permit"),
        ("药店", "drug-retail-licence"),
        ("盖房子", "construction-permit"),
    ]:
        top = [m.code for m in list(matter_search(query=query).items)[:3]]
        assert code in top, (query, top)
    assert SearchSynonym.objects.count() >= 20


def test_a_second_load_changes_nothing(loaded: DemoSummary) -> None:
    versions = MatterVersion.objects.count()
    before = (Matter.objects.count(), User.objects.count(), Person.objects.count())
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        again = demo_load()
    assert MatterVersion.objects.count() == versions
    assert again.versions_published == 0 and again.created == 0
    assert (Matter.objects.count(), User.objects.count(), Person.objects.count()) == before
    assert (again.matters, again.themes, again.accounts) == (
        loaded.matters,
        loaded.themes,
        loaded.accounts,
    )
    assert demo_is_loaded()


def test_the_command_skips_a_database_that_has_matters(loaded: DemoSummary) -> None:
    out = StringIO()
    call_command("demo", "load", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()


def test_the_command_lists_the_demo_accounts(loaded: DemoSummary) -> None:
    out = StringIO()
    call_command("demo", "accounts", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for username in ("citizen", "citizen2", "agent", "admin", "market-clerk", "tax-approver"):
        assert f"\n{username} " in text


def test_the_command_refuses_broken_demo_data_and_saves_none_of_it(
    loaded: DemoSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {**DISTRICT.matters[0], "code": "broken-matter", "promised_limit_days": 99}
    with_broken = dataclasses.replace(DISTRICT, matters=[*DISTRICT.matters, broken])
    monkeypatch.setattr(loader, "district_read", lambda: with_broken)
    with pytest.raises(CommandError, match="promised_limit_days"):
        call_command("demo", "load", stdout=StringIO())
    assert not Matter.objects.filter(code="broken-matter").exists()


def test_a_changed_guide_publishes_exactly_one_new_version(
    loaded: DemoSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = [
        {**m, "summary": m["summary"] + "（已更新）"} if m["code"] == "drainage-permit" else m
        for m in DISTRICT.matters
    ]
    with_changed = dataclasses.replace(DISTRICT, matters=changed)
    monkeypatch.setattr(loader, "district_read", lambda: with_changed)
    before = Matter.objects.get(code="drainage-permit").version
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        summary = demo_load()
    assert summary.versions_published == 1
    assert Matter.objects.get(code="drainage-permit").version == before + 1
    assert MatterVersion.objects.filter(matter__code="drainage-permit").count() == before + 1


def _untitled_in_english(properties: dict[str, Any], path: str = "") -> list[str]:
    """Form fields (nested ones too) that have no x-title-en."""
    missing = []
    for name, spec in properties.items():
        if not spec.get("x-title-en"):
            missing.append(path + name)
        if isinstance(spec.get("properties"), dict):
            missing += _untitled_in_english(spec["properties"], f"{path}{name}.")
        items = spec.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            missing += _untitled_in_english(items["properties"], f"{path}{name}[].")
    return missing


def test_every_matter_reads_completely_in_english(loaded: DemoSummary) -> None:
    gaps = []
    for matter in Matter.objects.prefetch_related("materials"):
        for field in ("name", "summary", "conditions", "legal_basis"):
            if not getattr(matter, field) or not getattr(matter, f"{field}_en"):
                gaps.append(f"{matter.code}.{field}")
        gaps += [f"{matter.code}/{m.code}.name_en" for m in matter.materials.all() if not m.name_en]
        properties = (matter.form_schema or {}).get("properties") or {}
        gaps += [f"{matter.code} form {f}" for f in _untitled_in_english(properties)]
    assert Matter.objects.count() >= 60
    assert gaps == []


def test_every_theme_reads_completely_in_english(loaded: DemoSummary) -> None:
    assert [t.code for t in Theme.objects.all() if not (t.name_en and t.summary_en)] == []


def test_the_demo_center_opens_two_windows_per_section_with_center_clerk_in_each(
    loaded: DemoSummary,
) -> None:
    workday = dt.date(2026, 9, 15)
    sections = CenterSection.objects.select_related("section")
    assert sorted((c.section.code, c.letter) for c in sections) == [
        ("commerce", "A"),
        ("construction", "B"),
        ("general", "F"),
        ("innovation", "E"),
        ("realestate", "D"),
        ("social", "C"),
    ]
    assert {(f"{c.opens_at:%H:%M}", f"{c.closes_at:%H:%M}") for c in sections} == {
        ("09:00", "17:00")
    }
    open_now = {
        s.code: s for s in center_sections(now=dt.datetime(2026, 9, 15, 10, tzinfo=SHANGHAI))
    }
    assert all(s.windows >= 2 and s.open_now for s in open_now.values()), open_now
    clerk = User.objects.get(username="center-clerk")
    staffed = windows_staffed_by(user=clerk, day=workday)
    comprehensive = {w.section.code for w in staffed if w.kind == WindowKind.COMPREHENSIVE}
    assert comprehensive == {c.section.code for c in sections}
    assert any(w.kind == WindowKind.OUTPUT for w in staffed)
    assert is_center_window_clerk(user=clerk, day=workday)
    assert loaded.windows == Window.objects.count() >= 12


def test_the_demo_negative_list_names_reasons_and_places(loaded: DemoSummary) -> None:
    entries = list(NegativeListEntry.objects.select_related("matter"))
    assert 3 <= len(entries) <= 5
    for entry in entries:
        assert entry.reason and entry.reason_en and entry.handled_at and entry.handled_at_en
    # The matters the CONTRACT names are all handled at the center.
    assert not {"residence-permit", "property-registration"} & {e.matter.code for e in entries}
