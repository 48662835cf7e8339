"""好差评 services: invitations, ratings and their refusals, the follow-up, appeals, the device."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tongban.cases import services as cases
from tongban.cases.choices import Decision, TaskKind, TaskState
from tongban.cases.models import Case, Notification, Task
from tongban.cases.selectors import task_list_for_staff
from tongban.cases.tests.factories import case_draft, open_task
from tongban.catalog.models import Department, Matter
from tongban.core.errors import (
    Conflict,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.evaluation import selectors, services
from tongban.evaluation.choices import AppealState
from tongban.evaluation.models import Appeal, Evaluation, Invitation, RatingRequest
from tongban.evaluation.tests.factories import bad_rating
from tongban.identity import services as identity
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI


def _db_state() -> tuple[int, ...]:
    return (
        Evaluation.objects.count(),
        Task.objects.filter(kind=TaskKind.EVALUATION_FOLLOW_UP, state=TaskState.OPEN).count(),
        Appeal.objects.count(),
        Notification.objects.count(),
        RatingRequest.objects.filter(used_at__isnull=False).count(),
        Evaluation.objects.filter(answered_at__isnull=False).count(),
        Evaluation.objects.filter(excluded_at__isnull=False).count(),
    )


@pytest.fixture
def police_supervisor(departments: dict[str, Department]) -> User:
    return identity.staff_create(
        username="police-supervisor",
        password="x-pass-2026",
        department_code="police",
        roles=[StaffRole.SUPERVISOR],
        name="police-supervisor",
    )


# --- invitations -------------------------------------------------------------------------------


def test_the_applicant_is_invited_once_per_stage_with_a_link(completed_case: Case) -> None:
    invitations = Invitation.objects.filter(case=completed_case)
    assert sorted(invitations.values_list("stage", flat=True)) == ["acceptance", "result"]
    invited = Notification.objects.filter(case=completed_case, subject__contains="请评价")
    # One email and one SMS per stage (张三 has a phone; the cast has no email): 2 stages.
    assert invited.count() == invitations.count() * invited.values("channel").distinct().count()
    assert all(f"/my/cases/{completed_case.pk}/evaluate/?stage=" in n.body for n in invited)


def test_a_stage_happening_again_invites_nobody_twice(completed_case: Case) -> None:
    invitation = Invitation.objects.get(case=completed_case, stage="acceptance")
    notices = Notification.objects.filter(case=completed_case).count()
    again = timezone.now()
    assert services.invitation_send(case=completed_case, stage="acceptance", at=again) is None
    assert Invitation.objects.filter(case=completed_case, stage="acceptance").count() == 1
    assert Invitation.objects.get(pk=invitation.pk).invited_at == invitation.invited_at
    assert Notification.objects.filter(case=completed_case).count() == notices
    # A stage not yet invited is: the row as stored, and its one notice.
    Invitation.objects.filter(pk=invitation.pk).delete()
    made = services.invitation_send(case=completed_case, stage="acceptance", at=again)
    assert made is not None and made.pk is not None
    stored = Invitation.objects.get(case=completed_case, stage="acceptance")
    assert (stored.pk, stored.invited_at) == (made.pk, again)
    assert Notification.objects.filter(case=completed_case).count() > notices


def test_a_draft_and_its_withdrawal_invite_nobody(applicant: User, drainage: Matter) -> None:
    case = case_draft(applicant=applicant)
    cases.case_withdraw(actor=applicant, case=case)
    assert not Invitation.objects.filter(case=case).exists()


# --- rating ------------------------------------------------------------------------------------


def test_the_applicant_rates_the_result_of_a_completed_case(
    applicant: User, completed_case: Case
) -> None:
    evaluation = services.evaluation_create(
        actor=applicant,
        case=completed_case,
        score=5,
        comment="很快",
        dimensions={"efficiency": 5, "attitude": 4},
    )
    assert evaluation.stage == "result"  # the latest stage not yet rated
    assert (evaluation.score, evaluation.channel) == (5, "online")
    assert evaluation.rated_by == applicant
    assert evaluation.department.code == "market"
    assert evaluation.matter == completed_case.matter
    assert evaluation.follow_up_task is None
    second = services.evaluation_create(actor=applicant, case=completed_case, score=4)
    assert second.stage == "acceptance"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"score": 0}, "score"),
        ({"score": 6}, "score"),
        ({"score": True}, "score"),
        ({"score": "5"}, "score"),
        ({"score": 10**20}, "score"),
        ({"dimensions": {"speed": 3}}, "dimensions.speed"),
        ({"dimensions": {"attitude": 9}}, "dimensions.attitude"),
        ({"comment": "好\x00"}, "comment"),
        ({"comment": "字" * 1001}, "comment"),
        ({"stage": "payment"}, "stage"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_a_bad_rating_input_is_refused_and_nothing_changes(
    applicant: User, completed_case: Case, changes: dict[str, Any], field: str
) -> None:
    before = _db_state()
    arguments: dict[str, Any] = {"score": 3, **changes}
    with pytest.raises(ValidationFailed) as caught:
        services.evaluation_create(actor=applicant, case=completed_case, **arguments)
    assert field in [e.field for e in caught.value.errors]
    assert _db_state() == before


def test_another_persons_case_is_not_found_and_staff_cannot_rate_for_the_applicant(
    outsider: User, clerk: User, completed_case: Case
) -> None:
    before = _db_state()
    with pytest.raises(NotFound):
        services.evaluation_create(actor=outsider, case=completed_case, score=5)
    with pytest.raises(PermissionDenied):
        services.evaluation_create(actor=clerk, case=completed_case, score=5)
    assert _db_state() == before


def test_a_stage_is_rated_only_once(applicant: User, completed_case: Case) -> None:
    services.evaluation_create(actor=applicant, case=completed_case, score=1, stage="result")
    before = _db_state()
    with pytest.raises(Conflict):
        services.evaluation_create(actor=applicant, case=completed_case, score=5, stage="result")
    services.evaluation_create(actor=applicant, case=completed_case, score=5)  # acceptance
    with pytest.raises(Conflict):
        services.evaluation_create(actor=applicant, case=completed_case, score=5)
    assert _db_state()[1:4] == before[1:4]


def test_a_stage_that_has_not_happened_cannot_be_rated(
    applicant: User, accepted_case: Case
) -> None:
    before = _db_state()
    with pytest.raises(ValidationFailed) as caught:
        services.evaluation_create(actor=applicant, case=accepted_case, score=4, stage="result")
    assert caught.value.errors[0].field == "stage"
    assert _db_state() == before
    draft = case_draft(applicant=applicant)
    with pytest.raises(ValidationFailed):
        services.evaluation_create(actor=applicant, case=draft, score=4)
    assert _db_state() == before
    # The acceptance of a case under review can be rated already.
    assert services.evaluation_create(actor=applicant, case=accepted_case, score=4).stage == (
        "acceptance"
    )


# --- the bad rating's follow-up ----------------------------------------------------------------


def test_the_follow_up_is_due_five_working_days_later_across_national_day(db: None) -> None:
    # 2026 国庆 10/1–10/7 off, make-up Sat 10/10: 10/8, 10/9, 10/10, 10/12, 10/13.
    rated = dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    assert services.follow_up_due_date(rated) == dt.date(2026, 10, 13)
    # Late on Friday evening in Shanghai is still Friday (UTC is the same day here).
    friday = dt.datetime(2026, 12, 4, 23, 30, tzinfo=SHANGHAI)
    assert services.follow_up_due_date(friday) == dt.date(2026, 12, 11)


def test_a_bad_rating_opens_a_task_for_the_departments_supervisors(
    applicant: User, supervisor: User, completed_case: Case
) -> None:
    rated = dt.datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
    evaluation, task = bad_rating(applicant=applicant, case=completed_case, score=2, now=rated)
    assert (task.kind, task.role, task.department.code) == (
        "evaluation_follow_up",
        "supervisor",
        "market",
    )
    assert task.due_date == evaluation.follow_up_due_date == dt.date(2026, 10, 13)
    assert task in task_list_for_staff(user=supervisor)


def test_the_supervisor_answers_a_bad_rating_and_the_applicant_is_told(
    applicant: User, supervisor: User, completed_case: Case
) -> None:
    _evaluation, task = bad_rating(applicant=applicant, case=completed_case)
    answered = services.follow_up_answer(
        actor=supervisor,
        task=task,
        verified=True,
        rectification="已对窗口人员进行培训",
        answer="经核实情况属实，已整改，感谢监督。",
    )
    task.refresh_from_db()
    assert (task.state, task.decision) == ("completed", Decision.ANSWER)
    assert answered.verified is True and answered.answered_by == supervisor
    told = Notification.objects.filter(case=completed_case, subject__contains="差评")
    assert told.exists() and "感谢监督" in told.first().body  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "comment", "field"),
    [
        ({"rectification": "已整改"}, "已答复", "data.verified"),
        ({"verified": "yes", "rectification": "已整改"}, "已答复", "data.verified"),
        ({"verified": True}, "已答复", "data.rectification"),
        ({"verified": True, "rectification": "已整改"}, "", "comment"),
        ({"verified": True, "rectification": "\x00"}, "已答复", "data.rectification"),
    ],
)
def test_completing_the_follow_up_needs_verification_rectification_and_answer(
    applicant: User,
    supervisor: User,
    completed_case: Case,
    data: dict[str, Any],
    comment: str,
    field: str,
) -> None:
    _evaluation, task = bad_rating(applicant=applicant, case=completed_case)
    before = _db_state()
    with pytest.raises(ValidationFailed) as caught:
        cases.task_complete(
            actor=supervisor, task=task, decision="answer", comment=comment, data=data
        )
    assert field in [e.field for e in caught.value.errors]
    assert _db_state() == before


def test_another_department_and_the_applicant_cannot_answer(
    applicant: User, police_supervisor: User, completed_case: Case
) -> None:
    _evaluation, task = bad_rating(applicant=applicant, case=completed_case)
    before = _db_state()
    for actor in (police_supervisor, applicant):
        with pytest.raises(PermissionDenied):
            services.follow_up_answer(
                actor=actor, task=task, verified=False, rectification="无", answer="不属实"
            )
    assert _db_state() == before


def test_the_process_mirroring_leaves_an_acceptance_follow_up_open(
    applicant: User, reviewer: User, accepted_case: Case
) -> None:
    rating = services.evaluation_create(actor=applicant, case=accepted_case, score=1)
    cases.task_complete(actor=reviewer, task=open_task(accepted_case, "review"), decision="pass")
    assert rating.follow_up_task is not None
    rating.follow_up_task.refresh_from_db()
    assert rating.follow_up_task.state == TaskState.OPEN


# --- appeals -----------------------------------------------------------------------------------


def test_an_upheld_appeal_sets_the_rating_aside_but_keeps_it(
    applicant: User, supervisor: User, center_admin: User, completed_case: Case
) -> None:
    evaluation, task = bad_rating(applicant=applicant, case=completed_case)
    assert selectors.satisfaction_by_department()[evaluation.department_id].bad == 1
    appeal = services.appeal_open(
        actor=supervisor, evaluation=evaluation, kind="mistaken", reason="申请人误评"
    )
    services.appeal_decide(actor=center_admin, appeal=appeal, uphold=True, comment="核实为误评")
    evaluation.refresh_from_db()
    task.refresh_from_db()
    assert evaluation.excluded_at is not None
    assert task.state == TaskState.CANCELLED
    assert evaluation.department_id not in selectors.satisfaction_by_department()
    assert Evaluation.objects.filter(pk=evaluation.pk).exists()


def test_an_appeal_is_refused_to_the_applicant_to_a_good_rating_and_twice(
    applicant: User, supervisor: User, clerk: User, center_admin: User, completed_case: Case
) -> None:
    good = services.evaluation_create(actor=applicant, case=completed_case, score=4)
    before = _db_state()
    with pytest.raises(ValidationFailed):
        services.appeal_open(actor=supervisor, evaluation=good, kind="abusive", reason="恶意")
    assert _db_state() == before
    bad = services.evaluation_create(actor=applicant, case=completed_case, score=1)
    before = _db_state()
    for actor in (applicant, clerk):
        with pytest.raises(PermissionDenied):
            services.appeal_open(actor=actor, evaluation=bad, kind="abusive", reason="恶意")
    assert _db_state() == before
    appeal = services.appeal_open(actor=supervisor, evaluation=bad, kind="abusive", reason="辱骂")
    with pytest.raises(Conflict):
        services.appeal_open(actor=supervisor, evaluation=bad, kind="abusive", reason="再次")
    with pytest.raises(PermissionDenied):
        services.appeal_decide(actor=supervisor, appeal=appeal, uphold=True, comment="自批")
    services.appeal_decide(actor=center_admin, appeal=appeal, uphold=False, comment="不成立")
    with pytest.raises(InvalidStateChange):
        services.appeal_decide(actor=center_admin, appeal=appeal, uphold=True, comment="改判")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.REFUSED
    assert selectors.satisfaction_by_department()[bad.department_id].bad == 1


# --- satisfaction ------------------------------------------------------------------------------


def test_satisfaction_by_department_counts_by_hand(
    applicant: User, supervisor: User, completed_case: Case, accepted_case: Case
) -> None:
    services.evaluation_create(actor=applicant, case=completed_case, score=5, stage="result")
    services.evaluation_create(actor=applicant, case=completed_case, score=4, stage="acceptance")
    bad = services.evaluation_create(actor=applicant, case=accepted_case, score=2)
    assert bad.follow_up_task is not None
    services.follow_up_answer(
        actor=supervisor, task=bad.follow_up_task, verified=True, rectification="改", answer="复"
    )
    market = completed_case.department_id
    got = selectors.satisfaction_by_department()[market]
    assert (got.ratings, got.satisfied, got.bad, got.bad_answered, got.bad_open) == (3, 2, 1, 1, 0)
    assert got.average_score == pytest.approx(11 / 3, abs=0.01)
    assert got.satisfaction_rate == pytest.approx(2 / 3)
    today = timezone.now().astimezone(SHANGHAI).date()
    assert selectors.satisfaction_by_department(start=today + dt.timedelta(days=1)) == {}
    assert selectors.satisfaction_by_department(start=today, end=today)[market].ratings == 3
    with pytest.raises(ValidationFailed):
        selectors.satisfaction_by_department(start=today, end=today - dt.timedelta(days=1))


def test_an_unanswered_bad_rating_past_its_due_date_is_overdue(
    applicant: User, completed_case: Case
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=30)
    bad_rating(applicant=applicant, case=completed_case, now=long_ago)
    got = selectors.satisfaction_by_department()[completed_case.department_id]
    assert (got.bad_open, got.bad_overdue) == (1, 1)


# --- the window device (评价器) ----------------------------------------------------------------


def test_the_window_clerk_hands_the_rating_to_the_applicant(
    applicant: User, clerk: User, completed_case: Case
) -> None:
    request = services.rating_request_open(actor=clerk, case=completed_case, stage="result")
    evaluation = services.rating_request_rate(token=request.token, score=2, comment="排队久")
    assert (evaluation.channel, evaluation.rated_by, evaluation.handed_by) == (
        "window",
        applicant,
        clerk,
    )
    assert evaluation.follow_up_task is not None
    before = _db_state()
    with pytest.raises(NotFound):  # single use
        services.rating_request_rate(token=request.token, score=5)
    assert _db_state() == before


def test_a_window_request_expires_and_is_refused_to_others(
    clerk: User, supervisor: User, police_clerk: User, completed_case: Case
) -> None:
    request = services.rating_request_open(actor=clerk, case=completed_case)
    later = timezone.now() + dt.timedelta(minutes=16)
    before = _db_state()
    with pytest.raises(NotFound):
        services.rating_request_rate(token=request.token, score=5, now=later)
    with pytest.raises(NotFound):
        services.rating_request_rate(token="guess", score=5)
    assert _db_state() == before
    with pytest.raises(PermissionDenied):
        services.rating_request_open(actor=supervisor, case=completed_case)
    with pytest.raises(NotFound):
        services.rating_request_open(actor=police_clerk, case=completed_case)
