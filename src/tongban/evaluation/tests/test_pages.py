"""好差评 pages: the applicant's panel and rating page, the device page, the public scores,
the supervisor's and the center admin's workbench pages, each refusing outsiders."""

from __future__ import annotations

from django.test import Client

from tongban.cases.models import Case
from tongban.cases.tests.factories import case_submitted
from tongban.evaluation import services
from tongban.evaluation.models import Appeal, Evaluation, RatingRequest
from tongban.evaluation.tests.factories import bad_rating
from tongban.identity.models import User


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_case_page_offers_rating_and_the_rating_page_records_it(
    applicant: User, completed_case: Case
) -> None:
    client = _client(applicant)
    page = client.get(f"/my/cases/{completed_case.pk}/").content.decode()
    assert "去评价" in page
    url = f"/my/cases/{completed_case.pk}/evaluate/?stage=result"
    assert "非常满意" in client.get(url).content.decode()
    refused = client.post(url, {"stage": "result", "score": "7"})
    assert refused.status_code == 422
    assert "评分应为 1 到 5 的整数" in refused.content.decode()
    assert not Evaluation.objects.exists()
    done = client.post(
        url, {"stage": "result", "score": "2", "dim.attitude": "1", "comment": "态度差"}
    )
    assert done.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.score, evaluation.dimensions, evaluation.channel) == (
        2,
        {"attitude": 1},
        "online",
    )
    page = client.get(f"/my/cases/{completed_case.pk}/").content.decode()
    assert "承办部门将于" in page


def test_a_phone_rating_records_the_mobile_channel(applicant: User, completed_case: Case) -> None:
    client = _client(applicant)
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"
    client.post(
        f"/my/cases/{completed_case.pk}/evaluate/",
        {"stage": "acceptance", "score": "5"},
        HTTP_USER_AGENT=phone,
    )
    assert Evaluation.objects.get().channel == "mobile"


def test_another_person_cannot_open_the_rating_page(outsider: User, completed_case: Case) -> None:
    response = _client(outsider).post(
        f"/my/cases/{completed_case.pk}/evaluate/", {"stage": "result", "score": "5"}
    )
    assert response.status_code == 404
    assert _client().get(f"/my/cases/{completed_case.pk}/evaluate/").status_code == 302
    assert not Evaluation.objects.exists()


def test_the_public_scores_page_lists_departments_and_matters(
    applicant: User, completed_case: Case
) -> None:
    services.evaluation_create(actor=applicant, case=completed_case, score=4)
    page = _client().get("/evaluations/").content.decode()
    assert "市场监管局" in page and "排水许可" in page and "100%" in page


def test_the_clerk_opens_a_device_link_and_the_applicant_rates_without_a_session(
    applicant: User, clerk: User, completed_case: Case
) -> None:
    staff = _client(clerk)
    case_page = staff.get(f"/workbench/cases/{completed_case.pk}/").content.decode()
    assert "请申请人评价" in case_page
    opened = staff.post(
        f"/workbench/cases/{completed_case.pk}/rating-request/", {"stage": "result"}
    )
    assert opened.status_code == 302
    shown = staff.get(opened["Location"]).content.decode()
    assert "<svg" in shown
    token = RatingRequest.objects.get().token
    assert f"/rate/{token}/" in shown
    device = _client()
    assert device.get(f"/rate/{token}/").status_code == 200
    assert device.post(f"/rate/{token}/", {"score": "0"}).status_code == 422
    assert device.post(f"/rate/{token}/", {"score": "3"}).status_code == 200
    assert Evaluation.objects.get().channel == "window"
    assert device.get(f"/rate/{token}/").status_code == 404


def test_the_supervisor_answers_on_the_workbench_and_others_are_refused(
    applicant: User, supervisor: User, clerk: User, completed_case: Case
) -> None:
    evaluation, _task = bad_rating(applicant=applicant, case=completed_case)
    assert _client(clerk).get("/workbench/evaluations/").status_code == 403
    assert _client(applicant).get("/workbench/evaluations/").status_code == 403
    staff = _client(supervisor)
    page = staff.get("/workbench/evaluations/").content.decode()
    assert completed_case.case_no in page and "等了很久" in page
    url = f"/workbench/evaluations/{evaluation.pk}/answer/"
    refused = _client(clerk).post(url, {"verified": "yes", "rectification": "x", "answer": "y"})
    assert refused.status_code == 403
    missing = staff.post(url, {"verified": "yes", "rectification": "", "answer": "已答复"})
    assert missing.status_code == 422
    assert "必须填写" in missing.content.decode()
    done = staff.post(url, {"verified": "yes", "rectification": "已培训", "answer": "已整改"})
    assert done.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.answer == "已整改"


def test_the_center_admin_reviews_an_appeal_on_the_workbench(
    applicant: User, supervisor: User, center_admin: User, completed_case: Case
) -> None:
    evaluation, _task = bad_rating(applicant=applicant, case=completed_case)
    appealed = _client(supervisor).post(
        f"/workbench/evaluations/{evaluation.pk}/appeal/",
        {"kind": "abusive", "reason": "辱骂工作人员"},
    )
    assert appealed.status_code == 302
    appeal = Appeal.objects.get()
    assert _client(supervisor).get("/workbench/evaluation-appeals/").status_code == 403
    admin = _client(center_admin)
    assert "辱骂工作人员" in admin.get("/workbench/evaluation-appeals/").content.decode()
    decided = admin.post(
        f"/workbench/evaluation-appeals/{appeal.pk}/decide/",
        {"verdict": "uphold", "comment": "核实为恶意差评"},
    )
    assert decided.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == "upheld"
    listed = admin.get("/workbench/evaluation-appeals/?state=all").content.decode()
    assert "核实为恶意差评" in listed


def test_the_panel_appears_only_once_a_stage_happened(applicant: User, drainage: object) -> None:
    case = case_submitted(applicant=applicant)
    page = _client(applicant).get(f"/my/cases/{case.pk}/").content.decode()
    assert 'id="evaluation"' not in page
    opened = _client(applicant).get(f"/my/cases/{case.pk}/evaluate/")
    assert opened.status_code == 302
