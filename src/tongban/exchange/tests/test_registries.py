"""Registry records and imported e-licences: what the local registries and the library hold."""

from __future__ import annotations

import pytest

from tongban.core.errors import ValidationFailed
from tongban.exchange.catalogue import catalogue_upsert
from tongban.exchange.models import ELicence, RegistryRecord
from tongban.exchange.registries import elicences_import, registry_records_upsert
from tongban.exchange.tests.demo_catalogue import (
    departments_create,
    imported_elicences,
    small_catalogue,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db: None) -> None:
    departments_create()


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
