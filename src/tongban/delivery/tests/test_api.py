"""The delivery API: choosing how the licence arrives, and tracking it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases.models import Case
from tongban.delivery import services
from tongban.delivery.choices import DeliveryMethod, DeliveryStatus
from tongban.delivery.tests.factories import address, case_issued, delivery_order
from tongban.identity.models import User

pytestmark = pytest.mark.usefixtures("drainage")

Bearer = Callable[[User], dict[str, str]]


def _post(client: Client, case: Case, body: Any, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/applications/{case.pk}/delivery",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


def _get(client: Client, case_id: int, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/applications/{case_id}/delivery", **headers)


def _case_under_review(applicant: User) -> Case:
    return case_issued(applicant=applicant, status="under_review", method="electronic")


def test_the_applicant_chooses_post_with_a_valid_address(
    api_client: Client, applicant: User, bearer: Bearer
) -> None:
    case = _case_under_review(applicant)
    response = _post(
        api_client, case, {"method": "post", "address": address(district="嘉定")}, bearer(applicant)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["method"] == "post"
    assert body["status"] is None
    assert body["address"]["district"] == "嘉定区"
    assert body["address"]["phone"] == "138****1234"
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.POST
    assert case.delivery_address["phone"] == "13800001234"


def test_a_bad_address_gets_field_errors_and_changes_nothing(
    api_client: Client, applicant: User, bearer: Bearer
) -> None:
    case = _case_under_review(applicant)
    bad = address(phone="12345", district="西湖区", address="短")
    response = _post(api_client, case, {"method": "post", "address": bad}, bearer(applicant))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "address.phone": "请填写有效的中国大陆手机号",
        "address.district": "“西湖区”不是上海市的区县",
        "address.address": "详细地址应为5至200个字",
    }
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC
    assert case.delivery_address == {}


def test_post_without_an_address_is_refused(
    api_client: Client, applicant: User, bearer: Bearer
) -> None:
    case = _case_under_review(applicant)
    response = _post(api_client, case, {"method": "post"}, bearer(applicant))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "address"


def test_an_unknown_method_is_refused(api_client: Client, applicant: User, bearer: Bearer) -> None:
    case = _case_under_review(applicant)
    response = _post(api_client, case, {"method": "drone"}, bearer(applicant))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "method"


def test_an_outsider_gets_404_for_both_endpoints(
    api_client: Client, applicant: User, outsider: User, bearer: Bearer
) -> None:
    case = _case_under_review(applicant)
    headers = bearer(outsider)
    assert _post(api_client, case, {"method": "pickup"}, headers).status_code == 404
    assert _get(api_client, case.pk, headers).status_code == 404
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC


def test_without_credentials_it_is_401(api_client: Client, applicant: User) -> None:
    case = _case_under_review(applicant)
    assert _get(api_client, case.pk, {}).status_code == 401


def test_the_applicant_tracks_the_parcel(
    api_client: Client, applicant: User, bearer: Bearer
) -> None:
    order = services.delivery_advance(order=delivery_order(applicant=applicant))
    response = _get(api_client, order.case_id, bearer(applicant))
    assert response.status_code == 200
    body = response.json()
    assert body["method"] == "post"
    assert body["status"] == DeliveryStatus.COLLECTED
    assert body["status_label"] == "已揽收"
    assert body["carrier"] == "沙箱快递"
    assert body["tracking_no"] == order.tracking_no
    assert [e["status"] for e in body["events"]] == ["created", "collected"]
    assert body["events"][1]["location"] == "上海市嘉定区行政服务中心"


def test_staff_of_a_department_on_the_case_see_the_tracking(
    api_client: Client,
    applicant: User,
    clerk: User,
    police_clerk: User,
    bearer: Bearer,
) -> None:
    order = delivery_order(applicant=applicant)
    # The drainage case's acceptance task belongs to market, whose clerk may look.
    assert _get(api_client, order.case_id, bearer(clerk)).status_code == 200
    assert _get(api_client, order.case_id, bearer(police_clerk)).status_code == 404


def test_regions_are_public(api_client: Client, db: None) -> None:
    response = api_client.get("/api/v1/delivery/regions")
    assert response.status_code == 200
    provinces = {p["name"]: p for p in response.json()}
    assert len(provinces) == 31
    shanghai = provinces["上海市"]["cities"][0]
    assert len(shanghai["districts"]) == 16


def test_an_issued_case_can_no_longer_change_its_method(
    api_client: Client, applicant: User, bearer: Bearer
) -> None:
    case = case_issued(applicant=applicant)
    response = _post(api_client, case, {"method": "pickup"}, bearer(applicant))
    assert response.status_code == 409
