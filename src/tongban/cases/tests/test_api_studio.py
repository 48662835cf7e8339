"""The process studio's API: upload, approve, reject, history and diff (center admins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.catalog.models import Matter
from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.studio.validation import MAX_SOURCE_BYTES
from tongban.workflow.tests.test_studio import _fail_goes_to_denied

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]
BASE = "/api/v1/processes/standard_approval"


def _upload(api_client: Client, headers: dict[str, str], content: bytes, **extra: Any) -> Any:
    return api_client.post(
        f"{BASE}/versions",
        {"file": SimpleUploadedFile("standard_approval.bpmn", content), "note": "改网关", **extra},
        **headers,
    )


def _stored() -> int:
    return ProcessDefinition.objects.filter(uploaded_by__isnull=False).count()


def test_upload_approve_by_another_admin_and_read_the_history(
    api_client: Client,
    bearer: Headers,
    center_admin: User,
    second_admin: User,
    drainage: Matter,
) -> None:
    response = _upload(api_client, bearer(center_admin), _fail_goes_to_denied().encode())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["status"], body["uploaded_by"]) == (
        2,
        "validated",
        "center-admin",
    )
    assert body["validation_report"]["ok"] is True and body["based_on"] == 1

    own = api_client.post(
        f"{BASE}/versions/2/approve", {}, content_type="application/json", **bearer(center_admin)
    )
    assert own.status_code == 403
    assert "不能审批自己上传的版本" in own.json()["detail"]

    approved = api_client.post(
        f"{BASE}/versions/2/approve",
        {"comment": "同意"},
        content_type="application/json",
        **bearer(second_admin),
    )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["reviewed_by"]) == (
        "published",
        "center-admin-2",
    )
    again = api_client.post(
        f"{BASE}/versions/2/approve", {}, content_type="application/json", **bearer(second_admin)
    )
    assert again.status_code == 409

    history = api_client.get(f"{BASE}/history", **bearer(second_admin)).json()
    assert [(v["version"], v["status"]) for v in history] == [(2, "published"), (1, "published")]
    diff = api_client.get(f"{BASE}/diff?old=1&new=2", **bearer(second_admin)).json()
    assert [f["id"] for f in diff["flows_added"]] == ["flow_review_denied"]


def test_staff_who_are_not_center_admins_are_refused(
    api_client: Client, bearer: Headers, clerk: User, outsider: User, drainage: Matter
) -> None:
    assert _upload(api_client, bearer(clerk), _fail_goes_to_denied().encode()).status_code == 403
    assert _upload(api_client, bearer(outsider), b"<x/>").status_code == 403
    assert _upload(api_client, {}, b"<x/>").status_code == 401
    assert api_client.get(f"{BASE}/history", **bearer(clerk)).status_code == 403
    assert _stored() == 0


@pytest.mark.parametrize(
    ("content", "field", "words"),
    [
        (b"<bpmn:definitions", "source", "XML"),
        (b"x" * (MAX_SOURCE_BYTES + 10), "source", "文件过大"),
    ],
)
def test_bad_files_are_refused_with_field_errors_and_nothing_stored(
    api_client: Client,
    bearer: Headers,
    center_admin: User,
    drainage: Matter,
    content: bytes,
    field: str,
    words: str,
) -> None:
    response = _upload(api_client, bearer(center_admin), content)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert error["field"] == field and words in error["message"]
    assert _stored() == 0


def test_an_expression_is_named_by_its_element(
    api_client: Client, bearer: Headers, center_admin: User, drainage: Matter
) -> None:
    source = (engine.PROCESS_DIR / "standard_approval.bpmn").read_bytes()
    response = _upload(
        api_client, bearer(center_admin), source.replace(b'decision == "deny"', b"open('x')")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["flow_decide_denied"]
    assert _stored() == 0


@pytest.mark.parametrize(
    "path", ["nonexistent/versions/1", "standard_approval/versions/99999999999"]
)
def test_unknown_processes_and_versions_are_404(
    api_client: Client, bearer: Headers, center_admin: User, path: str
) -> None:
    response = api_client.post(
        f"/api/v1/processes/{path}/reject",
        {"comment": "x"},
        content_type="application/json",
        **bearer(center_admin),
    )
    assert response.status_code == 404
