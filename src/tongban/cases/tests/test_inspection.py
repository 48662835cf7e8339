"""先证后查: issue at acceptance on commitment or on the spot, then the supervisor inspects."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from tongban.cases import services
from tongban.cases.choices import CaseStatus, CreditRoute, TaskKind, TaskState
from tongban.cases.models import Case, Task, TimelineEntry
from tongban.cases.services import routes
from tongban.cases.services.sla import shanghai_date
from tongban.cases.tests.credit_factories import (
    case_ready,
    case_submitted_signed,
    credit_record,
    licence_matter,
)
from tongban.cases.tests.factories import open_task
from tongban.catalog.models import Department, Matter
from tongban.certificates.choices import CertificateStatus
from tongban.certificates.models import Certificate
from tongban.conftest import APPLICANT_ID_NUMBER
from tongban.core.errors import NotFound, PermissionDenied, ValidationFailed
from tongban.credit.models import CreditRecord
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar


@pytest.fixture
def eligible(departments: dict[str, Department]) -> Matter:
    return licence_matter("food-licence-test")


@pytest.fixture
def hygiene(departments: dict[str, Department]) -> Matter:
    """公共场所卫生许可-like: an instant process, issued on the spot, commitment-eligible."""
    return licence_matter("public-place-hygiene", process="instant")


def _accepted(case: Case, clerk: User) -> Case:
    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    case.refresh_from_db()
    return case


def _inspection(case: Case) -> Task:
    return Task.objects.get(case=case, kind=TaskKind.INSPECTION)


# --- issue at acceptance ---------------------------------------------------------------------


def test_a_commitment_case_is_issued_at_acceptance_with_an_inspection_task(
    eligible: Matter, applicant: User, clerk: User
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)

    assert case.route == CreditRoute.COMMITMENT
    assert case.status == CaseStatus.COMPLETED
    assert Certificate.objects.get(case=case).status == CertificateStatus.VALID
    assert not case.tasks.filter(kind__in=[TaskKind.REVIEW, TaskKind.DECIDE]).exists()
    task = _inspection(case)
    assert (task.state, task.role, task.department.code) == (TaskState.OPEN, "supervisor", "market")
    assert task.engine_task_id is None
    expected = WorkCalendar().add_working_days(shanghai_date(case.accepted_at), 20).due_date  # type: ignore[arg-type]
    assert task.due_date == expected
    steps = list(TimelineEntry.objects.filter(case=case).values_list("step", flat=True))
    assert steps.index("已出证") < steps.index("先证后查：待事后核查")


def test_the_matter_sets_the_inspection_deadline(
    departments: dict[str, Department], applicant: User, clerk: User
) -> None:
    matter = licence_matter("quick-inspection", process_params={"inspection_days": 5})
    case = _accepted(case_submitted_signed(applicant=applicant, matter=matter), clerk)

    expected = WorkCalendar().add_working_days(shanghai_date(case.accepted_at), 5).due_date  # type: ignore[arg-type]
    assert _inspection(case).due_date == expected


def test_a_normal_case_has_no_inspection(
    departments: dict[str, Department], applicant: User, clerk: User
) -> None:
    matter = licence_matter("ordinary-licence-test", commitment_eligible=False)
    case = services.case_submit(
        actor=applicant, case=case_ready(applicant=applicant, matter=matter)
    )
    case = _accepted(case, clerk)

    assert case.status == CaseStatus.UNDER_REVIEW
    assert not case.tasks.filter(kind=TaskKind.INSPECTION).exists()
    assert not Certificate.objects.filter(case=case).exists()


# --- on the spot (公共场所卫生许可) -------------------------------------------------------------


def test_public_place_hygiene_is_issued_on_the_spot_and_inspected_afterwards(
    hygiene: Matter, applicant: User, clerk: User
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=hygiene), clerk)

    assert case.status == CaseStatus.COMPLETED
    assert case.decided_at == case.accepted_at
    assert Certificate.objects.filter(case=case, status=CertificateStatus.VALID).count() == 1
    assert _inspection(case).state == TaskState.OPEN


def test_an_on_the_spot_licence_on_the_normal_route_is_still_inspected(
    hygiene: Matter, applicant: User, clerk: User
) -> None:
    credit_record(level="C")
    case = services.case_submit(
        actor=applicant, case=case_ready(applicant=applicant, matter=hygiene)
    )
    assert case.route == CreditRoute.NORMAL
    case = _accepted(case, clerk)

    assert Certificate.objects.filter(case=case).exists()
    assert _inspection(case).state == TaskState.OPEN


# --- the inspection ----------------------------------------------------------------------------


def test_a_passed_inspection_is_recorded_and_the_licence_stays_valid(
    eligible: Matter, applicant: User, clerk: User, supervisor: User
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)

    task = services.task_complete(
        actor=supervisor, task=_inspection(case), decision="pass", comment="现场与承诺一致"
    )

    assert (task.state, task.decision, task.completed_by) == (
        TaskState.COMPLETED,
        "pass",
        supervisor,
    )
    assert Certificate.objects.get(case=case).status == CertificateStatus.VALID
    assert not CreditRecord.objects.filter(subject=APPLICANT_ID_NUMBER).exists()
    assert TimelineEntry.objects.filter(case=case, action="inspection_passed").exists()


def test_a_failed_inspection_revokes_the_licence_and_writes_a_credit_record(
    eligible: Matter, applicant: User, clerk: User, supervisor: User
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)

    services.task_complete(
        actor=supervisor, task=_inspection(case), decision="fail", comment="经营场所面积与承诺不符"
    )

    certificate = Certificate.objects.get(case=case)
    assert certificate.status == CertificateStatus.REVOKED
    assert "告知承诺核查不实：经营场所面积与承诺不符" in certificate.revocation_reason
    record = CreditRecord.objects.get(subject=APPLICANT_ID_NUMBER)
    assert (record.list_kind, record.level, record.source.code) == (
        "key_supervision",
        "C",
        "market",
    )
    assert record.reason.startswith("告知承诺核查不实：经营场所面积与承诺不符")
    assert record.valid_until is not None
    # The next application of the same applicant is reviewed strictly.
    again = case_ready(applicant=applicant, matter=eligible)
    assert routes.case_route_decide(case=again)[0] == CreditRoute.STRICT


def test_a_failed_inspection_without_a_reason_is_refused_and_changes_nothing(
    eligible: Matter, applicant: User, clerk: User, supervisor: User
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)

    with pytest.raises(ValidationFailed) as caught:
        services.task_complete(
            actor=supervisor, task=_inspection(case), decision="fail", comment=" "
        )

    assert caught.value.errors[0].field == "comment"
    assert _inspection(case).state == TaskState.OPEN
    assert Certificate.objects.get(case=case).status == CertificateStatus.VALID
    assert not CreditRecord.objects.exists()


def test_an_inspection_allows_only_pass_or_fail(
    eligible: Matter, applicant: User, clerk: User, supervisor: User
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)

    with pytest.raises(ValidationFailed) as caught:
        services.task_complete(actor=supervisor, task=_inspection(case), decision="approve")

    assert caught.value.errors[0].field == "decision"


def test_only_a_supervisor_of_the_department_inspects(
    eligible: Matter, applicant: User, clerk: User, police_clerk: User
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)

    with pytest.raises(PermissionDenied):
        services.task_complete(actor=clerk, task=_inspection(case), decision="pass")
    with pytest.raises(NotFound):
        services.task_complete(actor=police_clerk, task=_inspection(case), decision="pass")
    assert _inspection(case).state == TaskState.OPEN


def test_over_http_the_supervisor_fails_an_inspection(
    eligible: Matter,
    applicant: User,
    clerk: User,
    supervisor: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)
    headers = bearer(supervisor)
    listed = api_client.get("/api/v1/tasks?state=open", **headers).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    task_id = _inspection(case).pk
    assert task_id in [t["id"] for t in items]

    response = api_client.post(
        f"/api/v1/tasks/{task_id}/complete",
        data=json.dumps({"decision": "fail", "comment": "未配备食品安全管理人员"}),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 200, response.json()
    assert Certificate.objects.get(case=case).status == CertificateStatus.REVOKED


def test_the_workbench_shows_the_inspection_with_pass_and_fail_buttons(
    eligible: Matter, applicant: User, clerk: User, supervisor: User
) -> None:
    from django.urls import reverse

    case = _accepted(case_submitted_signed(applicant=applicant, matter=eligible), clerk)
    task = _inspection(case)
    client = Client()
    client.force_login(supervisor)
    page = client.get(reverse("workbench:case", args=[case.pk])).content.decode()
    assert "事后核查" in page
    assert 'value="pass"' in page
    assert 'value="fail"' in page

    response = client.post(
        reverse("workbench:decide", args=[task.pk]), {"decision": "pass", "comment": "核查通过"}
    )

    assert response.status_code in (200, 302)
    assert _inspection(case).state == TaskState.COMPLETED
