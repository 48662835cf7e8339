"""Cases at the stages ratings need, built through the cases services (never by hand)."""

from __future__ import annotations

from datetime import datetime

from tongban.cases import services as cases
from tongban.cases.choices import TaskKind
from tongban.cases.models import Case, Task
from tongban.cases.tests.factories import case_submitted, open_task
from tongban.evaluation import services
from tongban.evaluation.models import Evaluation
from tongban.identity.models import User


def case_accepted(*, applicant: User, clerk: User) -> Case:
    case = case_submitted(applicant=applicant)
    cases.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    case.refresh_from_db()
    return case


def case_completed(*, applicant: User, clerk: User, reviewer: User, approver: User) -> Case:
    case = case_accepted(applicant=applicant, clerk=clerk)
    cases.task_complete(actor=reviewer, task=open_task(case, TaskKind.REVIEW), decision="pass")
    cases.task_complete(actor=approver, task=open_task(case, TaskKind.DECIDE), decision="approve")
    case.refresh_from_db()
    return case


def bad_rating(
    *, applicant: User, case: Case, score: int = 1, now: datetime | None = None
) -> tuple[Evaluation, Task]:
    evaluation = services.evaluation_create(
        actor=applicant, case=case, score=score, stage="result", comment="等了很久", now=now
    )
    assert evaluation.follow_up_task is not None
    return evaluation, evaluation.follow_up_task
