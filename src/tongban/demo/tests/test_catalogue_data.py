"""The demo district's 政务信息资源目录, registry records and e-licences, as data and as loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog.models import Department
from tongban.demo.district import district_read
from tongban.demo.loader import demo_catalogue_load
from tongban.demo.tests.expected import SHARED_RESOURCES
from tongban.exchange.models import DataField, ELicence, RegistryRecord

DISTRICT = district_read()


@pytest.fixture
def district(db: None) -> None:
    for order, item in enumerate(DISTRICT.departments, start=1):
        Department.objects.update_or_create(
            code=item["code"],
            defaults={"name": item["name"], "name_en": item["name_en"], "order": order},
        )


def test_the_demo_catalogue_has_two_thousand_items_from_seven_departments() -> None:
    resources = DISTRICT.resources
    assert sum(len(r["fields"]) for r in resources) >= 2000
    assert len({r["provider"] for r in resources}) >= 7
    assert all(10 <= len(r["fields"]) <= 60 for r in resources), [
        r["code"] for r in resources if not 10 <= len(r["fields"]) <= 60
    ]
    assert {r["share_type"] for r in resources} == {"unconditional", "conditional", "none"}


def test_every_shared_resource_of_the_demo_materials_is_in_the_catalogue() -> None:
    by_code = {r["code"]: r for r in DISTRICT.resources}
    for code, (name, share_type) in SHARED_RESOURCES.items():
        assert code in by_code, code
        assert (by_code[code]["name"], by_code[code]["share_type"]) == (name, share_type), code


def test_e_licence_resources_name_their_licence_type() -> None:
    elicences = [r for r in DISTRICT.resources if r["adapter"] == "elicence"]
    assert len(elicences) >= 30
    business = next(r for r in elicences if r["code"] == "market.elicence_business_licence")
    assert business["adapter_config"] == {"licence_type": "business-licence"}
    assert business["format"] == "elicence"
    codes = {f["code"] for f in business["fields"]}
    assert {"number", "holder_name", "issuer", "issued_on", "uscc", "business_scope"} <= codes


def test_every_certificate_type_has_its_e_licence_resource() -> None:
    licence_types = {
        r["adapter_config"]["licence_type"]: r
        for r in DISTRICT.resources
        if r["adapter"] == "elicence"
    }
    for ctype in DISTRICT.certificate_types:
        resource = licence_types[ctype["code"]]
        assert resource["provider"] == ctype["department"], ctype["code"]
        assert set(ctype["fields"]) <= {f["code"] for f in resource["fields"]}, ctype["code"]


def test_registry_records_use_only_declared_field_codes() -> None:
    fields = {r["code"]: {f["code"] for f in r["fields"]} for r in DISTRICT.resources}
    for record in DISTRICT.registry_records:
        assert set(record["data"]) <= fields[record["resource"]], record["resource"]


@pytest.mark.django_db
def test_the_demo_load_is_idempotent_and_consistent_with_the_people(district: None) -> None:
    first = demo_catalogue_load(DISTRICT)
    assert first.changed
    assert DataField.objects.count() == first.fields >= 2000
    again = demo_catalogue_load(DISTRICT)
    assert not again.changed
    jiatong = DISTRICT.enterprises[0]
    licence = RegistryRecord.objects.get(
        resource__code="market.business_licence", subject=jiatong["uscc"]
    ).data
    assert licence["company_name"] == "上海嘉通餐饮管理有限公司"
    assert licence["legal_representative"] == jiatong["legal_representative"]
    assert "嘉定区" in licence["business_address"] and "餐饮服务" in licence["business_scope"]
    for person in DISTRICT.people[:3]:
        record = RegistryRecord.objects.get(
            resource__code="police.resident_id", subject=person["id_number"]
        )
        assert record.data["name"] == person["name"]
    assert RegistryRecord.objects.filter(
        resource__code="realestate.property_right", subject=DISTRICT.people[0]["id_number"]
    ).exists()
    imported = ELicence.objects.get(licence_type="business-licence", number=jiatong["uscc"])
    assert imported.source == "imported" and imported.holder_subject == jiatong["uscc"]


def _subjects(rows: list[dict[str, Any]], key: str) -> set[str]:
    return {row[key] for row in rows}


def test_registry_records_and_e_licences_are_about_the_demo_people_and_enterprises() -> None:
    known = _subjects(DISTRICT.people, "id_number") | _subjects(DISTRICT.enterprises, "uscc")
    assert _subjects(DISTRICT.registry_records, "subject") <= known
    assert _subjects(DISTRICT.elicences, "holder_subject") <= known
