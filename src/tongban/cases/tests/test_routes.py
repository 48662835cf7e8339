"""Credit routes at submission: refused, strict, commitment (signed or refused), normal."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from tongban.cases import services
from tongban.cases.choices import CaseStatus, CreditRoute, TaskKind
from tongban.cases.models import Case, TimelineEntry
from tongban.cases.services import routes
from tongban.cases.tests.credit_factories import (
    JOINT_PUNISHMENT_BASIS,
    case_ready,
    case_submitted_signed,
    credit_record,
    licence_matter,
)
from tongban.cases.tests.factories import open_task
from tongban.catalog.models import Department, Matter
from tongban.certificates.models import Certificate
from tongban.core.errors import ValidationFailed
from tongban.identity.models import User


@pytest.fixture
def eligible(departments: dict[str, Department]) -> Matter:
    """食品经营许可-like: standard approval, commitment-eligible, issues a licence."""
    return licence_matter("food-licence-test")


@pytest.fixture
def ordinary(departments: dict[str, Department]) -> Matter:
    """The same matter without the commitment option."""
    return licence_matter("ordinary-licence-test", commitment_eligible=False)


def _steps(case: Case) -> list[str]:
    return list(TimelineEntry.objects.filter(case=case).values_list("step", flat=True))


# --- the decision ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "route", "reason"),
    [
        ([{"list_kind": "black"}], CreditRoute.REFUSED, "联合惩戒"),
        ([{"level": "D"}], CreditRoute.STRICT, "D"),
        ([{"list_kind": "key_supervision"}], CreditRoute.STRICT, "重点关注"),
        ([{"level": "A"}], CreditRoute.COMMITMENT, "A"),
        ([{"list_kind": "red"}], CreditRoute.COMMITMENT, "红名单"),
        ([], CreditRoute.COMMITMENT, "无不良信用记录"),
        ([{"level": "C"}], CreditRoute.NORMAL, "不符合"),
        ([{"list_kind": "red"}, {"list_kind": "black"}], CreditRoute.REFUSED, "联合惩戒"),
    ],
)
def test_the_route_follows_the_applicants_credit_records(
    eligible: Matter, applicant: User, records: list[dict[str, str]], route: str, reason: str
) -> None:
    for record in records:
        credit_record(**record)
    case = case_ready(applicant=applicant, matter=eligible)

    assert routes.case_route_decide(case=case)[0] == route
    assert reason in routes.case_route_decide(case=case)[1]


def test_a_matter_without_the_commitment_option_takes_the_normal_route(
    ordinary: Matter, applicant: User
) -> None:
    credit_record(level="A")
    case = case_ready(applicant=applicant, matter=ordinary)

    submitted = services.case_submit(actor=applicant, case=case)

    assert submitted.route == CreditRoute.NORMAL
    assert submitted.commitment_signed_at is None
    assert submitted.route_reason == "事项不适用告知承诺"
    # The ordinary route is not announced on the timeline.
    assert not any(step.startswith("审批路径") for step in _steps(submitted))


def test_an_enterprise_application_is_routed_on_the_enterprises_credit(
    eligible: Matter, agent_user: User, enterprise: object
) -> None:
    from tongban.conftest import ENTERPRISE_USCC

    credit_record(level="D", subject=ENTERPRISE_USCC, subject_type="enterprise")
    case = services.case_create(
        actor=agent_user,
        matter_code=eligible.code,
        applicant={"type": "enterprise", "uscc": ENTERPRISE_USCC},
        form={"project_name": "测试", "discharge_volume": 1},
    )

    assert routes.case_route_decide(case=case)[0] == CreditRoute.STRICT


# --- refused (联合惩戒) -------------------------------------------------------------------------


def test_a_jointly_punished_applicant_is_rejected_at_submission_with_the_legal_reason(
    eligible: Matter, applicant: User
) -> None:
    credit_record(list_kind="black")
    case = case_ready(applicant=applicant, matter=eligible)

    submitted = services.case_submit(actor=applicant, case=case, commitment={"signed": True})

    assert submitted.status == CaseStatus.REJECTED
    assert submitted.route == CreditRoute.REFUSED
    assert "联合惩戒" in submitted.outcome_reason
    assert JOINT_PUNISHMENT_BASIS in submitted.outcome_reason
    assert submitted.process_id is None
    assert not submitted.tasks.exists()
    assert not Certificate.objects.filter(case=submitted).exists()
    assert submitted.commitment_signed_at is None
    assert _steps(submitted)[-1] == "不予受理"


# --- strict ------------------------------------------------------------------------------------


def test_a_d_level_applicant_gets_the_extra_strict_review(
    eligible: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    credit_record(level="D")
    case = services.case_submit(
        actor=applicant, case=case_ready(applicant=applicant, matter=eligible)
    )
    assert case.route == CreditRoute.STRICT
    assert "审批路径：从严审查（信用等级D级）" in _steps(case)

    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    strict = open_task(case, TaskKind.STRICT_REVIEW)
    assert (strict.role, strict.name, strict.department.code) == ("reviewer", "重点审查", "market")
    assert not case.tasks.filter(kind=TaskKind.REVIEW).exists()

    services.task_complete(actor=reviewer, task=strict, decision="pass", comment="重点核查场所")
    services.task_complete(actor=reviewer, task=open_task(case, TaskKind.REVIEW), decision="pass")
    services.task_complete(
        actor=approver, task=open_task(case, TaskKind.DECIDE), decision="approve"
    )

    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert not case.tasks.filter(kind=TaskKind.INSPECTION).exists()


# --- commitment --------------------------------------------------------------------------------


def test_a_commitment_case_not_signed_is_refused_and_nothing_changes(
    eligible: Matter, applicant: User
) -> None:
    case = case_ready(applicant=applicant, matter=eligible)
    before = TimelineEntry.objects.filter(case=case).count()

    for commitment in (None, {"signed": False}, {"signed": "yes"}):
        with pytest.raises(ValidationFailed) as caught:
            services.case_submit(actor=applicant, case=case, commitment=commitment)
        assert [(e.field, e.message) for e in caught.value.errors] == [
            ("commitment", "请签署告知承诺书")
        ]

    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    assert case.route == ""
    assert case.process_id is None
    assert TimelineEntry.objects.filter(case=case).count() == before


def test_signing_records_the_commitment_text_and_time(eligible: Matter, applicant: User) -> None:
    credit_record(level="A")
    case = case_submitted_signed(applicant=applicant, matter=eligible)

    assert case.status == CaseStatus.SUBMITTED
    assert case.route == CreditRoute.COMMITMENT
    assert case.commitment_signed_at == case.submitted_at
    assert "食品经营许可" in case.commitment_text
    assert "愿意承担相应法律责任并接受撤销许可" in case.commitment_text
    steps = _steps(case)
    assert "审批路径：告知承诺（信用等级A级）" in steps
    assert "签署告知承诺书" in steps


# --- over HTTP ---------------------------------------------------------------------------------


def test_over_http_an_unsigned_commitment_is_422_and_a_signed_one_shows_the_route(
    eligible: Matter,
    applicant: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = case_ready(applicant=applicant, matter=eligible)
    headers = bearer(applicant)
    draft = api_client.get(f"/api/v1/applications/{case.pk}", **headers).json()
    assert draft["commitment_eligible"] is True
    assert "食品经营许可" in draft["commitment_text"]
    url = f"/api/v1/applications/{case.pk}/submit"

    refused = api_client.post(
        url,
        data=json.dumps({"commitment": {"signed": False}}),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "commitment", "message": "请签署告知承诺书"}]

    signed = api_client.post(
        url,
        data=json.dumps({"commitment": {"signed": True}}),
        content_type="application/json",
        **headers,
    )
    assert signed.status_code == 200, signed.json()
    body = signed.json()
    assert body["status"] == "submitted"
    assert body["route"] == "commitment"
    assert body["route_label"] == "告知承诺"
    assert body["route_reason"] == "无不良信用记录"
    assert body["commitment_signed_at"] is not None


def test_over_http_a_refused_submission_answers_200_with_the_rejection(
    eligible: Matter,
    applicant: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    credit_record(list_kind="black")
    case = case_ready(applicant=applicant, matter=eligible)

    response = api_client.post(
        f"/api/v1/applications/{case.pk}/submit",
        data=json.dumps({}),
        content_type="application/json",
        **bearer(applicant),
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["route"]) == ("rejected", "refused")
    assert JOINT_PUNISHMENT_BASIS in body["outcome_reason"]
    assert body["certificates"] == []


# --- the portal's submit page ------------------------------------------------------------------


def test_the_portal_shows_the_commitment_and_submits_only_when_it_is_ticked(
    eligible: Matter, applicant: User
) -> None:
    from django.urls import reverse

    case = case_ready(applicant=applicant, matter=eligible)
    client = Client()
    client.force_login(applicant)
    url = reverse("portal:my_case_edit", args=[case.pk])
    page = client.get(url).content.decode()
    assert "告知承诺书" in page
    assert 'name="commitment_signed"' in page
    assert "愿意承担相应法律责任并接受撤销许可" in page
    form = {
        "form.project_name": "示范园区污水纳管",
        "form.discharge_volume": "120",
        "action": "check",
    }
    # The tick on the draft page is carried to the check page, where it is signed.
    onward = client.post(url, {**form, "commitment_signed": "on"})
    check = reverse("portal:my_case_check", args=[case.pk])
    assert onward["Location"] == f"{check}?commitment_signed=on"
    assert 'name="commitment_signed" checked' in client.get(onward["Location"]).content.decode()

    unsigned = client.post(check, {})
    assert unsigned.status_code == 422
    assert "请签署告知承诺书" in unsigned.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT

    signed = client.post(check, {"commitment_signed": "on"})
    assert signed.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.route) == (CaseStatus.SUBMITTED, CreditRoute.COMMITMENT)
    assert "告知承诺" in client.get(reverse("portal:my_case", args=[case.pk])).content.decode()


def test_the_portal_shows_no_commitment_for_a_matter_without_it(
    ordinary: Matter, applicant: User
) -> None:
    from django.urls import reverse

    case = case_ready(applicant=applicant, matter=ordinary)
    client = Client()
    client.force_login(applicant)

    page = client.get(reverse("portal:my_case_edit", args=[case.pk])).content.decode()

    assert 'name="commitment_signed"' not in page
