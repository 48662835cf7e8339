from __future__ import annotations

import json
from typing import Any

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.catalog.models import Matter, MatterVersion
from tongban.catalog.resources import MatterResource
from tongban.catalog.tests.factories import department_make, matter_make, section_make
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

HEADERS = [
    "code",
    "name",
    "name_en",
    "kind",
    "audience",
    "department",
    "section",
    "legal_limit_days",
    "promised_limit_days",
    "online_depth",
    "channels",
    "form_schema",
    "keywords",
]
GOOD_SCHEMA = {"type": "object", "properties": {"shop_name": {"type": "string"}}}


def row(code: str, **overrides: Any) -> list[Any]:
    values: dict[str, Any] = {
        "code": code,
        "name": "食品经营许可",
        "name_en": "Food Business Licence",
        "kind": "licence",
        "audience": "enterprise",
        "department": "market",
        "section": "commerce",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "online_depth": "full_online",
        "channels": json.dumps(["online"]),
        "form_schema": json.dumps(GOOD_SCHEMA),
        "keywords": "开饭店,餐饮",
        **overrides,
    }
    return [values[h] for h in HEADERS]


def xlsx(*rows: list[Any]) -> bytes:
    data: bytes = tablib.Dataset(*rows, headers=HEADERS).export("xlsx")
    return data


@pytest.fixture
def staff_client(client: Client) -> Client:
    department_make()
    section_make()
    user = User.objects.create_superuser(username="root", password="root-pass-2026")
    client.force_login(user)
    return client


def upload(client: Client, content: bytes) -> Any:
    return client.post(
        "/admin/catalog/matter/import/",
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("matters.xlsx", content),
        },
    )


def test_import_refuses_a_row_with_a_broken_form_schema_and_saves_nothing(
    staff_client: Client,
) -> None:
    broken = json.dumps({"type": "object", "properties": {"x": {"type": "strng"}}})
    response = upload(staff_client, xlsx(row("good-one"), row("bad-one", form_schema=broken)))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 2
    assert "form_schema" in invalid.field_specific_errors
    assert "confirm_form" not in response.context
    assert not Matter.objects.exists()
    assert not MatterVersion.objects.exists()


def test_import_refuses_a_code_repeated_in_the_file(staff_client: Client) -> None:
    response = upload(staff_client, xlsx(row("twice"), row("twice", name="另一个")))
    result = response.context["result"]
    assert [r.number for r in result.invalid_rows] == [1, 2]
    assert "出现了多次" in str(result.invalid_rows[0].field_specific_errors["code"])
    assert not Matter.objects.exists()


def test_import_refuses_unknown_department_and_late_promise(staff_client: Client) -> None:
    response = upload(
        staff_client,
        xlsx(row("a", department="nowhere"), row("b", promised_limit_days=30)),
    )
    invalid = response.context["result"].invalid_rows
    assert "department" in invalid[0].field_specific_errors
    assert "promised_limit_days" in invalid[1].field_specific_errors
    assert not Matter.objects.exists()


def test_a_valid_import_offers_confirmation_without_saving(staff_client: Client) -> None:
    response = upload(staff_client, xlsx(row("food-business-licence")))
    assert "confirm_form" in response.context
    assert not Matter.objects.exists()


def test_importing_creates_and_updates_matters_and_publishes_only_changed_ones(
    staff_client: Client,
) -> None:
    matter_make("food-business-licence", materials=[])
    matter_make("drug-retail-licence", name="药品零售经营许可", materials=[])
    dataset = tablib.Dataset(headers=HEADERS)
    dataset.load(xlsx(row("food-business-licence", promised_limit_days=3), row("new-one")))
    resource = MatterResource()
    result = resource.import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Matter.objects.get(code="food-business-licence").version == 2
    assert Matter.objects.get(code="drug-retail-licence").version == 1
    new = Matter.objects.get(code="new-one")
    assert new.version == 1
    assert "开饭店" in new.search_text


def test_export_writes_department_and_section_codes(staff_client: Client) -> None:
    matter_make()
    dataset = MatterResource().export()
    assert dataset.dict[0]["department"] == "market"
    assert dataset.dict[0]["section"] == "commerce"
    response = staff_client.post(
        "/admin/catalog/matter/export/", {"format": "0", "resource": "0", "codeField": "on"}
    )
    assert response.status_code == 200


def _change_form(matter: Matter, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": matter.code,
        "name": matter.name,
        "name_en": matter.name_en,
        "kind": matter.kind,
        "audience": matter.audience,
        "department": matter.department_id,
        "section": matter.section_id,
        "keywords": matter.keywords,
        "is_active": "on",
        "summary": matter.summary,
        "legal_limit_days": matter.legal_limit_days,
        "promised_limit_days": matter.promised_limit_days,
        "fee": "0",
        "max_visits": matter.max_visits,
        "online_depth": matter.online_depth,
        "channels": json.dumps(matter.channels),
        "form_schema": json.dumps(matter.form_schema),
        "process": matter.process,
        "process_params": "{}",
        "materials-TOTAL_FORMS": "0",
        "materials-INITIAL_FORMS": "0",
        "materials-MIN_NUM_FORMS": "0",
        "materials-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_saving_a_broken_form_schema_in_the_admin_is_a_form_error(staff_client: Client) -> None:
    matter = matter_make(materials=[])
    url = f"/admin/catalog/matter/{matter.pk}/change/"
    broken = json.dumps({"type": "object", "properties": {"x": {"type": "strng"}}})
    response = staff_client.post(url, _change_form(matter, form_schema=broken))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "form_schema" in errors
    matter.refresh_from_db()
    assert matter.form_schema != json.loads(broken)
    assert matter.version == 1


def test_saving_a_changed_matter_in_the_admin_publishes_a_version(staff_client: Client) -> None:
    matter = matter_make(materials=[])
    url = f"/admin/catalog/matter/{matter.pk}/change/"
    response = staff_client.post(url, _change_form(matter, promised_limit_days="2"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    matter.refresh_from_db()
    assert (matter.version, matter.promised_limit_days) == (2, 2)
    assert MatterVersion.objects.get(matter=matter, version=2).published_by == "root"


def test_the_admin_pages_open(staff_client: Client) -> None:
    matter_make()
    for path in [
        "/admin/catalog/matter/",
        "/admin/catalog/matter/add/",
        "/admin/catalog/matterversion/",
        "/admin/catalog/theme/add/",
        "/admin/catalog/department/",
        "/admin/catalog/searchsynonym/",
        "/admin/catalog/matter/import/",
    ]:
        assert staff_client.get(path).status_code == 200, path
