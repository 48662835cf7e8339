"""The exchange API: the public catalogue, share grants, and 谁用了我的数据."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.exchange.choices import GrantStatus
from tongban.exchange.models import DataResource, ShareGrant
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

API = "/api/v1"
Bearer = Callable[[User], dict[str, str]]


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_anyone_reads_the_catalogue_without_records(
    api_client: Client, population: DataResource, household: DataResource
) -> None:
    body = api_client.get(f"{API}/exchange/resources").json()

    assert body["total"] == 2
    first = body["items"][0]
    assert {"code", "provider", "share_type", "share_type_label", "field_count"} <= set(first)
    assert "张三" not in str(body) and "records" not in first
    by_code = {item["code"]: item for item in body["items"]}
    assert by_code["police.population"]["field_count"] == 3
    assert by_code["police.household"]["share_type_label"] == "有条件共享"


def test_the_catalogue_filters_by_department_and_words(
    api_client: Client, population: DataResource, household: DataResource
) -> None:
    assert api_client.get(f"{API}/exchange/resources?department=market").json()["total"] == 0
    assert api_client.get(f"{API}/exchange/resources?department=police").json()["total"] == 2
    found = api_client.get(f"{API}/exchange/resources?q=户籍").json()
    assert [item["code"] for item in found["items"]] == ["police.household"]


def test_a_resource_shows_its_fields(api_client: Client, population: DataResource) -> None:
    body = api_client.get(f"{API}/exchange/resources/police.population").json()

    assert [f["code"] for f in body["fields"]] == ["name", "gender", "address"]
    assert body["provider"]["code"] == "police"


def test_an_unknown_resource_is_a_404_problem(api_client: Client, departments: Any) -> None:
    _problem(api_client.get(f"{API}/exchange/resources/nothing.here"), 404)


def test_staff_ask_for_a_grant(
    api_client: Client, bearer: Bearer, clerk: User, household: DataResource
) -> None:
    response = api_client.post(
        f"{API}/exchange/grants",
        {"resource": "police.household", "reason": "核验经营者户籍"},
        content_type="application/json",
        **bearer(clerk),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested" and body["department"] == "market"
    assert body["requested_by"] == clerk.username


def test_asking_for_a_grant_needs_a_signed_in_member_of_staff(
    api_client: Client, bearer: Bearer, applicant: User, household: DataResource
) -> None:
    payload = {"resource": "police.household", "reason": "核验"}
    _problem(
        api_client.post(f"{API}/exchange/grants", payload, content_type="application/json"), 401
    )
    _problem(
        api_client.post(
            f"{API}/exchange/grants", payload, content_type="application/json", **bearer(applicant)
        ),
        403,
    )
    assert not ShareGrant.objects.exists()


def test_asking_for_an_unconditional_resource_names_the_field(
    api_client: Client, bearer: Bearer, clerk: User, population: DataResource
) -> None:
    body = _problem(
        api_client.post(
            f"{API}/exchange/grants",
            {"resource": "police.population", "reason": "核验"},
            content_type="application/json",
            **bearer(clerk),
        ),
        422,
    )
    assert body["errors"][0]["field"] == "resource"
    assert "无需申请" in body["errors"][0]["message"]


def test_a_grant_request_without_a_reason_is_refused(
    api_client: Client, bearer: Bearer, clerk: User, household: DataResource
) -> None:
    for payload in (
        {"resource": "police.household"},
        {"resource": "police.household", "reason": ""},
    ):
        body = _problem(
            api_client.post(
                f"{API}/exchange/grants", payload, content_type="application/json", **bearer(clerk)
            ),
            422,
        )
        assert body["errors"][0]["field"] == "reason"


def _requested(clerk: User, household: DataResource) -> ShareGrant:
    from tongban.exchange.services import grant_request

    return grant_request(
        actor=clerk,
        resource_code=household.code,
        department_code="market",
        matter_code=None,
        reason="核验经营者户籍",
    )


def test_a_data_steward_decides_a_grant(
    api_client: Client, bearer: Bearer, clerk: User, steward: User, household: DataResource
) -> None:
    grant = _requested(clerk, household)

    response = api_client.post(
        f"{API}/exchange/grants/{grant.pk}/decide",
        {"approve": True, "note": "同意", "valid_until": "2099-12-31"},
        content_type="application/json",
        **bearer(steward),
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["valid_until"] == "2099-12-31"


def test_a_clerk_may_not_decide_a_grant(
    api_client: Client, bearer: Bearer, clerk: User, household: DataResource
) -> None:
    grant = _requested(clerk, household)

    _problem(
        api_client.post(
            f"{API}/exchange/grants/{grant.pk}/decide",
            {"approve": True},
            content_type="application/json",
            **bearer(clerk),
        ),
        403,
    )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED


def test_deciding_an_unknown_grant_is_a_404(
    api_client: Client, bearer: Bearer, steward: User
) -> None:
    _problem(
        api_client.post(
            f"{API}/exchange/grants/999999/decide",
            {"approve": True},
            content_type="application/json",
            **bearer(steward),
        ),
        404,
    )


def test_a_citizen_sees_who_used_their_data(
    api_client: Client,
    bearer: Bearer,
    applicant: User,
    outsider: User,
    query: Any,
    population: DataResource,
    case: Any,
) -> None:
    query("police.population")

    body = api_client.get(f"{API}/me/data-access", **bearer(applicant)).json()

    assert body["total"] == 1
    access = body["items"][0]
    assert access["department"]["code"] == "market"
    assert access["resource_name"] == "人口基本信息"
    assert access["purpose"] == "核验申请人身份"
    assert access["case_no"] == (case.case_no or "")
    assert access["fields_returned"] == ["name", "gender", "address"]
    assert access["result_label"] == "成功"
    assert "*" in access["subject_masked"]
    assert api_client.get(f"{API}/me/data-access", **bearer(outsider)).json()["total"] == 0


def test_an_agent_sees_accesses_to_their_enterprises_data(
    api_client: Client, bearer: Bearer, agent_user: User, query: Any, departments: Any
) -> None:
    from tongban.conftest import ENTERPRISE_USCC
    from tongban.exchange.tests.factories import record_make, resource_make

    resource = resource_make(code="market.entity", provider="market", subject_kind="enterprise")
    record_make(
        resource=resource, subject=ENTERPRISE_USCC, data={"name": "上海通办示范科技有限公司"}
    )
    query("market.entity", subject=ENTERPRISE_USCC, department="police")

    assert api_client.get(f"{API}/me/data-access", **bearer(agent_user)).json()["total"] == 1


def test_data_access_needs_sign_in(api_client: Client, db: None) -> None:
    _problem(api_client.get(f"{API}/me/data-access"), 401)
