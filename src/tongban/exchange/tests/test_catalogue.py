"""The 政务信息资源目录's writer, ``catalogue_upsert``: its rules and what it changes."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.core.errors import ValidationFailed
from tongban.exchange.catalogue import catalogue_upsert
from tongban.exchange.models import DataField, DataResource
from tongban.exchange.tests.demo_catalogue import departments_create, small_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db: None) -> None:
    departments_create()


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
