"""好差评 over HTTP: every endpoint, its outsiders refused, its bad inputs changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases.models import Case, Notification, Task
from tongban.evaluation import services
from tongban.evaluation.models import Appeal, Evaluation, RatingRequest
from tongban.evaluation.tests.factories import bad_rating
from tongban.identity.models import User

Headers = Callable[[User], dict[str, str]]
JSON = "application/json"


def _state() -> tuple[int, ...]:
    return (
        Evaluation.objects.count(),
        Task.objects.filter(kind="evaluation_follow_up", state="open").count(),
        Appeal.objects.count(),
        Notification.objects.count(),
        Evaluation.objects.filter(answered_at__isnull=False).count(),
        RatingRequest.objects.filter(used_at__isnull=False).count(),
    )


def _rate(client: Client, headers: dict[str, str], case: Case, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/applications/{case.pk}/evaluations", body, content_type=JSON, **headers
    )


def test_the_applicant_rates_and_a_bad_rating_becomes_a_supervisor_task(
    api_client: Client, bearer: Headers, applicant: User, supervisor: User, completed_case: Case
) -> None:
    response = _rate(api_client, bearer(applicant), completed_case, {"score": 1, "comment": "慢"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["stage"], body["score"], body["bad"], body["department"]) == (
        "result",
        1,
        True,
        "market",
    )
    tasks = api_client.get("/api/v1/tasks?state=open", **bearer(supervisor)).json()
    follow_up = next(t for t in tasks if t["kind"] == "evaluation_follow_up")
    assert follow_up["decisions"] == ["answer"]
    assert follow_up["id"] == body["follow_up_task"]
    assert follow_up["due_date"] == body["follow_up_due_date"]


def test_the_applicant_sees_the_stages_and_ratings_of_the_case(
    api_client: Client, bearer: Headers, applicant: User, outsider: User, completed_case: Case
) -> None:
    _rate(api_client, bearer(applicant), completed_case, {"score": 5, "stage": "acceptance"})
    url = f"/api/v1/applications/{completed_case.pk}/evaluations"
    body = api_client.get(url, **bearer(applicant)).json()
    assert [(s["stage"], s["rated"], s["open"]) for s in body["stages"]] == [
        ("acceptance", True, False),
        ("result", False, True),
    ]
    assert api_client.get(url, **bearer(outsider)).status_code == 404
    assert api_client.get(url).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 0}, "score"),
        ({"score": 6}, "score"),
        ({"score": "5"}, "score"),
        ({"score": True}, "score"),
        ({}, "score"),
        ({"score": 3, "dimensions": {"attitude": 0}}, "dimensions.attitude"),
        ({"score": 3, "channel": "window"}, "channel"),
        ({"score": 3, "stage": "paid"}, "stage"),
    ],
)
def test_a_bad_rating_is_a_422_and_changes_nothing(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    completed_case: Case,
    body: dict[str, Any],
    field: str,
) -> None:
    before = _state()
    response = _rate(api_client, bearer(applicant), completed_case, body)
    assert response.status_code == 422, response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.json()
    assert _state() == before


def test_another_persons_case_is_404_twice_is_409_and_too_early_is_422(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    outsider: User,
    clerk: User,
    completed_case: Case,
    accepted_case: Case,
) -> None:
    before = _state()
    assert _rate(api_client, bearer(outsider), completed_case, {"score": 5}).status_code == 404
    assert _rate(api_client, bearer(clerk), completed_case, {"score": 5}).status_code == 403
    assert _rate(api_client, {}, completed_case, {"score": 5}).status_code == 401
    early = _rate(api_client, bearer(applicant), accepted_case, {"score": 5, "stage": "result"})
    assert early.status_code == 422
    assert _state() == before
    assert _rate(api_client, bearer(applicant), completed_case, {"score": 4}).status_code == 201
    before = _state()
    twice = _rate(api_client, bearer(applicant), completed_case, {"score": 2, "stage": "result"})
    assert twice.status_code == 409
    assert _state() == before


def test_the_summary_is_public_and_counts_by_department(
    api_client: Client, applicant: User, completed_case: Case, accepted_case: Case
) -> None:
    bad_rating(applicant=applicant, case=completed_case, score=2)
    services.evaluation_create(actor=applicant, case=accepted_case, score=5)
    rows = api_client.get("/api/v1/evaluations/summary").json()
    market = next(r for r in rows if r["department"] == "market")
    assert market["ratings"] == 2
    assert market["average_score"] == 3.5
    assert (market["bad_ratings"], market["bad_ratings_answered"]) == (1, 0)
    assert market["satisfaction_rate"] == 0.5
    inverted = api_client.get("/api/v1/evaluations/summary?from=2026-12-02&to=2026-12-01")
    assert inverted.status_code == 422
    assert api_client.get("/api/v1/evaluations/summary?from=yesterday").status_code == 422
    matters = api_client.get("/api/v1/evaluations/matters").json()
    assert [(m["matter"], m["ratings"]) for m in matters] == [("drainage-permit", 2)]


def test_the_supervisor_answers_and_another_department_is_refused(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    supervisor: User,
    police_clerk: User,
    completed_case: Case,
) -> None:
    evaluation, _task = bad_rating(applicant=applicant, case=completed_case)
    url = f"/api/v1/evaluations/{evaluation.pk}/answer"
    answer = {"verified": True, "rectification": "已整改", "answer": "已核实并整改，感谢监督"}
    before = _state()
    for actor in (police_clerk, applicant):
        response = api_client.post(url, answer, content_type=JSON, **bearer(actor))
        assert response.status_code == 403, response.json()
    missing = api_client.post(
        url, {**answer, "rectification": ""}, content_type=JSON, **bearer(supervisor)
    )
    assert missing.status_code == 422
    assert _state() == before
    listed = api_client.get("/api/v1/evaluations?state=open", **bearer(supervisor)).json()
    assert [e["id"] for e in listed] == [evaluation.pk]
    assert api_client.get("/api/v1/evaluations", **bearer(applicant)).json() == []
    response = api_client.post(url, answer, content_type=JSON, **bearer(supervisor))
    assert response.status_code == 200, response.json()
    assert response.json()["answer"] == "已核实并整改，感谢监督"
    again = api_client.post(url, answer, content_type=JSON, **bearer(supervisor))
    assert again.status_code == 409


def test_the_same_answer_goes_through_tasks_complete(
    api_client: Client, bearer: Headers, applicant: User, supervisor: User, completed_case: Case
) -> None:
    evaluation, task = bad_rating(applicant=applicant, case=completed_case)
    body = {"decision": "answer", "comment": "已答复", "data": {"verified": False}}
    url = f"/api/v1/tasks/{task.pk}/complete"
    refused = api_client.post(url, body, content_type=JSON, **bearer(supervisor))
    assert refused.status_code == 422
    body["data"] = {"verified": False, "rectification": "经核实不属实，无需整改"}
    done = api_client.post(url, body, content_type=JSON, **bearer(supervisor))
    assert done.status_code == 200, done.json()
    evaluation.refresh_from_db()
    assert evaluation.verified is False and evaluation.answer == "已答复"


def test_an_appeal_goes_from_the_supervisor_to_the_center_admin(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    supervisor: User,
    center_admin: User,
    completed_case: Case,
) -> None:
    evaluation, _task = bad_rating(applicant=applicant, case=completed_case)
    url = f"/api/v1/evaluations/{evaluation.pk}/appeal"
    body = {"kind": "abusive", "reason": "评价内容为辱骂，与办件无关"}
    before = _state()
    assert api_client.post(url, body, content_type=JSON, **bearer(applicant)).status_code == 403
    bad_kind = api_client.post(
        url, {**body, "kind": "other"}, content_type=JSON, **bearer(supervisor)
    )
    assert bad_kind.status_code == 422
    assert _state() == before
    opened = api_client.post(url, body, content_type=JSON, **bearer(supervisor))
    assert opened.status_code == 201, opened.json()
    appeal_id = opened.json()["id"]
    assert api_client.get("/api/v1/evaluation-appeals", **bearer(supervisor)).status_code == 403
    listed = api_client.get("/api/v1/evaluation-appeals?state=open", **bearer(center_admin))
    assert [a["id"] for a in listed.json()] == [appeal_id]
    decide = f"/api/v1/evaluation-appeals/{appeal_id}/decide"
    verdict = {"uphold": True, "comment": "核实为恶意差评"}
    assert api_client.post(
        decide, verdict, content_type=JSON, **bearer(supervisor)
    ).status_code == (403)
    done = api_client.post(decide, verdict, content_type=JSON, **bearer(center_admin))
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "upheld"
    assert done.json()["evaluation"]["counted"] is False
    summary = api_client.get("/api/v1/evaluations/summary").json()
    assert all(r["department"] != "market" for r in summary)


def test_an_appeal_of_a_good_rating_is_refused(
    api_client: Client, bearer: Headers, applicant: User, supervisor: User, completed_case: Case
) -> None:
    good = _rate(api_client, bearer(applicant), completed_case, {"score": 5}).json()
    before = _state()
    response = api_client.post(
        f"/api/v1/evaluations/{good['id']}/appeal",
        {"kind": "mistaken", "reason": "误评"},
        content_type=JSON,
        **bearer(supervisor),
    )
    assert response.status_code == 422
    assert _state() == before


def test_the_window_device_flow(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    clerk: User,
    police_clerk: User,
    completed_case: Case,
) -> None:
    url = f"/api/v1/applications/{completed_case.pk}/evaluation-requests"
    assert api_client.post(url, {}, content_type=JSON, **bearer(applicant)).status_code == 404
    assert api_client.post(url, {}, content_type=JSON, **bearer(police_clerk)).status_code == 404
    opened = api_client.post(url, {"stage": "result"}, content_type=JSON, **bearer(clerk))
    assert opened.status_code == 201, opened.json()
    token = opened.json()["token"]
    assert opened.json()["url"].endswith(f"/rate/{token}/")
    device = Client()  # the counter tablet: no session, no token
    shown = device.get(f"/api/v1/evaluation-requests/{token}")
    assert shown.json()["stage"] == "result"
    before = _state()
    bad = device.post(f"/api/v1/evaluation-requests/{token}", {"score": 9}, content_type=JSON)
    assert bad.status_code == 422
    assert _state() == before
    rated = device.post(f"/api/v1/evaluation-requests/{token}", {"score": 4}, content_type=JSON)
    assert rated.status_code == 201, rated.json()
    assert rated.json()["channel"] == "window"
    assert Evaluation.objects.get(pk=rated.json()["id"]).rated_by == applicant
    reuse = device.post(f"/api/v1/evaluation-requests/{token}", {"score": 1}, content_type=JSON)
    assert reuse.status_code == 404
