"""Where a case stands on its diagram, at each stage of standard_approval and joint_review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from tongban.cases import services
from tongban.cases.choices import TaskKind
from tongban.cases.models import Case, Task
from tongban.cases.selectors_position import Position, case_position, position_for
from tongban.cases.tests.factories import case_submitted, open_task
from tongban.cases.tests.test_joint_review import (
    LEAD,
    joint_review_matter,
    permit_accepted,
    review_task,
    staff,
)
from tongban.catalog.models import Department, Matter
from tongban.core.errors import NotFound
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User
from tongban.workflow.models import NodeVisit
from tongban.workflow.services import visits_backfill_all

pytestmark = pytest.mark.django_db


def _nodes(steps: list) -> list[str]:  # type: ignore[type-arg]
    return [s.node for s in steps]


def _of(user: User, case: Case) -> Position:
    case.refresh_from_db()
    return case_position(user=user, case=case)


def test_a_submitted_case_waits_at_acceptance_with_its_due_date(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    position = _of(clerk, case)
    assert (position.process, position.version, position.recorded) == ("standard_approval", 1, True)
    assert _nodes(position.current) == ["accept"]
    [accept] = position.current
    assert accept.due_date == case.acceptance_due_date and accept.due_date is not None
    assert accept.sla == "normal" and position.markers["accept"] == "current"
    assert accept.department == "market" and accept.by is None
    assert _nodes(position.done) == ["start", "route_default"]
    assert position.flows == ["flow_start_route_default", "flow_start_accept"]
    # The acceptance timer is armed beside the task: not a step, and not reached yet.
    not_reached = {n["node"] for n in position.not_reached}
    assert {"acceptance_timeout", "review", "decide", "approved", "denied"} <= not_reached
    assert position.markers["review"] == "not-taken"
    assert "flow_review_decide" in position.flows_not_taken
    # The text alternative leaves the script task out.
    assert _nodes(position.steps) == ["start", "accept"]


def test_a_supplement_at_acceptance_waits_for_the_applicant_then_returns_to_accept(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    items = [{"kind": "field", "code": "project_name", "reason": "名称不符"}]
    services.task_complete(
        actor=clerk,
        task=open_task(case, "accept"),
        decision="request_supplement",
        data={"items": items},
    )
    position = _of(clerk, case)
    assert _nodes(position.current) == ["supplement"]
    [supplement] = position.current
    assert (supplement.sla, supplement.lane) == ("suspended", "applicant")
    assert supplement.due_date is None
    assert "flow_accept_supplement" in position.flows
    accept = next(s for s in position.done if s.node == "accept")
    assert (accept.decision, accept.by) == ("request_supplement", "market-clerk")

    services.case_supplement_answer(actor=applicant, case=case, form={"project_name": "新名称"})
    position = _of(clerk, case)
    assert _nodes(position.current) == ["accept"]
    assert "flow_supplement_accept" in position.flows
    # Two passes of accept: the first done, the second waiting.
    assert [s.state for s in [*position.done, *position.current] if s.node == "accept"] == [
        "done",
        "current",
    ]


def test_review_then_decide_then_approved(
    applicant: User, clerk: User, reviewer: User, approver: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    position = _of(reviewer, case)
    assert _nodes(position.current) == ["review"]
    assert position.current[0].due_date == Case.objects.get(pk=case.pk).due_date
    assert {"flow_accept_review", "flow_route_review"} <= set(position.flows)
    assert "strict_review" in {n["node"] for n in position.not_reached}

    services.task_complete(actor=reviewer, task=open_task(case, "review"), decision="pass")
    position = _of(reviewer, case)
    assert _nodes(position.current) == ["decide"]

    services.task_complete(
        actor=approver, task=open_task(case, "decide"), decision="approve", comment="准予"
    )
    position = _of(approver, case)
    assert position.current == [] and position.completed and position.end_event == "approved"
    assert _nodes(position.steps) == ["start", "accept", "review", "decide", "approved"]
    decide = next(s for s in position.done if s.node == "decide")
    assert (decide.by, decide.decision, decide.decision_label) == (
        "market-approver",
        "approve",
        "准予许可",
    )
    assert position.markers["approved"] == "done"
    assert position.markers["denied"] == "not-taken"
    assert "flow_decide_approved" in position.flows
    assert "flow_decide_denied" in position.flows_not_taken


def test_a_denied_case_ends_at_denied(
    applicant: User, clerk: User, reviewer: User, approver: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    services.task_complete(
        actor=reviewer, task=open_task(case, "review"), decision="fail", comment="不符合"
    )
    services.task_complete(
        actor=approver, task=open_task(case, "decide"), decision="deny", comment="不符合条件"
    )
    position = _of(applicant, case)
    assert position.end_event == "denied" and position.markers["denied"] == "done"
    assert position.markers["approved"] == "not-taken"
    assert "flow_decide_denied" in position.flows


def test_the_applicant_sees_the_same_path_without_staff_names_or_decisions(
    applicant: User, clerk: User, reviewer: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    staff_view = _of(clerk, case)
    applicant_view = _of(applicant, case)
    assert _nodes(applicant_view.done) == _nodes(staff_view.done)
    assert applicant_view.markers == staff_view.markers
    assert not applicant_view.as_staff
    assert all(s.by is None and s.decision is None for s in applicant_view.done)
    assert next(s for s in staff_view.done if s.node == "accept").by == "market-clerk"


def test_an_overdue_acceptance_is_marked_overdue(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    case.refresh_from_db()
    assert case.acceptance_due_date is not None
    late = case.acceptance_due_date + timedelta(days=10)
    position = case_position(user=clerk, case=case, today=late)
    assert position.current[0].sla == "overdue"
    assert position.markers["accept"] == "current-overdue"


def test_english_labels_come_from_the_catalogue(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    with translation.override("en"):
        position = _of(clerk, case)
    [accept] = position.current
    assert (accept.name_zh, accept.name_en, accept.name) == ("受理", "Acceptance", "Acceptance")


def test_another_persons_case_has_no_position_for_them(
    applicant: User, outsider: User, police_clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    for user in (outsider, police_clerk):
        with pytest.raises(NotFound):
            position_for(user=user, case_id=case.pk)
    with pytest.raises(NotFound):
        position_for(user=applicant, case_id=2**70)


def test_a_draft_has_no_version_yet(applicant: User, drainage: Matter) -> None:
    case = services.case_create(
        actor=applicant, matter_code="drainage-permit", form={"project_name": "x"}
    )
    position = case_position(user=applicant, case=case)
    assert (position.process, position.version, position.recorded) == (
        "standard_approval",
        None,
        False,
    )


def test_a_case_whose_path_was_never_recorded_has_no_markers_until_backfilled(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    assert case.process is not None
    NodeVisit.objects.filter(instance=case.process).delete()
    position = _of(clerk, case)
    assert (position.recorded, position.version) == (False, 1)
    assert position.markers == {} and position.not_reached == [] and position.current == []
    visits_backfill_all()
    position = _of(clerk, case)
    assert position.recorded and _nodes(position.current) == ["accept"]


def test_the_position_takes_a_fixed_number_of_queries(
    applicant: User,
    clerk: User,
    reviewer: User,
    drainage: Matter,
    django_assert_max_num_queries: Any,
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    case.refresh_from_db()
    with django_assert_max_num_queries(10):
        case_position(user=reviewer, case=case)


# --- joint review ----------------------------------------------------------------------------

REVIEWERS = ["planning", "fire", "greening"]


@pytest.fixture
def permit(departments: dict[str, Department]) -> Matter:
    return joint_review_matter(REVIEWERS)


def test_a_joint_review_shows_each_departments_instance(
    permit: Matter, agent_user: User, enterprise: Enterprise
) -> None:
    case = permit_accepted(agent_user, enterprise)
    lead = staff(LEAD, StaffRole.CLERK)
    position = _of(lead, case)
    assert sorted(s.department for s in position.departments) == sorted(REVIEWERS)
    assert all(s.state == "current" for s in position.departments)
    assert position.overlays == {"department_review": "0/3"}
    assert all(s.due_date is not None for s in position.departments)

    # Some departments done.
    services.task_complete(
        actor=staff("fire", StaffRole.REVIEWER),
        task=review_task(case, "fire"),
        decision="pass",
        comment="符合",
    )
    position = _of(lead, case)
    assert position.overlays == {"department_review": "1/3"}
    fire = next(s for s in position.departments if s.department == "fire")
    assert (fire.state, fire.decision, fire.by) == ("done", "pass", "fire-reviewer")
    assert position.markers["department_review"] == "current"
    # The department is named in the reader's language.
    assert fire.department_name == Department.objects.get(code="fire").name

    # All departments done: the lead decides.
    for code in ("planning", "greening"):
        services.task_complete(
            actor=staff(code, StaffRole.REVIEWER),
            task=review_task(case, code),
            decision="pass",
            comment="符合",
        )
    position = _of(lead, case)
    assert position.overlays == {"department_review": "3/3"}
    assert _nodes(position.current) == ["decide"]
    assert position.markers["department_review"] == "done"
    assert "flow_review_consolidate" in position.flows

    # Decided.
    decide = Task.objects.get(case=case, kind=TaskKind.DECIDE, state="open")
    services.task_complete(
        actor=staff(LEAD, StaffRole.APPROVER), task=decide, decision="approve", comment="准予"
    )
    position = _of(agent_user, case)
    assert position.completed and position.end_event == "approved"
    assert position.current == []
    # The applicant's agent sees every department's review, without names.
    assert len(position.departments) == 3
    assert all(s.by is None and s.decision is None for s in position.departments)


def test_an_overdue_department_marks_the_review_overdue(
    permit: Matter, agent_user: User, enterprise: Enterprise
) -> None:
    case = permit_accepted(agent_user, enterprise)
    due = review_task(case, "fire").due_date
    assert due is not None
    position = case_position(
        user=staff(LEAD, StaffRole.CLERK), case=case, today=due + timedelta(days=1)
    )
    assert {s.sla for s in position.departments} == {"overdue"}
    assert position.markers["department_review"] == "current-overdue"
