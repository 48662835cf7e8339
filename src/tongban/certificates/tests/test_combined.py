"""许可一证通: five matters reviewed by their units, one combined licence, reissued on a change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.cases.tests.test_themes import (
    FORMS,
    _children,
    _create,
    _decide_all,
    _submit,
    _upload_missing,
    _user,
)
from tongban.certificates import signing
from tongban.certificates.choices import CertificateStatus
from tongban.certificates.combined import combined_licence_item_change
from tongban.certificates.models import Certificate
from tongban.core.errors import PermissionDenied, ValidationFailed
from tongban.demo.district import district_read
from tongban.demo.loader import demo_load
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]

DEMO_ENTERPRISE_USCC = district_read().demo_enterprise["uscc"]


@pytest.fixture
def demo(db: None) -> None:
    demo_load()


def _food_drug_applied(client: Client, bearer: Headers) -> dict[str, Any]:
    headers = bearer(_user("agent"))
    form = {**FORMS["food-drug-licence"], "uscc": DEMO_ENTERPRISE_USCC}
    body = {
        "theme": "food-drug-licence",
        "applicant": {"type": "enterprise", "uscc": DEMO_ENTERPRISE_USCC},
        "form": form,
    }
    response = _create(client, headers, body)
    assert response.status_code == 201, response.json()
    case = response.json()
    _upload_missing(client, headers, case)
    response = _submit(client, headers, case["id"])
    # 食品经营许可 takes the commitment route: unsigned, the whole theme is refused.
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "commitment"
    assert "食品经营许可" in response.json()["errors"][0]["message"]
    response = client.post(
        f"/api/v1/applications/{case['id']}/submit",
        {"commitment": {"signed": True}},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.json()
    return dict(response.json())


@pytest.fixture
def licence(demo: None, api_client: Client, bearer: Headers) -> Certificate:
    parent = _food_drug_applied(api_client, bearer)
    children = _children(parent["id"])
    assert len(children) == 5
    for child in children:
        _decide_all(api_client, bearer, child)
        child.refresh_from_db()
        # The item waits for the combined licence: no certificate of its own.
        assert not Certificate.objects.filter(case=child).exists()
    return Certificate.objects.get(case_id=parent["id"])


def test_five_approved_matters_give_one_combined_licence(
    licence: Certificate, api_client: Client, bearer: Headers
) -> None:
    assert licence.certificate_type.code == "food-drug-combined"
    items = licence.fields["items"]
    assert [i["matter"] for i in items] == [
        "food-business-licence",
        "drug-retail-licence",
        "device-2-filing",
        "device-3-licence",
        "health-food-filing",
    ]
    by_matter = {i["matter"]: i for i in items}
    # Each item keeps its own validity: filings have none, licences five years.
    assert by_matter["device-2-filing"]["valid_until"] is None
    assert by_matter["food-business-licence"]["valid_until"] is not None
    assert all(i["item_number"] and i["licence_type"] for i in items)
    assert signing.payload_verify(licence.payload, licence.signature).valid
    assert licence.payload["fields"]["items"] == items

    parent = api_client.get(
        f"/api/v1/applications/{licence.case_id}", **bearer(_user("agent"))
    ).json()
    assert parent["status"] == CaseStatus.COMPLETED
    assert [c["status"] for c in parent["children"]] == [CaseStatus.COMPLETED] * 5
    assert [c["number"] for c in parent["certificates"]] == [licence.number]


def test_changing_one_item_reissues_the_combined_licence(licence: Certificate) -> None:
    approver = _user("market-approver")

    new = combined_licence_item_change(
        certificate=licence,
        item_matter_code="drug-retail-licence",
        changes={"scope": "乙类非处方药、中药饮片"},
        actor=approver,
        reason="药品经营范围变更",
    )

    licence.refresh_from_db()
    assert licence.status == CertificateStatus.REVOKED
    assert new.replaces_id == licence.pk
    assert new.status == CertificateStatus.VALID
    changed = {i["matter"]: i for i in new.fields["items"]}
    assert changed["drug-retail-licence"]["scope"] == "乙类非处方药、中药饮片"
    assert "scope" not in changed["food-business-licence"]
    assert signing.payload_verify(new.payload, new.signature).valid
    assert (
        Case.objects.get(pk=licence.case_id).timeline.filter(action="certificate_reissued").exists()
    )


def test_it_refuses_a_change_of_an_item_the_licence_does_not_list(licence: Certificate) -> None:
    with pytest.raises(ValidationFailed) as raised:
        combined_licence_item_change(
            certificate=licence,
            item_matter_code="company-registration",
            changes={"scope": "x"},
            actor=_user("market-approver"),
            reason="变更",
        )
    assert raised.value.errors[0].field == "item_matter_code"
    assert Certificate.objects.filter(status=CertificateStatus.VALID, pk=licence.pk).exists()


def test_it_refuses_a_change_of_the_item_identity_or_a_bad_date(licence: Certificate) -> None:
    with pytest.raises(ValidationFailed) as raised:
        combined_licence_item_change(
            certificate=licence,
            item_matter_code="drug-retail-licence",
            changes={"licence_type": "other", "valid_until": "someday"},
            actor=_user("market-approver"),
            reason="变更",
        )
    fields = {e.field for e in raised.value.errors}
    assert fields == {"changes.licence_type", "changes.valid_until"}
    assert Certificate.objects.filter(certificate_type__code="food-drug-combined").count() == 1


def test_it_refuses_a_change_by_another_department(licence: Certificate) -> None:
    with pytest.raises(PermissionDenied):
        combined_licence_item_change(
            certificate=licence,
            item_matter_code="drug-retail-licence",
            changes={"scope": "x"},
            actor=_user("tax-approver"),
            reason="变更",
        )
