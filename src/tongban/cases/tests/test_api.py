"""The applications and tasks API over HTTP, with the test cast's bearer tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases.models import Case, CaseMaterial, IdempotencyRecord, Task
from tongban.cases.tests.api_helpers import (
    Headers,
    complete,
    create,
    open_task_id,
    upload,
)
from tongban.cases.tests.factories import PDF_BYTES, pdf_file
from tongban.catalog.models import Matter
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


def test_a_drainage_permit_goes_from_application_to_completion_over_http(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    drainage: Matter,
) -> None:
    me = bearer(applicant)
    created = create(api_client, me, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert created.status_code == 201, created.json()
    case = created.json()
    assert case["status"] == "draft"
    assert case["case_no"].startswith("JD") and len(case["case_no"]) == 16
    assert case["matter"] == {"code": "drainage-permit", "name": "排水许可"}
    assert [m["status"] for m in case["materials"]] == ["missing", "missing", "missing"]
    again = create(api_client, me, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert again.json()["id"] == case["id"]
    assert Case.objects.count() == 1

    uploaded = upload(api_client, me, case["id"], "application-form", pdf_file("../../申请表.pdf"))
    assert uploaded.status_code == 201, uploaded.json()
    material = uploaded.json()
    assert material["content_type"] == "application/pdf"
    assert material["size"] == len(PDF_BYTES)
    assert material["original_name"] == "申请表.pdf"
    stored = CaseMaterial.objects.get(case_id=case["id"], requirement_code="application-form")
    assert "申请表" not in stored.file.name and stored.file.name.endswith(".pdf")
    upload(api_client, me, case["id"], "pipe-network-map", pdf_file("管网图.pdf"))

    submitted = api_client.post(
        f"/api/v1/applications/{case['id']}/submit", HTTP_IDEMPOTENCY_KEY="submit-1", **me
    )
    assert submitted.status_code == 200, submitted.json()
    body = submitted.json()
    assert body["status"] == "submitted"
    assert body["acceptance_due_date"] is not None
    assert [t["kind"] for t in body["tasks"]] == ["accept"]

    clerk_h, reviewer_h, approver_h = bearer(clerk), bearer(reviewer), bearer(approver)
    tasks = api_client.get("/api/v1/tasks?state=open", **clerk_h).json()
    assert [(t["case_no"], t["kind"], t["applicant_name"]) for t in tasks] == [
        (case["case_no"], "accept", "张三")
    ]
    accepted = complete(
        api_client, clerk_h, tasks[0]["id"], {"decision": "accept", "comment": "材料齐全"}
    )
    assert accepted.status_code == 200, accepted.json()
    detail = api_client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert detail["status"] == "under_review"
    assert detail["due_date"] is not None

    review_id = open_task_id(api_client, reviewer_h, case["case_no"])
    assert complete(api_client, reviewer_h, review_id, {"decision": "pass"}).status_code == 200
    decide_id = open_task_id(api_client, approver_h, case["case_no"])
    assert complete(api_client, approver_h, decide_id, {"decision": "approve"}).status_code == 200

    final = api_client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert final["status"] == "completed"
    assert final["status_label"] == "已办结"
    assert [e["action"] for e in final["timeline"]] == [
        "created",
        "submitted",
        "accepted",
        "review_pass",
        "approved",
        "completed",
    ]
    # The applicant sees the department and the step, never the member of staff.
    assert {e["actor"] for e in final["timeline"]} == {None}
    assert final["timeline"][2]["department"] == "市场监管局"
    assert [s["state"] for s in final["steps"]] == ["done"] * 5
    assert final["certificates"] == [] and final["payment"] is None
    staff_view = api_client.get(f"/api/v1/applications/{case['id']}", **clerk_h).json()
    assert staff_view["timeline"][2]["actor"] == "market-clerk"
    assert api_client.get("/api/v1/tasks?state=open", **clerk_h).json() == []


def test_it_refuses_an_invalid_form_with_field_errors_and_saves_nothing(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    body = {
        "matter": "drainage-permit",
        "form": {"discharge_volume": "很多", "contact_email": "not-an-email"},
    }
    response = create(api_client, bearer(applicant), body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "form.contact_email": "联系邮箱：格式不正确",
        "form.discharge_volume": "日排水量（立方米）：类型不正确",
    }
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"form": {}}, "matter"),
        ({"matter": "no-such-matter"}, "matter"),
        ({"matter": "drainage-permit", "channel": "fax"}, "channel"),
        ({"theme": "open-company"}, "theme"),
        ({"matter": "drainage-permit", "applicant": {"type": "robot"}}, "applicant.type"),
        ({"matter": "drainage-permit", "form": "text"}, "form"),
    ],
)
def test_it_refuses_a_bad_application_with_a_field_error(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    drainage: Matter,
    body: dict[str, Any],
    field: str,
) -> None:
    response = create(api_client, bearer(applicant), body)
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Case.objects.count() == 0


def test_an_agent_applies_for_their_enterprise_and_a_citizen_may_not(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    agent_user: User,
    drainage: Matter,
) -> None:
    uscc = agent_user.agencies.get().enterprise.uscc
    body = {"matter": "drainage-permit", "applicant": {"type": "enterprise", "uscc": uscc}}
    response = create(api_client, bearer(agent_user), body)
    assert response.status_code == 201, response.json()
    assert response.json()["applicant"] == {
        "type": "enterprise",
        "name": "上海通办示范科技有限公司",
    }
    refused = create(api_client, bearer(applicant), body)
    assert refused.status_code == 403
    assert Case.objects.count() == 1


def test_staff_without_a_person_record_cannot_apply_as_a_person(
    api_client: Client, bearer: Headers, clerk: User, drainage: Matter
) -> None:
    response = create(api_client, bearer(clerk))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "applicant"


def test_the_same_idempotency_key_with_another_body_is_a_conflict(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    assert create(api_client, me, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    other = {"matter": "drainage-permit", "form": {"project_name": "另一个项目"}}
    response = create(api_client, me, other, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert Case.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("fake.pdf", "这其实是一个文本文件".encode()), "文件内容不是允许的格式"),
        (SimpleUploadedFile("empty.pdf", b""), "文件为空"),
        (SimpleUploadedFile("zip.pdf", b"PK\x03\x04not really a zip"), "文件内容不是允许的格式"),
    ],
)
def test_it_refuses_a_file_that_is_not_an_allowed_material(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    drainage: Matter,
    file: SimpleUploadedFile,
    message: str,
) -> None:
    me = bearer(applicant)
    case = create(api_client, me).json()
    response = upload(api_client, me, case["id"], "application-form", file)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert message in response.json()["errors"][0]["message"]
    assert (
        CaseMaterial.objects.get(case_id=case["id"], requirement_code="application-form").status
        == "missing"
    )


def test_it_refuses_an_oversized_file(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter, settings: Any
) -> None:
    settings.MATERIAL_MAX_BYTES = 1024
    me = bearer(applicant)
    case = create(api_client, me).json()
    response = upload(
        api_client, me, case["id"], "application-form", pdf_file(content=PDF_BYTES + b"0" * 2000)
    )
    assert response.status_code == 422
    assert "大小上限" in response.json()["errors"][0]["message"]


def test_it_refuses_an_unknown_requirement_code_and_a_missing_file(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = create(api_client, me).json()
    unknown = upload(api_client, me, case["id"], "no-such-material", pdf_file())
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "requirement"
    missing = api_client.post(
        f"/api/v1/applications/{case['id']}/materials", {"requirement": "application-form"}, **me
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "file"


def test_submit_lists_every_missing_field_and_material(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = create(api_client, me, {"matter": "drainage-permit", "form": {}}).json()
    response = api_client.post(f"/api/v1/applications/{case['id']}/submit", **me)
    assert response.status_code == 422
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert fields == [
        "form.discharge_volume",
        "form.project_name",
        "materials.application-form",
        "materials.pipe-network-map",
    ]
    assert "项目名称：必填" in [e["message"] for e in response.json()["errors"]]
    assert Case.objects.get().status == "draft"


def test_submit_twice_is_refused_unless_it_repeats_the_idempotency_key(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = create(api_client, me).json()
    for code in ("application-form", "pipe-network-map"):
        upload(api_client, me, case["id"], code, pdf_file())
    url = f"/api/v1/applications/{case['id']}/submit"
    first = api_client.post(url, HTTP_IDEMPOTENCY_KEY="s-1", **me)
    assert first.status_code == 200
    repeated = api_client.post(url, HTTP_IDEMPOTENCY_KEY="s-1", **me)
    assert repeated.status_code == 200
    assert repeated.json()["id"] == case["id"]
    second = api_client.post(url, **me)
    assert second.status_code == 409
    assert "已提交" in second.json()["detail"]
    assert Task.objects.count() == 1


def test_a_draft_form_is_patched_and_validated(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = create(api_client, me).json()
    url = f"/api/v1/applications/{case['id']}"
    ok = api_client.patch(
        url, {"form": {"contact_email": "a@example.cn"}}, content_type="application/json", **me
    )
    assert ok.status_code == 200
    assert ok.json()["form"]["contact_email"] == "a@example.cn"
    bad = api_client.patch(
        url, {"form": {"discharge_volume": -1}}, content_type="application/json", **me
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "form.discharge_volume"
