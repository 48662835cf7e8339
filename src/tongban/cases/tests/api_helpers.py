"""What the API tests of applications and tasks share: requests as the test cast makes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from tongban.cases.tests.conftest import VALID_FORM
from tongban.cases.tests.factories import pdf_file
from tongban.identity.models import User

Headers = Callable[[User], dict[str, str]]


def create(
    client: Client, headers: dict[str, str], body: dict[str, Any] | None = None, **extra: str
) -> Any:
    body = body if body is not None else {"matter": "drainage-permit", "form": VALID_FORM}
    return client.post(
        "/api/v1/applications", body, content_type="application/json", **headers, **extra
    )


def upload(client: Client, headers: dict[str, str], case_id: int, code: str, file: Any) -> Any:
    return client.post(
        f"/api/v1/applications/{case_id}/materials",
        {"requirement": code, "file": file},
        **headers,
    )


def complete(client: Client, headers: dict[str, str], task_id: int, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/tasks/{task_id}/complete", body, content_type="application/json", **headers
    )


def open_task_id(client: Client, headers: dict[str, str], case_no: str) -> int:
    tasks = client.get("/api/v1/tasks?state=open", **headers).json()
    return next(t["id"] for t in tasks if t["case_no"] == case_no)


def submitted(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    case = create(client, headers).json()
    for code in ("application-form", "pipe-network-map"):
        assert upload(client, headers, case["id"], code, pdf_file()).status_code == 201
    response = client.post(f"/api/v1/applications/{case['id']}/submit", **headers)
    assert response.status_code == 200, response.json()
    return response.json()


def json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
