"""The input boundary (core/boundary.py): each request the hardening review found giving a 500.

Every one is refused with a clear 4xx before a view runs, and nothing is saved. The same file
runs on PostgreSQL (make test TEST_POSTGRES=1), which refuses NUL bytes and out-of-range
integers that SQLite accepts: there a request that got past the boundary would be a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tongban.cases.models import Case, TimelineEntry
from tongban.cases.tests.factories import case_draft, case_submitted, open_task
from tongban.catalog.models import Matter
from tongban.core.boundary import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _state() -> tuple[int, int, list[tuple[int, str]]]:
    return (
        Case.objects.count(),
        TimelineEntry.objects.count(),
        list(Case.objects.order_by("pk").values_list("pk", "status")),
    )


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/matters?q=a%00b",
        "/api/v1/matters?section=%01",
        "/api/v1/matters?page=99999999999999999999999",
        "/api/v1/applications/99999999999999999999999",
    ],
)
def test_anonymous_api_reads_with_nul_or_huge_numbers_are_refused(
    api_client: Client, path: str
) -> None:
    response = api_client.get(path)
    # NUL in the query: 400 (boundary); a huge id in the path: 404; a page beyond its
    # documented bound: 422 (the parameter's own limit).
    assert response.status_code in (400, 404, 422)
    _problem(response, response.status_code)


def test_a_nul_in_the_path_is_not_found(api_client: Client, client: Client) -> None:
    _problem(api_client.get("/api/v1/verify/RP%00"), 404)
    assert client.get("/verify/RP%00/").status_code == 404


def test_a_nul_in_the_query_names_the_parameter(api_client: Client) -> None:
    body = _problem(api_client.get("/api/v1/matters?q=a%00b"), 400)
    assert body["errors"] == [{"field": "q", "message": body["detail"]}]
    assert "NUL" in body["detail"]


def test_a_long_digit_filter_reaches_the_view_and_its_own_message(
    client: Client, api_client: Client
) -> None:
    response = api_client.get("/api/v1/stats/overview?from=" + "9" * 200)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "from"


def test_a_long_digit_search_is_still_a_search(api_client: Client) -> None:
    # Free text may be digits of any length; only its control characters are refused.
    assert api_client.get("/api/v1/matters?q=123456789012345678901234567").status_code == 200


def test_a_nul_in_the_sign_in_username_is_refused(api_client: Client, applicant: User) -> None:
    response = api_client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "citi\u0000zen", "password": "x"}),
        content_type="application/json",
    )
    body = _problem(response, 400)
    assert body["errors"][0]["field"] == "username"


def test_a_page_with_a_nul_in_the_search_shows_the_styled_error_page(client: Client) -> None:
    response = client.get("/search/?q=a%00b")
    assert response.status_code == 400
    text = response.content.decode()
    assert "请求含有无效字符" in text and "返回首页" in text and "Traceback" not in text


def test_a_nul_in_a_form_field_is_refused_and_nothing_saved(
    client: Client, applicant: User, drainage: Matter
) -> None:
    client.force_login(applicant)
    before = _state()
    response = client.post(
        f"/apply/{drainage.code}/",
        {"project_name": "污水\u0000纳管", "discharge_volume": "12"},
    )
    assert response.status_code == 400
    assert "project_name" in response.content.decode()
    assert _state() == before


def test_a_nul_in_a_cookie_is_refused_before_the_session_is_read(client: Client) -> None:
    client.cookies["sessionid"] = "abcdefgh\u0000ijk"
    response = client.get("/")
    assert response.status_code == 400


@pytest.mark.parametrize("endpoint", ["submit", "supplement"])
def test_json_nested_a_thousand_deep_is_refused(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter, endpoint: str
) -> None:
    case = case_draft(applicant=applicant)
    before = _state()
    response = api_client.post(
        f"/api/v1/applications/{case.pk}/{endpoint}",
        data='{"deferred": ' + _deep(1000) + "}",
        content_type="application/json",
        **bearer(applicant),
    )
    body = _problem(response, 400)
    assert str(MAX_JSON_DEPTH) in body["detail"]
    assert _state() == before


def test_json_just_within_the_depth_limit_reaches_the_view(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    case = case_draft(applicant=applicant)
    response = api_client.post(
        f"/api/v1/applications/{case.pk}/submit",
        data='{"deferred": ' + _deep(MAX_JSON_DEPTH - 1) + "}",
        content_type="application/json",
        **bearer(applicant),
    )
    # The view's own validation answers (the shape is wrong), not the boundary.
    assert response.status_code == 422


def test_brackets_inside_json_strings_do_not_count_as_depth(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    case = case_draft(applicant=applicant)
    text = "[" * 200 + "{" * 200
    response = api_client.patch(
        f"/api/v1/applications/{case.pk}",
        data=json.dumps({"form": {"project_name": text[:100], "discharge_volume": 5}}),
        content_type="application/json",
        **bearer(applicant),
    )
    assert response.status_code == 200, response.content[:300]


def test_an_integer_beyond_bigint_in_json_is_refused(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    before = _state()
    response = api_client.post(
        f"/api/v1/applications/{case.pk}/extend",
        data='{"days": 99999999999999999999999, "reason": "x"}',
        content_type="application/json",
        **bearer(applicant),
    )
    _problem(response, 400)
    assert _state() == before


def test_a_nul_escaped_in_a_json_string_is_refused(
    api_client: Client, bearer: Headers, clerk: User, applicant: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    task = open_task(case, "accept")
    before = _state()
    response = api_client.post(
        f"/api/v1/tasks/{task.pk}/complete",
        data=json.dumps({"decision": "accept", "comment": "同意\u0000"}),
        content_type="application/json",
        **bearer(clerk),
    )
    body = _problem(response, 400)
    assert body["errors"][0]["field"] == "comment"
    assert _state() == before


def test_an_oversized_body_is_refused(
    api_client: Client, bearer: Headers, applicant: User, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.post(
        "/api/v1/applications",
        data=json.dumps({"matter": "x", "form": {"a": "x" * 5000}}),
        content_type="application/json",
        **bearer(applicant),
    )
    _problem(response, 413)


def test_two_thousand_multipart_fields_are_refused(client: Client, applicant: User) -> None:
    client.force_login(applicant)
    response = client.post("/apply/drainage-permit/", {f"f{i}": "x" for i in range(2000)})
    assert response.status_code == 400
    assert "字段过多" in response.content.decode()


def test_a_multipart_body_without_a_boundary_is_refused(api_client: Client) -> None:
    response = api_client.generic(
        "POST",
        "/api/v1/auth/token",
        data=b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--",
        content_type="multipart/form-data",
    )
    _problem(response, 400)


# The NUL cases of the other apps' bad-input tests: refused here, before their views, whoever
# asks (the boundary runs before authentication), and nothing is saved.
NUL_REQUESTS = [
    ("post", "/api/v1/counter/tickets", {"section": "com\u0000merce"}, 400),
    ("get", "/api/v1/counter/tickets/%00", None, 404),
    ("get", "/api/v1/counter/outputs?q=A%00", None, 400),
    ("post", "/api/v1/counter/outputs/1/hand-over", {"agent_authorisation": "委托\u0000书"}, 400),
    ("post", "/api/v1/applications/1/evaluations", {"score": 3, "comment": "a\u0000b"}, 400),
    ("post", "/api/v1/applications/1/evaluations", {"score": 99999999999999999999}, 400),
    ("get", "/api/v1/micro/cases?case_no=X&id_number=3101%00", None, 400),
    ("get", "/m/query/?case_no=%00&id=1", None, 400),
    ("post", "/m/appointments/", {"section": "commerce\u0000", "day": "2026-09-16"}, 400),
    ("get", "/center/ticket/A001%00/", None, 404),
    ("post", "/center/ticket/", {"section": "commerce\u0000"}, 400),
    ("get", "/center/ticket/matters/?section=nowhere%00", None, 400),
    ("post", "/workbench/desk/outputs/1/hand-over/", {"id_number": "310\u0000"}, 400),
    ("post", "/workbench/counter/finish/", {"number": "x\u0000"}, 400),
    ("get", "/workbench/stats/?department=market%00", None, 400),
    ("get", "/workbench/processes/standard_approval/heatmap/?version=x%00", None, 400),
]


@pytest.mark.parametrize(("method", "path", "data", "status"), NUL_REQUESTS)
def test_a_nul_anywhere_is_refused_before_the_view(
    client: Client, method: str, path: str, data: dict[str, Any] | None, status: int
) -> None:
    before = _state()
    if method == "get":
        response = client.get(path)
    elif path.startswith("/api/"):
        response = client.post(path, data=json.dumps(data), content_type="application/json")
    else:
        response = client.post(path, data)
    assert response.status_code == status, (path, response.content[:200])
    assert _state() == before
