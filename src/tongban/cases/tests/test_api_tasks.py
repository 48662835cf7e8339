"""The tasks API over HTTP: decisions, supplements, withdrawal and extension."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.cases.models import Case, Task, TimelineEntry
from tongban.cases.tests.api_helpers import (
    Headers,
    complete,
    json_text,
    open_task_id,
    submitted,
)
from tongban.cases.tests.conftest import VALID_FORM
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Matter
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


def test_completing_a_task_twice_is_a_conflict(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    case = submitted(api_client, bearer(applicant))
    clerk_h = bearer(clerk)
    task_id = open_task_id(api_client, clerk_h, case["case_no"])
    assert complete(api_client, clerk_h, task_id, {"decision": "accept"}).status_code == 200
    timeline = TimelineEntry.objects.count()
    again = complete(api_client, clerk_h, task_id, {"decision": "reject", "comment": "重复"})
    assert again.status_code == 409
    assert Case.objects.get().status == "under_review"
    assert TimelineEntry.objects.count() == timeline


def test_it_refuses_a_decision_the_task_does_not_allow_and_a_refusal_without_reason(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    case = submitted(api_client, bearer(applicant))
    clerk_h = bearer(clerk)
    task_id = open_task_id(api_client, clerk_h, case["case_no"])
    wrong = complete(api_client, clerk_h, task_id, {"decision": "approve"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "decision"
    assert "accept" in wrong.json()["errors"][0]["message"]
    no_reason = complete(api_client, clerk_h, task_id, {"decision": "reject", "comment": "  "})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "comment"
    bad_items = complete(
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
    case = submitted(api_client, me)
    clerk_h = bearer(clerk)
    task_id = open_task_id(api_client, clerk_h, case["case_no"])
    response = complete(
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
    case = submitted(api_client, me)
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
    case = submitted(api_client, me)
    clerk_h = bearer(clerk)
    task_id = open_task_id(api_client, clerk_h, case["case_no"])
    items = [
        {"kind": "material", "code": "pipe-network-map", "reason": "图纸不清晰"},
        {"kind": "field", "code": "discharge_volume", "reason": "排水量与图纸不符"},
    ]
    response = complete(
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
    case = submitted(api_client, me)
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
    case = submitted(api_client, bearer(applicant))
    clerk_h = bearer(clerk)
    task_id = open_task_id(api_client, clerk_h, case["case_no"])
    complete(api_client, clerk_h, task_id, {"decision": "accept"})
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
    case = submitted(api_client, me)
    assert [t["decisions"] for t in case["tasks"]] == [["accept", "reject", "request_supplement"]]
    tasks = api_client.get("/api/v1/tasks?state=open", **clerk_h).json()
    assert tasks[0]["decisions"] == ["accept", "reject", "request_supplement"]
    done = complete(api_client, clerk_h, tasks[0]["id"], {"decision": "accept"}).json()
    assert done["state"] == "completed" and done["decisions"] == []
    review = api_client.get("/api/v1/tasks?state=open", **bearer(reviewer)).json()
    assert review[0]["decisions"] == ["pass", "fail", "request_supplement"]
    complete(api_client, bearer(reviewer), review[0]["id"], {"decision": "pass"})
    decide = api_client.get("/api/v1/tasks?state=open", **bearer(approver)).json()
    assert decide[0]["decisions"] == ["approve", "deny"]
    detail = api_client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert [(t["kind"], t["decisions"]) for t in detail["tasks"]] == [
        ("accept", []),
        ("review", []),
        ("decide", ["approve", "deny"]),
    ]
