"""The 政务信息资源目录: upsert rules, Excel export and import, registry records."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tongban.catalog.models import Department
from tongban.core.errors import ValidationFailed
from tongban.demo.data import DEPARTMENTS, ENTERPRISES, PEOPLE, SHARED_RESOURCES
from tongban.exchange.catalogue import (
    FIELD_SHEET,
    RESOURCE_SHEET,
    catalogue_export_xlsx,
    catalogue_import_xlsx,
    catalogue_upsert,
    elicences_import,
    registry_records_upsert,
)
from tongban.exchange.data import catalogue_demo_load, catalogue_resources, registry_records
from tongban.exchange.data.registries import imported_elicences
from tongban.exchange.models import DataField, DataResource, ELicence, RegistryRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db: None) -> None:
    for order, item in enumerate(DEPARTMENTS, start=1):
        Department.objects.update_or_create(
            code=item["code"],
            defaults={"name": item["name"], "name_en": item["name_en"], "order": order},
        )


def small_catalogue() -> list[dict[str, Any]]:
    by_code = {r["code"]: r for r in catalogue_resources()}
    picked = ["market.business_licence", "police.resident_id", "tax.tax_cases"]
    return copy.deepcopy([by_code[code] for code in picked])


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the demo catalogue itself --------------------------------------------------------------


def test_the_demo_catalogue_has_two_thousand_items_from_seven_departments() -> None:
    resources = catalogue_resources()
    assert sum(len(r["fields"]) for r in resources) >= 2000
    assert len({r["provider"] for r in resources}) >= 7
    assert all(10 <= len(r["fields"]) <= 60 for r in resources), [
        r["code"] for r in resources if not 10 <= len(r["fields"]) <= 60
    ]
    assert {r["share_type"] for r in resources} == {"unconditional", "conditional", "none"}


def test_every_shared_resource_of_the_demo_materials_is_in_the_catalogue() -> None:
    by_code = {r["code"]: r for r in catalogue_resources()}
    for code, (name, _name_en, share_type) in SHARED_RESOURCES.items():
        assert code in by_code, code
        assert (by_code[code]["name"], by_code[code]["share_type"]) == (name, share_type), code


def test_e_licence_resources_name_their_licence_type() -> None:
    elicences = [r for r in catalogue_resources() if r["adapter"] == "elicence"]
    assert len(elicences) >= 30
    business = next(r for r in elicences if r["code"] == "market.elicence_business_licence")
    assert business["adapter_config"] == {"licence_type": "business-licence"}
    assert business["format"] == "elicence"
    codes = {f["code"] for f in business["fields"]}
    assert {"number", "holder_name", "issuer", "issued_on", "uscc", "business_scope"} <= codes


def test_registry_records_use_only_declared_field_codes() -> None:
    fields = {r["code"]: {f["code"] for f in r["fields"]} for r in catalogue_resources()}
    for record in registry_records():
        assert set(record["data"]) <= fields[record["resource"]], record["resource"]


def test_the_demo_load_is_idempotent_and_consistent_with_the_people(district: None) -> None:
    first = catalogue_demo_load()
    assert first.changed
    assert DataField.objects.count() == first.fields >= 2000
    again = catalogue_demo_load()
    assert not again.changed
    jiatong = ENTERPRISES[0]
    licence = RegistryRecord.objects.get(
        resource__code="market.business_licence", subject=jiatong["uscc"]
    ).data
    assert licence["company_name"] == "上海嘉通餐饮管理有限公司"
    assert licence["legal_representative"] == jiatong["legal_representative"]
    assert "嘉定区" in licence["business_address"] and "餐饮服务" in licence["business_scope"]
    for person in PEOPLE[:3]:
        record = RegistryRecord.objects.get(
            resource__code="police.resident_id", subject=person["id_number"]
        )
        assert record.data["name"] == person["name"]
    assert RegistryRecord.objects.filter(
        resource__code="realestate.property_right", subject=PEOPLE[0]["id_number"]
    ).exists()
    imported = ELicence.objects.get(licence_type="business-licence", number=jiatong["uscc"])
    assert imported.source == "imported" and imported.holder_subject == jiatong["uscc"]


# --- catalogue_upsert -----------------------------------------------------------------------


def test_upsert_creates_updates_and_deletes_fields(district: None) -> None:
    resources = small_catalogue()
    summary = catalogue_upsert(resources=resources)
    assert summary.resources_created == 3
    assert not catalogue_upsert(resources=resources).changed
    resources[0]["name"] = "营业执照（更新）"
    resources[0]["fields"] = resources[0]["fields"][:-1]
    resources[0]["fields"][0]["description"] = "新的说明"
    summary = catalogue_upsert(resources=resources)
    assert (summary.resources_updated, summary.fields_updated, summary.fields_deleted) == (1, 1, 1)
    resource = DataResource.objects.get(code=resources[0]["code"])
    assert resource.name == "营业执照（更新）"
    assert resource.fields.count() == len(resources[0]["fields"])


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r[1].update(code="Police ResidentID"), "resources[1].code"),
        (lambda r: r[1].update(provider="nowhere"), "resources[1].provider"),
        (lambda r: r[1].update(share_type="sometimes"), "resources[1].share_type"),
        (lambda r: r[1].update(share_condition=""), "resources[1].share_condition"),
        (lambda r: r[2].update(code="market.tax_cases"), "resources[2].code"),
        (
            lambda r: r[0]["fields"][7].update(code=r[0]["fields"][2]["code"]),
            "resources[0].fields[7].code",
        ),
        (
            lambda r: r[0]["fields"][3].update(data_type="strnig"),
            "resources[0].fields[3].data_type",
        ),
        (lambda r: r[2].update(code=r[0]["code"], provider="market"), "resources[2].code"),
        (lambda r: r[1].update(fields=[]), "resources[1].fields"),
    ],
)
def test_upsert_refuses_bad_entries_naming_the_path_and_saves_nothing(
    district: None, change: Any, path: str
) -> None:
    resources = small_catalogue()
    change(resources)
    with pytest.raises(ValidationFailed) as caught:
        catalogue_upsert(resources=resources)
    assert path in [e.field for e in caught.value.errors]
    assert not DataResource.objects.exists() and not DataField.objects.exists()


# --- Excel ----------------------------------------------------------------------------------


def test_export_then_import_round_trips_the_catalogue(district: None) -> None:
    catalogue_upsert(resources=catalogue_resources())
    before = list(
        DataField.objects.order_by("resource__code", "order").values_list(
            "resource__code", "code", "name", "data_type", "description", "sensitive", "order"
        )
    )
    resources_before = list(
        DataResource.objects.order_by("code").values_list(
            "code",
            "name",
            "share_type",
            "share_condition",
            "update_cycle",
            "format",
            "adapter",
            "adapter_config",
            "provider__code",
        )
    )
    content = catalogue_export_xlsx()
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [RESOURCE_SHEET, FIELD_SHEET]
    assert workbook[FIELD_SHEET].max_row - 1 == len(before)

    DataField.objects.all().delete()
    DataResource.objects.all().delete()
    summary = catalogue_import_xlsx(file=io.BytesIO(content))
    assert summary.resources == len(resources_before)
    after = list(
        DataField.objects.order_by("resource__code", "order").values_list(
            "resource__code", "code", "name", "data_type", "description", "sensitive", "order"
        )
    )
    assert after == before
    assert (
        list(
            DataResource.objects.order_by("code").values_list(
                "code",
                "name",
                "share_type",
                "share_condition",
                "update_cycle",
                "format",
                "adapter",
                "adapter_config",
                "provider__code",
            )
        )
        == resources_before
    )
    assert not catalogue_import_xlsx(file=content).changed


def exported(district: None) -> Workbook:
    catalogue_upsert(resources=small_catalogue())
    workbook = load_workbook(io.BytesIO(catalogue_export_xlsx()))
    DataField.objects.all().delete()
    DataResource.objects.all().delete()
    return workbook


def refused(workbook: Workbook) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        catalogue_import_xlsx(file=workbook_bytes(workbook))
    assert not DataResource.objects.exists() and not DataField.objects.exists()
    return [str(e.message) for e in caught.value.errors]


def test_import_refuses_a_bad_data_type_naming_sheet_row_and_column(district: None) -> None:
    workbook = exported(district)
    workbook[FIELD_SHEET]["C12"] = "strnig"
    assert "信息项 第12行 C列（数据类型）：无效取值 'strnig'" in refused(workbook)


def test_import_refuses_a_missing_column(district: None) -> None:
    workbook = exported(district)
    workbook[RESOURCE_SHEET].delete_cols(6)  # 共享类型
    assert any("缺少列“共享类型”" in m for m in refused(workbook))


def test_import_refuses_a_bad_share_type(district: None) -> None:
    workbook = exported(district)
    workbook[RESOURCE_SHEET]["F3"] = "随便共享"
    messages = refused(workbook)
    assert any(m.startswith("资源 第3行 F列（共享类型）：无效取值 '随便共享'") for m in messages)


def test_import_refuses_an_unknown_department(district: None) -> None:
    workbook = exported(district)
    workbook[RESOURCE_SHEET]["D2"] = "space-agency"
    messages = refused(workbook)
    assert any(
        m.startswith("资源 第2行 D列（提供部门代码）：未知的部门代码 'space-agency'")
        for m in messages
    )


def test_import_refuses_a_duplicate_field_code(district: None) -> None:
    workbook = exported(district)
    sheet = workbook[FIELD_SHEET]
    sheet["B5"] = sheet["B3"].value
    messages = refused(workbook)
    assert any(m.startswith("信息项 第5行 B列（信息项代码）：信息项代码") for m in messages)


def test_import_refuses_a_field_of_an_unknown_resource(district: None) -> None:
    workbook = exported(district)
    workbook[FIELD_SHEET]["A4"] = "market.nothing"
    assert any(m.startswith("信息项 第4行 A列（资源代码）") for m in refused(workbook))


def test_import_refuses_a_file_that_is_not_excel(district: None) -> None:
    with pytest.raises(ValidationFailed, match="Excel"):
        catalogue_import_xlsx(file=b"not a workbook")


def test_import_refuses_a_workbook_without_the_field_sheet(district: None) -> None:
    workbook = exported(district)
    del workbook[FIELD_SHEET]
    assert any("信息项" in m for m in refused(workbook))


# --- registry records and e-licences --------------------------------------------------------


def test_registry_records_refuse_unknown_resources_and_field_codes(district: None) -> None:
    catalogue_upsert(resources=small_catalogue())
    with pytest.raises(ValidationFailed) as caught:
        registry_records_upsert(
            records=[
                {"resource": "police.resident_id", "subject": "X1", "data": {"name": "甲"}},
                {"resource": "police.nothing", "subject": "X2", "data": {"name": "乙"}},
                {"resource": "police.resident_id", "subject": "X3", "data": {"shoe_size": 42}},
                {"resource": "police.resident_id", "subject": "", "data": {"name": "丙"}},
            ]
        )
    fields = [e.field for e in caught.value.errors]
    assert fields == ["records[1].resource", "records[2].data", "records[3].subject"]
    assert not RegistryRecord.objects.exists()


def test_registry_records_upsert_updates_changed_data_only(district: None) -> None:
    catalogue_upsert(resources=small_catalogue())
    record = {"resource": "police.resident_id", "subject": "X1", "data": {"name": "甲"}}
    assert registry_records_upsert(records=[record]).created == 1
    assert registry_records_upsert(records=[record]).updated == 0
    record["data"] = {"name": "乙"}
    assert registry_records_upsert(records=[record]).updated == 1
    assert RegistryRecord.objects.get(subject="X1").data == {"name": "乙"}


def test_elicence_import_refuses_an_unknown_issuer(district: None) -> None:
    licences = imported_elicences()
    licences[1]["issuer"] = "nowhere"
    with pytest.raises(ValidationFailed) as caught:
        elicences_import(licences=licences)
    assert [e.field for e in caught.value.errors] == ["licences[1].issuer"]
    assert not ELicence.objects.exists()
