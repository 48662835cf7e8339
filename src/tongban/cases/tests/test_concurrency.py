"""Two completions of one task: one wins, the other gets a conflict, the case stays intact."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from tongban.cases import services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, Task, TimelineEntry
from tongban.cases.tests.factories import case_submitted, open_task
from tongban.catalog.models import Matter
from tongban.core.errors import Conflict
from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.models import ProcessInstance


@pytest.mark.django_db
def test_a_second_completion_of_a_task_loaded_twice_is_a_conflict(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    first = open_task(case, "accept")
    second = Task.objects.get(pk=first.pk)  # the other clerk's stale copy
    stale_instance = ProcessInstance.objects.get(pk=case.process_id)

    services.task_complete(actor=clerk, task=first, decision="accept")
    entries = TimelineEntry.objects.count()
    with pytest.raises(Conflict):
        services.task_complete(actor=clerk, task=second, decision="reject", comment="材料不全")
    # Even past the task row, the process's version refuses a stale copy.
    with pytest.raises(Conflict):
        engine.process_complete_task(
            instance=stale_instance, task_id=first.engine_task_id, data={"decision": "reject"}
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    assert TimelineEntry.objects.count() == entries
    assert Task.objects.get(pk=first.pk).decision == "accept"
    assert case.tasks.filter(kind="review", state="open").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL"
)
def test_two_concurrent_completions_of_one_task_give_one_winner(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    task = open_task(case, "accept")
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def complete(decision: str, comment: str) -> None:
        try:
            barrier.wait()
            services.task_complete(
                actor=clerk, task=Task.objects.get(pk=task.pk), decision=decision, comment=comment
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=complete, args=("accept", "")),
        threading.Thread(target=complete, args=("reject", "材料不全")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    case = Case.objects.get(pk=case.pk)
    assert case.status in (CaseStatus.UNDER_REVIEW, CaseStatus.REJECTED)
    assert Task.objects.filter(case=case, kind="accept", state="completed").count() == 1
