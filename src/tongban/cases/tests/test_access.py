"""No endpoint trusts an id alone: outsiders, other citizens and other departments get 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases.models import Case, Task
from tongban.cases.tests.factories import case_submitted, open_task, pdf_file
from tongban.catalog.models import Matter
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]


def _case_calls(case_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("get", f"/api/v1/applications/{case_id}", {}),
        ("patch", f"/api/v1/applications/{case_id}", {"form": {"project_name": "x"}}),
        ("post", f"/api/v1/applications/{case_id}/submit", {}),
        ("post", f"/api/v1/applications/{case_id}/withdraw", {}),
        ("post", f"/api/v1/applications/{case_id}/supplement", {"form": {}}),
        ("post", f"/api/v1/applications/{case_id}/extend", {"days": 1, "reason": "x"}),
    ]


def _call(
    client: Client, method: str, url: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    if method == "get":
        return client.get(url, **headers)
    return getattr(client, method)(url, body, content_type="application/json", **headers)


def test_an_outsider_gets_404_on_every_case_and_task_endpoint(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    outsider: User,
    drainage: Matter,
) -> None:
    case = case_submitted(applicant=applicant)
    task = open_task(case, "accept")
    them = bearer(outsider)
    for method, url, body in _case_calls(case.pk):
        response = _call(api_client, method, url, body, them)
        assert response.status_code == 404, (method, url, response.content)
        assert response["Content-Type"] == "application/problem+json"
    upload = api_client.post(
        f"/api/v1/applications/{case.pk}/materials",
        {"requirement": "site-photo", "file": pdf_file()},
        **them,
    )
    assert upload.status_code == 404
    for url in (f"/api/v1/tasks/{task.pk}/claim", f"/api/v1/tasks/{task.pk}/complete"):
        response = api_client.post(
            url, {"decision": "accept"}, content_type="application/json", **them
        )
        assert response.status_code == 404
    assert api_client.get("/api/v1/applications", **them).json() == []
    assert api_client.get("/api/v1/tasks?state=open", **them).json() == []
    case.refresh_from_db()
    assert case.status == "submitted"
    assert Task.objects.get().state == "open"


def test_every_endpoint_needs_a_signed_in_caller(
    api_client: Client, applicant: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    for method, url, body in _case_calls(case.pk):
        assert _call(api_client, method, url, body, {}).status_code == 401
    assert api_client.get("/api/v1/tasks").status_code == 401
    assert (
        api_client.post("/api/v1/applications", {}, content_type="application/json").status_code
        == 401
    )


def test_an_unknown_case_id_is_404(api_client: Client, bearer: Headers, applicant: User) -> None:
    response = api_client.get("/api/v1/applications/999999", **bearer(applicant))
    assert response.status_code == 404
    assert response.json()["detail"] == "办件不存在"


def test_a_police_clerk_cannot_see_or_act_on_a_market_task(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    clerk: User,
    police_clerk: User,
    drainage: Matter,
) -> None:
    case = case_submitted(applicant=applicant)
    task = open_task(case, "accept")
    police = bearer(police_clerk)
    assert api_client.get("/api/v1/tasks?state=open", **police).json() == []
    assert api_client.get(f"/api/v1/applications/{case.pk}", **police).status_code == 404
    response = api_client.post(
        f"/api/v1/tasks/{task.pk}/complete",
        {"decision": "accept"},
        content_type="application/json",
        **police,
    )
    assert response.status_code == 404
    # The market clerk of the same case sees it.
    assert api_client.get(f"/api/v1/applications/{case.pk}", **bearer(clerk)).status_code == 200


def test_a_colleague_with_another_role_is_forbidden_to_decide(
    api_client: Client, bearer: Headers, applicant: User, approver: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    task = open_task(case, "accept")
    response = api_client.post(
        f"/api/v1/tasks/{task.pk}/complete",
        {"decision": "accept"},
        content_type="application/json",
        **bearer(approver),
    )
    assert response.status_code == 403
    assert "窗口受理" in response.json()["detail"]
    assert Case.objects.get().status == "submitted"


def test_a_draft_is_invisible_to_staff_until_submitted(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    draft = api_client.post(
        "/api/v1/applications",
        {"matter": "drainage-permit"},
        content_type="application/json",
        **bearer(applicant),
    ).json()
    assert api_client.get(f"/api/v1/applications/{draft['id']}", **bearer(clerk)).status_code == 404


def test_the_agent_sees_the_enterprise_cases_and_the_citizen_only_their_own(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    agent_user: User,
    drainage: Matter,
) -> None:
    uscc = agent_user.agencies.get().enterprise.uscc
    body = {"matter": "drainage-permit", "applicant": {"type": "enterprise", "uscc": uscc}}
    created = api_client.post(
        "/api/v1/applications", body, content_type="application/json", **bearer(agent_user)
    )
    mine = case_submitted(applicant=applicant)
    agent_list = api_client.get("/api/v1/applications", **bearer(agent_user)).json()
    assert [c["id"] for c in agent_list] == [created.json()["id"]]
    assert (
        api_client.get(f"/api/v1/applications/{mine.pk}", **bearer(agent_user)).status_code == 404
    )
    citizen_list = api_client.get("/api/v1/applications", **bearer(applicant)).json()
    assert [c["id"] for c in citizen_list] == [mine.pk]


def test_the_center_admin_browses_cases_in_the_admin_read_only(
    center_admin: User, applicant: User, drainage: Matter
) -> None:
    center_admin.is_staff = True
    center_admin.is_superuser = True
    center_admin.save()
    case = case_submitted(applicant=applicant)
    client = Client()
    client.force_login(center_admin)
    assert client.get("/admin/cases/case/").status_code == 200
    detail = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert detail.status_code == 200
    assert case.case_no in detail.content.decode()
    assert client.get("/admin/cases/task/").status_code == 200
    assert client.get("/admin/cases/notification/").status_code == 200
    assert client.get("/admin/cases/case/add/").status_code == 403
