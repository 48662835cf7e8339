"""The applications and tasks API over HTTP, with the test cast's bearer tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases.models import Case, CaseMaterial, IdempotencyRecord, Task, TimelineEntry
from tongban.cases.tests.conftest import VALID_FORM
from tongban.cases.tests.factories import PDF_BYTES, pdf_file
from tongban.catalog.models import Matter
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]


def _create(
    client: Client, headers: dict[str, str], body: dict[str, Any] | None = None, **extra: str
) -> Any:
    body = body if body is not None else {"matter": "drainage-permit", "form": VALID_FORM}
    return client.post(
        "/api/v1/applications", body, content_type="application/json", **headers, **extra
    )


def _upload(client: Client, headers: dict[str, str], case_id: int, code: str, file: Any) -> Any:
    return client.post(
        f"/api/v1/applications/{case_id}/materials",
        {"requirement": code, "file": file},
        **headers,
    )


def _complete(client: Client, headers: dict[str, str], task_id: int, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/tasks/{task_id}/complete", body, content_type="application/json", **headers
    )


def _open_task_id(client: Client, headers: dict[str, str], case_no: str) -> int:
    tasks = client.get("/api/v1/tasks?state=open", **headers).json()
    return next(t["id"] for t in tasks if t["case_no"] == case_no)


def _submitted(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    case = _create(client, headers).json()
    for code in ("application-form", "pipe-network-map"):
        assert _upload(client, headers, case["id"], code, pdf_file()).status_code == 201
    response = client.post(f"/api/v1/applications/{case['id']}/submit", **headers)
    assert response.status_code == 200, response.json()
    return response.json()


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
    created = _create(api_client, me, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert created.status_code == 201, created.json()
    case = created.json()
    assert case["status"] == "draft"
    assert case["case_no"].startswith("JD") and len(case["case_no"]) == 16
    assert case["matter"] == {"code": "drainage-permit", "name": "排水许可"}
    assert [m["status"] for m in case["materials"]] == ["missing", "missing", "missing"]
    again = _create(api_client, me, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert again.json()["id"] == case["id"]
    assert Case.objects.count() == 1

    upload = _upload(api_client, me, case["id"], "application-form", pdf_file("../../申请表.pdf"))
    assert upload.status_code == 201, upload.json()
    material = upload.json()
    assert material["content_type"] == "application/pdf"
    assert material["size"] == len(PDF_BYTES)
    assert material["original_name"] == "申请表.pdf"
    stored = CaseMaterial.objects.get(case_id=case["id"], requirement_code="application-form")
    assert "申请表" not in stored.file.name and stored.file.name.endswith(".pdf")
    _upload(api_client, me, case["id"], "pipe-network-map", pdf_file("管网图.pdf"))

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
    accepted = _complete(
        api_client, clerk_h, tasks[0]["id"], {"decision": "accept", "comment": "材料齐全"}
    )
    assert accepted.status_code == 200, accepted.json()
    detail = api_client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert detail["status"] == "under_review"
    assert detail["due_date"] is not None

    review_id = _open_task_id(api_client, reviewer_h, case["case_no"])
    assert _complete(api_client, reviewer_h, review_id, {"decision": "pass"}).status_code == 200
    decide_id = _open_task_id(api_client, approver_h, case["case_no"])
    assert _complete(api_client, approver_h, decide_id, {"decision": "approve"}).status_code == 200

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
    response = _create(api_client, bearer(applicant), body)
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
    response = _create(api_client, bearer(applicant), body)
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
    response = _create(api_client, bearer(agent_user), body)
    assert response.status_code == 201, response.json()
    assert response.json()["applicant"] == {
        "type": "enterprise",
        "name": "上海通办示范科技有限公司",
    }
    refused = _create(api_client, bearer(applicant), body)
    assert refused.status_code == 403
    assert Case.objects.count() == 1


def test_staff_without_a_person_record_cannot_apply_as_a_person(
    api_client: Client, bearer: Headers, clerk: User, drainage: Matter
) -> None:
    response = _create(api_client, bearer(clerk))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "applicant"


def test_the_same_idempotency_key_with_another_body_is_a_conflict(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    assert _create(api_client, me, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    other = {"matter": "drainage-permit", "form": {"project_name": "另一个项目"}}
    response = _create(api_client, me, other, HTTP_IDEMPOTENCY_KEY="k-1")
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
    case = _create(api_client, me).json()
    response = _upload(api_client, me, case["id"], "application-form", file)
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
    case = _create(api_client, me).json()
    response = _upload(
        api_client, me, case["id"], "application-form", pdf_file(content=PDF_BYTES + b"0" * 2000)
    )
    assert response.status_code == 422
    assert "大小上限" in response.json()["errors"][0]["message"]


def test_it_refuses_an_unknown_requirement_code_and_a_missing_file(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = _create(api_client, me).json()
    unknown = _upload(api_client, me, case["id"], "no-such-material", pdf_file())
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
    case = _create(api_client, me, {"matter": "drainage-permit", "form": {}}).json()
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
    case = _create(api_client, me).json()
    for code in ("application-form", "pipe-network-map"):
        _upload(api_client, me, case["id"], code, pdf_file())
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


def test_completing_a_task_twice_is_a_conflict(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    case = _submitted(api_client, bearer(applicant))
    clerk_h = bearer(clerk)
    task_id = _open_task_id(api_client, clerk_h, case["case_no"])
    assert _complete(api_client, clerk_h, task_id, {"decision": "accept"}).status_code == 200
    timeline = TimelineEntry.objects.count()
    again = _complete(api_client, clerk_h, task_id, {"decision": "reject", "comment": "重复"})
    assert again.status_code == 409
    assert Case.objects.get().status == "under_review"
    assert TimelineEntry.objects.count() == timeline


def test_it_refuses_a_decision_the_task_does_not_allow_and_a_refusal_without_reason(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    case = _submitted(api_client, bearer(applicant))
    clerk_h = bearer(clerk)
    task_id = _open_task_id(api_client, clerk_h, case["case_no"])
    wrong = _complete(api_client, clerk_h, task_id, {"decision": "approve"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "decision"
    assert "accept" in wrong.json()["errors"][0]["message"]
    no_reason = _complete(api_client, clerk_h, task_id, {"decision": "reject", "comment": "  "})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "comment"
    bad_items = _complete(
        api_client,
        clerk_h,
        task_id,
        {"decision": "request_supplement", "data": {"items": [{"kind": "material", "code": "x"}]}},
    )
    assert bad_items.status_code == 422
    assert bad_items.json()["errors"][0]["field"] == "data.items[0].code"
    assert Case.objects.get().status == "submitted"
    assert Task.objects.get().state == "open"


def test_a_rejection_at_acceptance_ends_the_case_with_its_reason(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = _submitted(api_client, me)
    clerk_h = bearer(clerk)
    task_id = _open_task_id(api_client, clerk_h, case["case_no"])
    response = _complete(
        api_client, clerk_h, task_id, {"decision": "reject", "comment": "不属于本部门职权范围"}
    )
    assert response.status_code == 200
    detail = api_client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert detail["status"] == "rejected"
    assert detail["outcome_reason"] == "不属于本部门职权范围"
    assert [s["state"] for s in detail["steps"]] == ["done", "done", "skipped", "skipped", "done"]


def test_a_supplement_answer_when_none_was_asked_is_refused(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = _submitted(api_client, me)
    response = api_client.post(
        f"/api/v1/applications/{case['id']}/supplement",
        {"form": {"project_name": "改名"}},
        content_type="application/json",
        **me,
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "没有待补正的内容"
    assert Case.objects.get().form_data["project_name"] == VALID_FORM["project_name"]


def test_a_supplement_request_is_answered_over_http_with_a_file(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = _submitted(api_client, me)
    clerk_h = bearer(clerk)
    task_id = _open_task_id(api_client, clerk_h, case["case_no"])
    items = [
        {"kind": "material", "code": "pipe-network-map", "reason": "图纸不清晰"},
        {"kind": "field", "code": "discharge_volume", "reason": "排水量与图纸不符"},
    ]
    response = _complete(
        api_client, clerk_h, task_id, {"decision": "request_supplement", "data": {"items": items}}
    )
    assert response.status_code == 200, response.json()
    detail = api_client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert detail["status"] == "supplement_required"
    assert detail["sla_state"] == "suspended"
    notice = detail["supplement"]["message"]
    assert "排水管网图" in notice and "日排水量（立方米）" in notice
    incomplete = api_client.post(
        f"/api/v1/applications/{case['id']}/supplement",
        {"form": json_text({"discharge_volume": 80})},
        **me,
    )
    assert incomplete.status_code == 422
    assert incomplete.json()["errors"][0]["field"] == "files.pipe-network-map"
    answered = api_client.post(
        f"/api/v1/applications/{case['id']}/supplement",
        {"form": json_text({"discharge_volume": 80}), "pipe-network-map": pdf_file("新图.pdf")},
        **me,
    )
    assert answered.status_code == 200, answered.json()
    body = answered.json()
    assert body["status"] == "submitted"
    assert body["form"]["discharge_volume"] == 80
    assert body["supplement"] is None
    assert [t["state"] for t in body["tasks"]] == ["completed", "open"]


def test_withdrawal_cancels_open_tasks_and_is_refused_after_a_decision(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = _submitted(api_client, me)
    url = f"/api/v1/applications/{case['id']}/withdraw"
    response = api_client.post(url, {"reason": "项目取消"}, content_type="application/json", **me)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert Task.objects.get().state == "cancelled"
    again = api_client.post(url, {}, content_type="application/json", **me)
    assert again.status_code == 409
    assert "已撤回" in again.json()["detail"]


def test_the_approver_extends_once_and_others_may_not(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    clerk: User,
    approver: User,
    drainage: Matter,
) -> None:
    case = _submitted(api_client, bearer(applicant))
    clerk_h = bearer(clerk)
    task_id = _open_task_id(api_client, clerk_h, case["case_no"])
    _complete(api_client, clerk_h, task_id, {"decision": "accept"})
    url = f"/api/v1/applications/{case['id']}/extend"
    by_clerk = api_client.post(
        url, {"days": 5, "reason": "需现场勘查"}, content_type="application/json", **clerk_h
    )
    assert by_clerk.status_code == 403
    approver_h = bearer(approver)
    before = Case.objects.get().due_date
    too_long = api_client.post(
        url, {"days": 30, "reason": "x"}, content_type="application/json", **approver_h
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "days"
    ok = api_client.post(
        url, {"days": 5, "reason": "需现场勘查"}, content_type="application/json", **approver_h
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["extension_days"] == 5
    assert Case.objects.get().due_date > before
    twice = api_client.post(
        url, {"days": 2, "reason": "再延"}, content_type="application/json", **approver_h
    )
    assert twice.status_code == 409


def test_a_draft_form_is_patched_and_validated(
    api_client: Client, bearer: Headers, applicant: User, drainage: Matter
) -> None:
    me = bearer(applicant)
    case = _create(api_client, me).json()
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


def json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_every_task_lists_the_decisions_it_accepts(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    drainage: Matter,
) -> None:
    me, clerk_h = bearer(applicant), bearer(clerk)
    case = _submitted(api_client, me)
    assert [t["decisions"] for t in case["tasks"]] == [["accept", "reject", "request_supplement"]]
    tasks = api_client.get("/api/v1/tasks?state=open", **clerk_h).json()
    assert tasks[0]["decisions"] == ["accept", "reject", "request_supplement"]
    done = _complete(api_client, clerk_h, tasks[0]["id"], {"decision": "accept"}).json()
    assert done["state"] == "completed" and done["decisions"] == []
    review = api_client.get("/api/v1/tasks?state=open", **bearer(reviewer)).json()
    assert review[0]["decisions"] == ["pass", "fail", "request_supplement"]
    _complete(api_client, bearer(reviewer), review[0]["id"], {"decision": "pass"})
    decide = api_client.get("/api/v1/tasks?state=open", **bearer(approver)).json()
    assert decide[0]["decisions"] == ["approve", "deny"]
    detail = api_client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert [(t["kind"], t["decisions"]) for t in detail["tasks"]] == [
        ("accept", []),
        ("review", []),
        ("decide", ["approve", "deny"]),
    ]
