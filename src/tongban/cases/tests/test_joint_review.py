"""建设工程联审 end to end: the lead accepts, 11 departments review in parallel, it decides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.cases import services
from tongban.cases.choices import CaseStatus, TaskKind, TaskState
from tongban.cases.models import Case, Task
from tongban.cases.services import joint_review
from tongban.cases.services.sla import shanghai_date
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import (
    certificate_type_upsert,
    department_upsert,
    matter_upsert,
    section_upsert,
)
from tongban.certificates.models import Certificate
from tongban.conftest import CAST_PASSWORD
from tongban.core.errors import InvalidStateChange, NotFound, ValidationFailed
from tongban.demo.district import district_read
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User
from tongban.workflow import engine
from tongban.workflow.calendar import WorkCalendar

DEMO = district_read()
#: Departments that review a construction permit in parallel (施工许可多部门并联审批).
CONSTRUCTION_REVIEWERS: list[str] = DEMO.matter("construction-permit")["process_params"][
    "reviewers"
]
DEMO_DEPARTMENTS = DEMO.departments

PERMIT = "construction-permit"
LEAD = "construction"
PERMIT_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "project_name": {"type": "string", "title": "项目名称", "maxLength": 100},
        "building_area": {"type": "number", "title": "建筑面积（平方米）", "minimum": 0},
    },
    "required": ["project_name", "building_area"],
}
PERMIT_MATERIALS = [
    {"code": "application-form", "name": "建筑工程施工许可申请表", "required": True},
    {"code": "construction-contract", "name": "施工合同和监理合同", "required": True},
]
VALID_FORM = {"project_name": "嘉定新城示范楼", "building_area": 12000}


def joint_review_matter(
    reviewers: list[str], *, code: str = PERMIT, review_days: int | None = None
) -> Matter:
    """The lead ``construction`` and every reviewing department, and the permit matter."""
    department_upsert(code=LEAD, name="建管委", name_en="Construction Commission")
    names = {d["code"]: d["name"] for d in DEMO_DEPARTMENTS}
    for code_ in reviewers:
        department_upsert(code=code_, name=names.get(code_, f"{code_}部门"))
    section_upsert(code="construction", fields={"name": "投资建设"})
    certificate_type_upsert(code=PERMIT, name="建筑工程施工许可证", department=LEAD)
    return matter_upsert(
        code=code,
        fields={
            "name": "建筑工程施工许可",
            "kind": "licence",
            "audience": "enterprise",
            "department": LEAD,
            "section": "construction",
            "legal_limit_days": 7,
            "promised_limit_days": 3,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": PERMIT_FORM,
            "process": "joint_review",
            "process_params": {
                "lead": LEAD,
                "reviewers": reviewers,
                **({"review_days": review_days} if review_days else {}),
            },
            "certificate_type": PERMIT,
        },
        materials=PERMIT_MATERIALS,
    )


def staff(code: str, role: StaffRole) -> User:
    """``<code>-<role>``, staff of department ``code`` (created once)."""
    username = f"{code}-{role}"
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    return identity_services.staff_create(
        username=username, password=CAST_PASSWORD, department_code=code, roles=[role]
    )


def permit_submitted(applicant: User, enterprise: Enterprise, matter_code: str = PERMIT) -> Case:
    case = services.case_create(
        actor=applicant,
        matter_code=matter_code,
        applicant={"type": "enterprise", "uscc": enterprise.uscc},
        form=dict(VALID_FORM),
    )
    for item in PERMIT_MATERIALS:
        services.material_upload(
            actor=applicant, case=case, requirement_code=item["code"], file=pdf_file()
        )
    return services.case_submit(actor=applicant, case=case)


def permit_accepted(applicant: User, enterprise: Enterprise, matter_code: str = PERMIT) -> Case:
    case = permit_submitted(applicant, enterprise, matter_code)
    accept = Task.objects.get(case=case, kind=TaskKind.ACCEPT, state=TaskState.OPEN)
    services.task_complete(
        actor=staff(LEAD, StaffRole.CLERK), task=accept, decision="accept", comment="材料齐全"
    )
    case.refresh_from_db()
    return case


def review_task(case: Case, department: str) -> Task:
    return Task.objects.get(
        case=case, kind=TaskKind.JOINT_REVIEW, department__code=department, state=TaskState.OPEN
    )


def review_all(case: Case, departments: list[str], decision: str = "pass") -> None:
    for code in departments:
        services.task_complete(
            actor=staff(code, StaffRole.REVIEWER),
            task=review_task(case, code),
            decision=decision,
            comment="符合要求" if decision == "pass" else "不符合要求",
        )


@pytest.fixture
def permit(departments: dict[str, Department]) -> Matter:
    """construction-permit with the demo district's 11 reviewing departments."""
    return joint_review_matter(list(CONSTRUCTION_REVIEWERS))


@pytest.fixture
def accepted(permit: Matter, agent_user: User, enterprise: Enterprise) -> Case:
    return permit_accepted(agent_user, enterprise)


# --- the engine ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_process_gives_one_ready_review_per_department_carrying_its_code() -> None:
    step = engine.process_start(
        name="joint_review", data={"reviewers": ["fire", "water", "greening"], "lead": LEAD}
    )
    [accept] = step.ready
    step = engine.process_complete_task(
        instance=step.instance, task_id=accept.id, data={"decision": "accept"}
    )
    assert [(t.name, t.lane, t.data["department"]) for t in step.ready] == [
        ("department_review", "reviewer", "fire"),
        ("department_review", "reviewer", "water"),
        ("department_review", "reviewer", "greening"),
    ]
    for task in step.ready[:2]:
        step = engine.process_complete_task(
            instance=step.instance, task_id=task.id, data={"decision": "pass"}
        )
    # The last department has not spoken: no decision yet.
    assert [t.data["department"] for t in step.ready] == ["greening"]
    step = engine.process_complete_task(
        instance=step.instance, task_id=step.ready[0].id, data={"decision": "fail"}
    )
    [decide] = step.ready
    # The consolidating script hands the case back to the lead department.
    assert (decide.name, decide.lane, decide.data["department"]) == ("decide", "approver", LEAD)


# --- parallel tasks --------------------------------------------------------------------------


def test_acceptance_opens_eleven_parallel_reviews_each_for_its_department(accepted: Case) -> None:
    assert accepted.status == CaseStatus.UNDER_REVIEW
    tasks = list(accepted.tasks.filter(state=TaskState.OPEN).select_related("department"))
    assert len(tasks) == 11
    assert sorted(t.department.code for t in tasks) == sorted(CONSTRUCTION_REVIEWERS)
    assert {(t.kind, t.role, t.name) for t in tasks} == {
        (TaskKind.JOINT_REVIEW, StaffRole.REVIEWER, "联合审查")
    }
    # Each its own deadline: 5 working days after acceptance (process_params.review_days).
    assert accepted.accepted_at is not None
    five_days = WorkCalendar().add_working_days(shanghai_date(accepted.accepted_at), 5).due_date
    # …but never beyond the case's own promised deadline (3 working days here).
    assert accepted.due_date is not None and accepted.due_date < five_days
    assert {t.due_date for t in tasks} == {accepted.due_date}
    assert not accepted.tasks.filter(kind=TaskKind.DECIDE).exists()


def test_review_days_of_the_matter_set_each_departments_deadline(
    departments: dict[str, Department], agent_user: User, enterprise: Enterprise
) -> None:
    matter = joint_review_matter(["fire", "water"], code="permit-two-days", review_days=2)
    case = permit_accepted(agent_user, enterprise, matter.code)
    assert case.accepted_at is not None
    due = WorkCalendar().add_working_days(shanghai_date(case.accepted_at), 2).due_date
    assert set(
        case.tasks.filter(kind=TaskKind.JOINT_REVIEW).values_list("due_date", flat=True)
    ) == {due}


def test_each_department_completes_its_own_review_over_http_and_then_the_lead_decides(
    accepted: Case, api_client: Client, bearer: Callable[[User], dict[str, str]]
) -> None:
    for index, code in enumerate(CONSTRUCTION_REVIEWERS):
        reviewer = staff(code, StaffRole.REVIEWER)
        listed = api_client.get("/api/v1/tasks", **bearer(reviewer)).json()
        assert [(t["department"], t["kind"]) for t in listed] == [(code, "joint_review")]
        response = api_client.post(
            f"/api/v1/tasks/{listed[0]['id']}/complete",
            {"decision": "pass", "comment": f"{code}：同意"},
            content_type="application/json",
            **bearer(reviewer),
        )
        assert response.status_code == 200, response.content
        # The lead's decision waits for the last opinion.
        decide_exists = accepted.tasks.filter(kind=TaskKind.DECIDE).exists()
        assert decide_exists == (index == len(CONSTRUCTION_REVIEWERS) - 1)
    decide = Task.objects.get(case=accepted, kind=TaskKind.DECIDE)
    assert decide.department.code == LEAD
    assert decide.role == StaffRole.APPROVER
    summary = joint_review.joint_review_summary(case=accepted)
    assert summary is not None and summary.complete
    assert summary.passed == 11
    assert all(o.on_time for o in summary.opinions)


def test_a_department_not_on_the_list_cannot_act_on_the_case(
    accepted: Case,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
    departments: dict[str, Department],
) -> None:
    outsider = staff("market", StaffRole.REVIEWER)
    assert api_client.get("/api/v1/tasks", **bearer(outsider)).json() == []
    task = review_task(accepted, "fire")
    response = api_client.post(
        f"/api/v1/tasks/{task.pk}/complete",
        {"decision": "pass", "comment": ""},
        content_type="application/json",
        **bearer(outsider),
    )
    assert response.status_code == 404
    assert api_client.get(
        f"/api/v1/applications/{accepted.pk}", **bearer(outsider)
    ).status_code in (
        403,
        404,
    )
    with pytest.raises(NotFound):
        services.task_complete(actor=outsider, task=task, decision="pass")
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_a_department_can_act_only_on_its_own_review(
    accepted: Case, api_client: Client, bearer: Callable[[User], dict[str, str]]
) -> None:
    planning = staff("planning", StaffRole.REVIEWER)
    fire_task = review_task(accepted, "fire")
    response = api_client.post(
        f"/api/v1/tasks/{fire_task.pk}/complete",
        {"decision": "pass"},
        content_type="application/json",
        **bearer(planning),
    )
    assert response.status_code == 404
    fire_task.refresh_from_db()
    assert fire_task.state == TaskState.OPEN


def test_a_failed_opinion_needs_a_reason_and_is_shown_to_the_lead_and_the_applicant(
    accepted: Case,
    agent_user: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    fire = staff("fire", StaffRole.REVIEWER)
    with pytest.raises(ValidationFailed) as refused:
        services.task_complete(actor=fire, task=review_task(accepted, "fire"), decision="fail")
    assert refused.value.errors[0].field == "comment"
    services.task_complete(
        actor=fire,
        task=review_task(accepted, "fire"),
        decision="fail",
        comment="消防车道宽度不足4米",
    )
    others = [c for c in CONSTRUCTION_REVIEWERS if c != "fire"]
    review_all(accepted, others)

    lead = staff(LEAD, StaffRole.APPROVER)
    body = api_client.get(f"/api/v1/applications/{accepted.pk}", **bearer(lead)).json()
    opinions = {o["department_code"]: o for o in body["joint_review"]["opinions"]}
    assert opinions["fire"]["state"] == "fail"
    assert opinions["fire"]["comment"] == "消防车道宽度不足4米"
    assert body["joint_review"]["failed"] == 1
    assert body["joint_review"]["passed"] == 10

    mine = api_client.get(f"/api/v1/applications/{accepted.pk}", **bearer(agent_user)).json()
    fire_opinion = next(
        o for o in mine["joint_review"]["opinions"] if o["department_code"] == "fire"
    )
    assert fire_opinion["state_label"] == "审查不通过"
    assert fire_opinion["comment"] == "消防车道宽度不足4米"


def test_a_supplement_from_one_department_lets_the_others_go_on(
    accepted: Case,
    agent_user: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    planning = staff("planning", StaffRole.REVIEWER)
    response = api_client.post(
        f"/api/v1/tasks/{review_task(accepted, 'planning').pk}/complete",
        {
            "decision": "request_supplement",
            "comment": "",
            "data": {
                "items": [
                    {"kind": "material", "code": "construction-contract", "reason": "缺监理合同"}
                ]
            },
        },
        content_type="application/json",
        **bearer(planning),
    )
    assert response.status_code == 200, response.content
    accepted.refresh_from_db()
    assert accepted.status == CaseStatus.SUPPLEMENT_REQUIRED
    # The department's own task stays open; nobody else's moved.
    planning_task = review_task(accepted, "planning")
    assert accepted.tasks.filter(kind=TaskKind.JOINT_REVIEW, state=TaskState.OPEN).count() == 11

    # The other departments go on meanwhile.
    others = [c for c in CONSTRUCTION_REVIEWERS if c != "planning"]
    review_all(accepted, others[:5])
    summary = joint_review.joint_review_summary(case=accepted)
    assert summary is not None
    assert (summary.passed, summary.supplement, summary.pending) == (5, 1, 5)
    [waiting] = [o for o in summary.opinions if o.department_code == "planning"]
    assert "缺监理合同" in waiting.supplement_message

    # Planning cannot decide before the applicant answers.
    with pytest.raises(InvalidStateChange):
        services.task_complete(actor=planning, task=planning_task, decision="pass")
    # Nor can another department add a second notice while this one is open.
    with pytest.raises(InvalidStateChange):
        services.task_complete(
            actor=staff("health", StaffRole.REVIEWER),
            task=review_task(accepted, "health"),
            decision="request_supplement",
            data={"items": [{"kind": "field", "code": "project_name"}]},
        )

    # The applicant sees the notice and answers it.
    mine = api_client.get(f"/api/v1/applications/{accepted.pk}", **bearer(agent_user)).json()
    assert "缺监理合同" in mine["supplement"]["message"]
    answer = api_client.post(
        f"/api/v1/applications/{accepted.pk}/supplement",
        {"construction-contract": pdf_file("监理合同.pdf")},
        **bearer(agent_user),
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "under_review"

    services.task_complete(actor=planning, task=review_task(accepted, "planning"), decision="pass")
    review_all(accepted, others[5:])
    assert Task.objects.filter(case=accepted, kind=TaskKind.DECIDE, state=TaskState.OPEN).exists()


def test_an_overdue_department_is_shown_to_the_lead_and_the_applicant(
    accepted: Case, agent_user: User, api_client: Client, bearer: Callable[[User], dict[str, str]]
) -> None:
    review_all(accepted, ["fire"])
    due = review_task(accepted, "water").due_date
    assert due is not None
    later = due + dt.timedelta(days=1)
    summary = joint_review.joint_review_summary(case=accepted, today=later)
    assert summary is not None
    assert summary.overdue == 10
    fire = next(o for o in summary.opinions if o.department_code == "fire")
    assert fire.on_time is True and not fire.overdue
    # Today nobody is late yet.
    assert accepted.accepted_at is not None
    today = shanghai_date(accepted.accepted_at)
    now_summary = joint_review.joint_review_summary(case=accepted, today=today)
    assert now_summary is not None and now_summary.overdue == 0


def test_the_lead_approves_and_the_permit_is_issued_and_published(
    accepted: Case, enterprise: Enterprise, api_client: Client
) -> None:
    review_all(accepted, list(CONSTRUCTION_REVIEWERS))
    decide = Task.objects.get(case=accepted, kind=TaskKind.DECIDE, state=TaskState.OPEN)
    # Only the lead department decides.
    with pytest.raises(NotFound):
        services.task_complete(
            actor=staff("fire", StaffRole.APPROVER), task=decide, decision="approve"
        )
    services.task_complete(
        actor=staff(LEAD, StaffRole.APPROVER), task=decide, decision="approve", comment="准予"
    )
    accepted.refresh_from_db()
    assert accepted.status in (CaseStatus.ISSUED, CaseStatus.COMPLETED)
    certificate = Certificate.objects.get(case=accepted)

    page = api_client.get("/publicity/permits/")
    assert page.status_code == 200
    html = page.content.decode()
    assert certificate.number in html
    assert enterprise.name in html
    assert "嘉定新城示范楼" in html
    assert f"/verify/{certificate.number}/" in html
    # Nothing personal: not the agent's name nor the enterprise's full credit code.
    assert enterprise.uscc not in html


def test_the_lead_may_deny_and_nothing_is_published(accepted: Case, api_client: Client) -> None:
    review_all(accepted, list(CONSTRUCTION_REVIEWERS))
    decide = Task.objects.get(case=accepted, kind=TaskKind.DECIDE, state=TaskState.OPEN)
    services.task_complete(
        actor=staff(LEAD, StaffRole.APPROVER), task=decide, decision="deny", comment="不符合条件"
    )
    accepted.refresh_from_db()
    assert accepted.status == CaseStatus.DENIED
    assert not Certificate.objects.filter(case=accepted).exists()
    assert accepted.case_no not in api_client.get("/publicity/permits/").content.decode()


# --- pages -----------------------------------------------------------------------------------


def test_the_lead_sees_every_opinion_on_its_case_page_and_a_reviewer_does_not(
    accepted: Case,
) -> None:
    services.task_complete(
        actor=staff("fire", StaffRole.REVIEWER),
        task=review_task(accepted, "fire"),
        decision="fail",
        comment="消防车道宽度不足4米",
    )
    review_all(accepted, ["water", "greening"])
    lead = Client()
    lead.force_login(staff(LEAD, StaffRole.APPROVER))
    html = lead.get(f"/workbench/cases/{accepted.pk}/").content.decode()
    assert 'id="joint-review"' in html
    assert html.count('class="opinion ') == 11
    assert "消防车道宽度不足4米" in html
    assert "共 11 个部门：通过 2，不通过 1，审查中 8" in html

    other = Client()
    other.force_login(staff("water", StaffRole.REVIEWER))
    page = other.get(f"/workbench/cases/{accepted.pk}/")
    assert page.status_code == 200
    assert 'id="joint-review"' not in page.content.decode()


def test_the_applicant_sees_each_departments_state_and_a_failure_with_its_reason(
    accepted: Case, agent_user: User
) -> None:
    services.task_complete(
        actor=staff("fire", StaffRole.REVIEWER),
        task=review_task(accepted, "fire"),
        decision="fail",
        comment="消防车道宽度不足4米",
    )
    client = Client()
    client.force_login(agent_user)
    html = client.get(f"/my/cases/{accepted.pk}/").content.decode()
    assert 'id="joint-review"' in html
    assert html.count('class="opinion ') == 11
    assert "理由：消防车道宽度不足4米" in html
    assert "审查不通过" in html


def test_the_public_permit_list_is_empty_and_refuses_nothing_before_any_issue(
    permit: Matter, api_client: Client
) -> None:
    page = api_client.get("/publicity/permits/", {"q": "x" * 500})
    assert page.status_code == 200
    assert 'id="no-permits"' in page.content.decode()
    assert api_client.post("/publicity/permits/").status_code == 405


# --- cost per opinion ------------------------------------------------------------------------


def _queries_of_one_opinion(size: int, applicant: User, enterprise: Enterprise) -> int:
    reviewers = [f"bench-{size}-{n:02d}" for n in range(size)]
    matter = joint_review_matter(reviewers, code=f"permit-{size}")
    case = permit_accepted(applicant, enterprise, matter.code)
    review_all(case, reviewers[:2])  # neither the first nor the last opinion
    task = review_task(case, reviewers[2])
    actor = staff(reviewers[2], StaffRole.REVIEWER)
    with CaptureQueriesContext(connection) as queries:
        services.task_complete(actor=actor, task=task, decision="pass", comment="符合要求")
    # The other departments' rows were left alone: still open, their due dates untouched.
    assert case.tasks.filter(kind=TaskKind.JOINT_REVIEW, state=TaskState.OPEN).count() == size - 3
    return len(queries)


def test_one_opinion_costs_the_same_queries_with_10_or_40_departments(
    agent_user: User, enterprise: Enterprise
) -> None:
    assert _queries_of_one_opinion(10, agent_user, enterprise) == _queries_of_one_opinion(
        40, agent_user, enterprise
    )


def test_a_departments_answered_supplement_moves_its_own_deadline_only(
    departments: dict[str, Department], agent_user: User, enterprise: Enterprise
) -> None:
    matter = joint_review_matter(["fire", "water", "planning"], code="permit-2d", review_days=2)
    case = permit_accepted(agent_user, enterprise, matter.code)
    assert case.accepted_at is not None
    services.task_complete(
        actor=staff("planning", StaffRole.REVIEWER),
        task=review_task(case, "planning"),
        decision="request_supplement",
        data={"items": [{"kind": "material", "code": "construction-contract"}]},
    )
    # Answered a week after it was sent: that week does not count for planning alone.
    services.case_supplement_answer(
        actor=agent_user,
        case=Case.objects.get(pk=case.pk),
        files={"construction-contract": pdf_file("监理合同.pdf")},
        now=case.accepted_at + dt.timedelta(days=7),
    )
    case.refresh_from_db()
    dues = dict(
        case.tasks.filter(kind=TaskKind.JOINT_REVIEW, state=TaskState.OPEN).values_list(
            "department__code", "due_date"
        )
    )
    start = shanghai_date(case.accepted_at)
    two_days = WorkCalendar().add_working_days(start, 2).due_date
    assert dues["fire"] == dues["water"] == two_days
    assert dues["planning"] == joint_review.review_due_date(case, review_task(case, "planning"))
    assert dues["planning"] > two_days + dt.timedelta(days=6)
