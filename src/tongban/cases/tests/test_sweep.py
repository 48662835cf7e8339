"""The SLA sweep: due timers handled once, warning/overdue recorded once, even with two sweeps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils.module_loading import import_string
from django_tasks.base import Task

from tongban.cases.choices import CaseStatus, SlaState
from tongban.cases.models import Case, TimelineEntry
from tongban.cases.services import sla, sweep
from tongban.cases.tests.test_sla import at, case_make
from tongban.core.periodic import registered_periodic
from tongban.identity.models import User
from tongban.workflow.models import ProcessDefinition, ProcessInstance

#: A moment in the afternoon of Fri 2026-03-06 in Shanghai.
NOW = at(2026, 3, 6, 15)


def process_make(*, next_timer_at: datetime | None) -> ProcessInstance:
    definition, _created = ProcessDefinition.objects.get_or_create(
        digest="0" * 64,
        defaults={"name": "standard_approval", "source_file": "standard_approval.bpmn", "spec": {}},
    )
    return ProcessInstance.objects.create(
        definition=definition, state={}, next_timer_at=next_timer_at
    )


def timed_case(applicant: User, *, number: int = 1, status: str = CaseStatus.SUBMITTED) -> Case:
    return case_make(
        applicant=applicant,
        status=status,
        submitted_at=at(2026, 2, 26),
        case_no=f"JD20260001{number:02d}",
        process=process_make(next_timer_at=NOW - timedelta(minutes=5)),
    )


class FakeEngine:
    """Stands in for ``case_timers_fire``: records calls and saves like the engine."""

    def __init__(self, *, fail_for: set[int] | None = None, fires: bool = True) -> None:
        self.calls: list[int] = []
        self.fail_for = fail_for or set()
        self.fires = fires
        self.lock = threading.Lock()

    def __call__(self, case: Case) -> None:
        with self.lock:
            self.calls.append(case.pk)
        if case.pk in self.fail_for:
            raise RuntimeError("engine failure")
        if self.fires:
            # The engine saves with version + 1 and the next pending timer (none left here).
            ProcessInstance._base_manager.filter(pk=case.process_id).update(
                version=F("version") + 1, next_timer_at=None
            )


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(sweep, "_case_timers_fire", fake)
    return fake


def test_a_due_timer_is_fired_once_by_two_sweeps_in_a_row(
    applicant: User, engine: FakeEngine
) -> None:
    case = timed_case(applicant)
    first = sweep.sla_sweep(now=NOW)
    second = sweep.sla_sweep(now=NOW)
    assert engine.calls == [case.pk]
    assert first.timers_fired == 1
    assert second.timers_fired == 0


def test_two_interleaved_sweeps_fire_a_timer_once(
    applicant: User, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = timed_case(applicant)
    real_due_timers = sweep._due_timers
    results: list[sweep.SweepResult] = []

    def due_timers_then_let_the_other_sweep_run(now: datetime) -> list[Any]:
        seen = real_due_timers(now)
        if not results:
            # Sweep B runs completely after sweep A has read the due timers, before A claims.
            results.append(sweep.SweepResult(0, 0, 0, 0))
            results.append(sweep.sla_sweep(now=now))
        return seen

    monkeypatch.setattr(sweep, "_due_timers", due_timers_then_let_the_other_sweep_run)
    sweep_a = sweep.sla_sweep(now=NOW)
    sweep_b = results[1]
    assert engine.calls == [case.pk]
    assert sweep_a.timers_fired + sweep_b.timers_fired == 1


def test_a_claim_succeeds_for_exactly_one_of_two_readers(applicant: User) -> None:
    case = timed_case(applicant)
    assert case.process is not None
    seen_at = case.process.next_timer_at
    assert seen_at is not None
    assert sweep.timer_claim(instance_id=case.process.pk, seen_at=seen_at) is True
    assert sweep.timer_claim(instance_id=case.process.pk, seen_at=seen_at) is False


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="in-memory SQLite shares one cache between threads; run with TEST_POSTGRES=1",
)
@pytest.mark.django_db(transaction=True)
def test_two_sweeping_threads_fire_each_timer_once(
    applicant: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [timed_case(applicant, number=n) for n in range(1, 6)]
    # And a case whose limit is 80 % used: both sweeps see it turn to warning.
    warned = case_make(
        applicant=applicant, promised=5, accepted_at=at(2026, 3, 2), case_no="JD2026000200"
    )
    sla.case_deadline_refresh(case=warned)
    fake = FakeEngine()
    monkeypatch.setattr(sweep, "_case_timers_fire", fake)
    real_due_timers = sweep._due_timers
    both_read = threading.Barrier(2, timeout=10)

    def due_timers_then_wait(now: datetime) -> list[Any]:
        seen = real_due_timers(now)
        both_read.wait()  # both sweeps have read every due timer before either claims one
        return seen

    monkeypatch.setattr(sweep, "_due_timers", due_timers_then_wait)
    results: list[sweep.SweepResult] = []
    errors: list[BaseException] = []

    def run_sweep() -> None:
        try:
            results.append(sweep.sla_sweep(now=NOW))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(fake.calls) == sorted(c.pk for c in cases)
    assert sum(r.timers_fired for r in results) == len(cases)
    assert sum(r.warned for r in results) == 1
    assert TimelineEntry.objects.filter(case=warned, action="sla_warning").count() == 1


def test_a_failing_case_does_not_stop_the_sweep_and_is_retried(
    applicant: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = timed_case(applicant, number=1)
    fine = timed_case(applicant, number=2)
    fake = FakeEngine(fail_for={broken.pk})
    monkeypatch.setattr(sweep, "_case_timers_fire", fake)
    result = sweep.sla_sweep(now=NOW)
    assert result.timers_fired == 1
    assert sorted(fake.calls) == sorted([broken.pk, fine.pk])
    broken_process = ProcessInstance.objects.get(pk=broken.process_id)
    assert broken_process.next_timer_at is not None  # the claim was rolled back
    fake.fail_for.clear()
    assert sweep.sla_sweep(now=NOW).timers_fired == 1


def test_a_timer_the_engine_did_not_fire_is_kept(
    applicant: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = timed_case(applicant)
    monkeypatch.setattr(sweep, "_case_timers_fire", FakeEngine(fires=False))
    assert sweep.sla_sweep(now=NOW).timers_fired == 0
    assert ProcessInstance.objects.get(pk=case.process_id).next_timer_at is not None


def test_a_timer_is_kept_when_the_process_was_saved_between_read_and_claim(
    applicant: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = timed_case(applicant)
    real_due_timers = sweep._due_timers

    def read_then_someone_saves(now: datetime) -> list[Any]:
        seen = real_due_timers(now)
        # e.g. a clerk's action saved the process (version + 1) keeping the same timer
        ProcessInstance._base_manager.filter(pk=case.process_id).update(version=F("version") + 1)
        return seen

    monkeypatch.setattr(sweep, "_due_timers", read_then_someone_saves)
    monkeypatch.setattr(sweep, "_case_timers_fire", FakeEngine(fires=False))
    assert sweep.sla_sweep(now=NOW).timers_fired == 0
    assert ProcessInstance.objects.get(pk=case.process_id).next_timer_at is not None


def test_timers_of_final_cases_and_future_timers_are_left_alone(
    applicant: User, engine: FakeEngine
) -> None:
    timed_case(applicant, number=1, status=CaseStatus.WITHDRAWN)
    later = timed_case(applicant, number=2)
    ProcessInstance.objects.filter(pk=later.process_id).update(
        next_timer_at=NOW + timedelta(minutes=1)
    )
    assert sweep.sla_sweep(now=NOW).timers_fired == 0
    assert engine.calls == []


def test_the_sweep_moves_a_case_into_warning_once_with_one_staff_timeline_entry(
    applicant: User, engine: FakeEngine
) -> None:
    # Accepted Mon 03-02 with 5 days, due 03-09: on Fri 03-06 four of five days are used.
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    sla.case_deadline_refresh(case=case)
    first = sweep.sla_sweep(now=NOW)
    second = sweep.sla_sweep(now=NOW + timedelta(minutes=1))
    assert (first.warned, first.checked) == (1, 1)
    assert second.warned == 0
    case.refresh_from_db()
    assert case.sla_state == SlaState.WARNING
    assert case.warned_at == NOW
    entries = TimelineEntry.objects.filter(case=case, action="sla_warning")
    assert entries.count() == 1
    assert entries.get().public is False
    assert "2026-03-09" in entries.get().comment


def test_the_sweep_marks_a_case_overdue_after_the_end_of_the_due_date(
    applicant: User, engine: FakeEngine
) -> None:
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    sla.case_deadline_refresh(case=case)
    sweep.sla_sweep(now=NOW)
    # 23:59 on the due date in Shanghai is still in time …
    assert sweep.sla_sweep(now=at(2026, 3, 9, 23).replace(minute=59)).overdue == 0
    # … one minute after midnight it is overdue.
    result = sweep.sla_sweep(now=at(2026, 3, 10, 0).replace(minute=1))
    assert result.overdue == 1
    case.refresh_from_db()
    assert case.sla_state == SlaState.OVERDUE
    assert case.overdue_at is not None
    assert TimelineEntry.objects.filter(case=case, action="sla_overdue", public=False).count() == 1


def test_two_sweeps_that_read_the_same_state_write_one_timeline_entry(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    sla.case_deadline_refresh(case=case)
    read_by_a = Case.objects.get(pk=case.pk)
    read_by_b = Case.objects.get(pk=case.pk)
    assert sweep._state_change(case=read_by_a, new=SlaState.WARNING, now=NOW) is True
    assert sweep._state_change(case=read_by_b, new=SlaState.WARNING, now=NOW) is False
    assert TimelineEntry.objects.filter(case=case).count() == 1


def test_a_case_waiting_for_a_supplement_is_suspended(applicant: User, engine: FakeEngine) -> None:
    from tongban.cases.tests.test_sla import supplement_make

    case = case_make(
        applicant=applicant,
        promised=5,
        accepted_at=at(2026, 3, 2),
        status=CaseStatus.SUPPLEMENT_REQUIRED,
    )
    supplement_make(case=case, requested_at=at(2026, 3, 3))
    result = sweep.sla_sweep(now=at(2026, 3, 20))
    case.refresh_from_db()
    assert case.sla_state == SlaState.SUSPENDED
    assert (result.warned, result.overdue) == (0, 0)


def test_drafts_and_decided_cases_are_not_checked(applicant: User, engine: FakeEngine) -> None:
    case_make(applicant=applicant, status=CaseStatus.DRAFT, case_no=None)
    case_make(
        applicant=applicant,
        status=CaseStatus.APPROVED,
        accepted_at=at(2026, 1, 5),
        due_date=date(2026, 1, 12),
        case_no="JD2026000009",
    )
    assert sweep.sla_sweep(now=NOW).checked == 0


def test_the_sla_sweep_command_prints_the_counts(applicant: User, engine: FakeEngine) -> None:
    out = StringIO()
    call_command("sla", "sweep", stdout=out)
    assert "时限巡检完成" in out.getvalue()
    assert "检查办件 0 件" in out.getvalue()


def test_the_worker_runs_the_sweep_every_minute() -> None:
    specs = {spec.name: spec for spec in registered_periodic()}
    spec = specs["sla-sweep"]
    assert spec.every_seconds == 60
    target: Callable[..., Any] = import_string(spec.callable_path)
    assert isinstance(target, Task)


def test_the_sweep_task_returns_the_counts(applicant: User, engine: FakeEngine) -> None:
    from tongban.cases.tasks import sla_sweep_task

    assert sla_sweep_task.call() == {"timers_fired": 0, "warned": 0, "overdue": 0, "checked": 0}


def test_with_the_real_engine_an_expired_acceptance_timer_deems_the_case_accepted_once(
    applicant: User, drainage: Any, clerk: User
) -> None:
    from django.utils import timezone

    from tongban.cases.tests.factories import case_submitted
    from tongban.workflow import engine as workflow_engine

    case = case_submitted(applicant=applicant)
    assert case.process is not None
    # As if the 5 working days had run out: the deadline handed to the timer is in the past.
    workflow_engine.process_set_data(
        instance=ProcessInstance.objects.get(pk=case.process_id),
        data={"acceptance_deadline": (timezone.now() - timedelta(hours=1)).isoformat()},
    )
    assert ProcessInstance.objects.get(pk=case.process_id).next_timer_at is not None

    first = sweep.sla_sweep()
    second = sweep.sla_sweep()
    assert (first.timers_fired, second.timers_fired) == (1, 0)
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    assert case.accepted_at is not None
    assert case.due_date is not None
    assert TimelineEntry.objects.filter(case=case, action="deemed_accepted").count() == 1
