"""流程工作室 pages: center admins only; upload, the reports, four eyes, the diff."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.tests.test_studio import _fail_goes_to_denied

pytestmark = pytest.mark.django_db

BASE = "/workbench/studio/standard_approval/"


def html(response: Any) -> str:
    return response.content.decode()


def _upload(client: Client, content: bytes, note: str = "审查不通过直接不予许可") -> Any:
    return client.post(
        BASE + "upload/",
        {"file": SimpleUploadedFile("standard_approval.bpmn", content), "note": note},
    )


def _stored() -> int:
    return ProcessDefinition.objects.filter(uploaded_by__isnull=False).count()


def test_only_center_admins_see_the_studio(client: Client, clerk: User, departments: Any) -> None:
    assert client.get("/workbench/studio/").status_code == 302
    client.force_login(clerk)
    assert client.get("/workbench/studio/").status_code == 403
    assert _upload(client, _fail_goes_to_denied().encode()).status_code == 403
    assert _stored() == 0


def test_upload_reports_and_approval_by_a_second_admin(
    client: Client, center_admin: User, second_admin: User, departments: Any
) -> None:
    client.force_login(center_admin)
    listing = html(client.get("/workbench/studio/"))
    assert "standard_approval" in listing and "credit_route" in listing

    response = _upload(client, _fail_goes_to_denied().encode())
    assert response.status_code == 302 and response["Location"] == BASE + "2/"
    page = html(client.get(BASE + "2/"))
    assert "校验报告" in page and "网关条件在允许的表达式范围内" in page
    assert "试运行" in page and "flow_review_denied" in page and "新增连线" in page
    assert 'id="own-upload"' in page and 'id="approve"' not in page

    own = client.post(BASE + "2/approve/", {"comment": ""})
    assert own.status_code == 403 and "不能审批自己上传的版本" in html(own)
    assert ProcessDefinition.objects.get(version=2, name="standard_approval").status == "validated"

    client.force_login(second_admin)
    assert 'id="approve"' in html(client.get(BASE + "2/"))
    assert client.post(BASE + "2/approve/", {"comment": "同意"}).status_code == 302
    history = html(client.get(BASE))
    assert "已发布" in history and "同意" in history and "center-admin-2" in history
    again = client.post(BASE + "2/approve/", {})
    assert again.status_code == 409


def test_a_bad_upload_shows_each_problem_and_stores_nothing(
    client: Client, center_admin: User, departments: Any
) -> None:
    client.force_login(center_admin)
    source = (engine.PROCESS_DIR / "standard_approval.bpmn").read_bytes()
    response = _upload(client, source.replace(b'decision == "deny"', b"a.b"))
    assert response.status_code == 422
    assert "flow_decide_denied" in html(response) and "不允许访问属性" in html(response)
    assert _stored() == 0


def test_the_modeler_saves_a_new_version_or_names_the_problems(
    client: Client, center_admin: User, departments: Any
) -> None:
    client.force_login(center_admin)
    page = html(client.get(BASE + "modeler/"))
    assert 'data-save-url="/workbench/studio/standard_approval/modeler/"' in page
    source = client.get(BASE + "1/source.xml")
    assert source["Content-Type"].startswith("application/xml")
    bad = client.post(
        BASE + "modeler/",
        json.dumps({"xml": source.content.decode().replace('decision == "deny"', "x[0]")}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["flow_decide_denied"]
    good = client.post(
        BASE + "modeler/",
        json.dumps({"xml": _fail_goes_to_denied(), "note": "在线编辑"}),
        content_type="application/json",
    )
    assert good.status_code == 201 and good.json()["url"] == BASE + "2/"
    assert (
        client.post(BASE + "modeler/", "nope", content_type="application/json").status_code == 400
    )


def test_unknown_processes_and_versions_are_404(client: Client, center_admin: User) -> None:
    client.force_login(center_admin)
    assert client.get("/workbench/studio/nonexistent/").status_code == 404
    assert client.get(BASE + "99999999999/").status_code == 404
    assert client.get(BASE + "7/source.xml").status_code == 404


def test_the_studio_in_english(client: Client, center_admin: User, departments: Any) -> None:
    client.force_login(center_admin)
    client.cookies["django_language"] = "en"
    _upload(client, _fail_goes_to_denied().encode())
    page = html(client.get(BASE + "2/"))
    assert "Validation report" in page and "Dry run" in page


def test_a_decision_table_version_shows_its_rule_changes(
    client: Client, center_admin: User, second_admin: User, departments: Any
) -> None:
    source = (engine.PROCESS_DIR / "credit_route.dmn").read_bytes()
    changed = source.replace(
        '<text>"事项不适用告知承诺"</text>'.encode(), '<text>"本事项不适用告知承诺"</text>'.encode()
    )
    client.force_login(center_admin)
    response = client.post(
        "/workbench/studio/credit_route/upload/",
        {"file": SimpleUploadedFile("credit_route.dmn", changed), "note": "理由措辞"},
    )
    assert response.status_code == 302
    page = html(client.get(response["Location"]))
    assert "rule_8" in page and "本事项不适用告知承诺" in page and 'id="dry-run"' not in page
    assert 'id="diagram"' not in page
    assert client.get("/workbench/studio/credit_route/modeler/").status_code == 302
