"""Proportionate processes: a filing (备案) is recorded by one clerk; the guide shows the steps."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.cases import services
from tongban.cases.choices import CaseStatus, TaskKind, TaskState
from tongban.cases.models import Task
from tongban.cases.selectors import case_steps
from tongban.cases.tests.conftest import _matter
from tongban.cases.tests.factories import case_submitted, open_task
from tongban.catalog.models import Department, Matter
from tongban.demo.district import district_read
from tongban.identity.models import User
from tongban.workflow.selectors import process_staff_steps


@pytest.fixture
def filing(departments: dict[str, Department]) -> Matter:
    return _matter("seal-filing", "公章刻制备案", "filing", 1)


def test_a_filing_is_recorded_by_one_clerk_and_the_case_is_done(
    applicant: User, clerk: User, filing: Matter
) -> None:
    case = case_submitted(applicant=applicant, matter_code="seal-filing")
    [task] = Task.objects.filter(case=case)
    assert (task.kind, task.role, task.name) == (TaskKind.ACCEPT, "clerk", "备案登记")
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.accepted_at and case.decided_at and case.completed_at
    # One staff task in all: no review, no approver.
    assert list(case.tasks.values_list("kind", "state")) == [(TaskKind.ACCEPT, TaskState.COMPLETED)]
    assert [s.code for s in case_steps(case=case)] == ["submit", "accept", "complete"]


def test_a_filing_the_clerk_refuses_ends_not_filed(
    applicant: User, clerk: User, filing: Matter
) -> None:
    case = case_submitted(applicant=applicant, matter_code="seal-filing")
    services.task_complete(
        actor=clerk, task=open_task(case, "accept"), decision="reject", comment="刻章企业未备案"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert case.tasks.count() == 1


@pytest.mark.django_db
def test_review_levels_follow_the_process_a_matter_chooses() -> None:
    def roles(name: str) -> list[str]:
        return [step.role for step in process_staff_steps(name=name)]

    assert roles("filing") == ["clerk"]
    assert roles("instant") == ["clerk"]
    assert roles("standard_approval") == ["clerk", "reviewer", "approver"]
    assert roles("joint_review") == ["clerk", "reviewer", "approver"]
    assert process_staff_steps(name="no_such_process") == []
    assert process_staff_steps(name="../etc/passwd") == []


def test_the_demo_seal_filing_is_a_one_clerk_filing() -> None:
    matter = district_read().matter("seal-engraving")
    assert (matter["kind"], matter["process"]) == ("filing", "filing")


def test_the_guide_shows_the_steps_one_for_a_filing_three_for_a_licence(
    client: Client, filing: Matter, departments: dict[str, Department]
) -> None:
    licence = _matter("drainage-permit", "排水许可", "standard_approval", 6)
    page = client.get(f"/matters/{filing.code}/").content.decode()
    assert "办理流程" in page
    assert page.count("data-process-level") == 1
    assert "备案登记（窗口受理）" in page
    assert "由 1 个环节办理" in page
    page = client.get(f"/matters/{licence.code}/").content.decode()
    assert page.count("data-process-level") == 3
    assert "受理（窗口受理）" in page and "审查（审核）" in page and "决定（审批）" in page

    client.cookies["django_language"] = "en"
    english = client.get(f"/matters/{filing.code}/").content.decode()
    assert "Filing registration" in english
    assert "备案登记" not in english
