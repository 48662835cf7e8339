from __future__ import annotations

import pytest

from tongban.catalog.models import Department
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.credit.provider import CreditProvider
from tongban.credit.tests.factories import make_person_record, make_record
from tongban.exchange.models import DataResource
from tongban.exchange.providers import provider_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def resource(departments: dict[str, Department]) -> DataResource:
    return DataResource.objects.create(
        code="center.credit_status",
        name="公共信用状况",
        provider=departments["center"],
        share_type="conditional",
        subject_kind="enterprise",
        adapter="credit",
    )


def test_the_credit_adapter_is_registered(resource: DataResource) -> None:
    assert isinstance(provider_for(resource), CreditProvider)


def test_it_answers_the_status_of_a_listed_person(resource: DataResource) -> None:
    make_person_record(
        list_kind="black", level="D", legal_basis="《备忘录》", reason="失信被执行人"
    )
    record = provider_for(resource).fetch(resource=resource, subject=APPLICANT_ID_NUMBER)
    assert record is not None
    assert record["level"] == "D"
    assert record["lists"] == ["black"]
    assert record["joint_punishment"] is True
    assert record["reasons"] and "失信被执行人" in record["reasons"][0]


def test_it_answers_none_without_valid_records(resource: DataResource) -> None:
    import datetime as dt

    make_record(valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2020, 12, 31))
    assert provider_for(resource).fetch(resource=resource, subject=ENTERPRISE_USCC) is None
