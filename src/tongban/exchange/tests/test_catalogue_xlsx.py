"""The 政务信息资源目录 as an Excel workbook: export, import, and the cells an import refuses."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from tongban.core.errors import ValidationFailed
from tongban.exchange.catalogue import catalogue_upsert
from tongban.exchange.catalogue_xlsx import (
    FIELD_SHEET,
    RESOURCE_SHEET,
    catalogue_export_xlsx,
    catalogue_import_xlsx,
)
from tongban.exchange.models import DataField, DataResource
from tongban.exchange.tests.demo_catalogue import (
    demo_resources,
    departments_create,
    small_catalogue,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db: None) -> None:
    departments_create()


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_export_then_import_round_trips_the_catalogue(district: None) -> None:
    catalogue_upsert(resources=demo_resources())
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
