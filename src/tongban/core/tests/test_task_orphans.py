"""A task left RUNNING by a killed ``tongban worker`` is queued again and runs (once more)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tongban.core.models import TaskWorker
from tongban.core.periodic import registered_periodic
from tongban.core.tasks import run_periodic_callable
from tongban.core.workers import tasks_orphaned_requeue, worker_beat

#: Side effects of the task below, checked by the tests.
RUNS: list[str] = []


def record_run() -> None:
    RUNS.append("ran")


RECORD_RUN = "tongban.core.tests.test_task_orphans.record_run"


def _claimed(*, worker_id: str, seconds_ago: float) -> DBTaskResult:
    """A queued task claimed by ``worker_id`` ``seconds_ago`` and never finished (a kill -9)."""
    run_periodic_callable.enqueue(RECORD_RUN)
    row = DBTaskResult.objects.get()
    row.claim(worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    row.refresh_from_db()
    return row


@pytest.fixture(autouse=True)
def _no_runs() -> None:
    RUNS.clear()


@pytest.mark.django_db(transaction=True)
def test_a_task_left_running_by_a_dead_worker_runs_again_on_a_live_one() -> None:
    row = _claimed(worker_id="killed-worker", seconds_ago=120)
    # The killed worker beat last two minutes ago.
    worker_beat(worker_id="killed-worker", now=timezone.now() - timedelta(seconds=120))
    assert tasks_orphaned_requeue() == [str(row.pk)]
    row.refresh_from_db()
    assert row.status == "READY" and row.started_at is None
    call_command(
        "worker",
        "--batch",
        "--no-startup-delay",
        "--no-periodic",
        "--interval=0",
        "--worker-id=live-worker",
        stdout=io.StringIO(),
    )
    row.refresh_from_db()
    assert RUNS == ["ran"]
    assert row.status == "SUCCESSFUL"
    assert row.worker_ids == ["killed-worker", "live-worker"]
    # Nothing left to re-queue: it ran once more, not again and again.
    assert tasks_orphaned_requeue() == []


@pytest.mark.django_db
def test_a_task_of_a_worker_that_still_beats_is_left_alone() -> None:
    row = _claimed(worker_id="slow-worker", seconds_ago=600)
    worker_beat(worker_id="slow-worker")
    assert tasks_orphaned_requeue() == []
    row.refresh_from_db()
    assert row.status == "RUNNING"


@pytest.mark.django_db
def test_a_task_claimed_moments_ago_is_left_alone(settings: Any) -> None:
    # Claimed 5 s ago by a worker not (yet) seen: within TASK_WORKER_DEAD_SECONDS, not an orphan.
    row = _claimed(worker_id="new-worker", seconds_ago=5)
    assert settings.TASK_WORKER_DEAD_SECONDS > 5
    assert tasks_orphaned_requeue() == []
    row.refresh_from_db()
    assert row.status == "RUNNING"


@pytest.mark.django_db
def test_finished_tasks_are_never_queued_again() -> None:
    row = _claimed(worker_id="gone-worker", seconds_ago=120)
    row.set_successful(None)
    assert tasks_orphaned_requeue() == []
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"


@pytest.mark.django_db
def test_heartbeats_of_workers_gone_for_a_day_are_forgotten() -> None:
    worker_beat(worker_id="old", now=timezone.now() - timedelta(days=2))
    worker_beat(worker_id="recent")
    tasks_orphaned_requeue()
    assert list(TaskWorker.objects.values_list("worker_id", flat=True)) == ["recent"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_beats_while_it_runs_and_removes_its_row_when_it_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    beats: list[str] = []
    real_beat = worker_beat

    def beat(*, worker_id: str, now: Any = None) -> None:
        beats.append(worker_id)
        real_beat(worker_id=worker_id, now=now)

    monkeypatch.setattr("tongban.core.management.commands.worker.worker_beat", beat)
    call_command(
        "worker",
        "--batch",
        "--no-startup-delay",
        "--no-periodic",
        "--interval=0",
        "--worker-id=beating-worker",
        stdout=io.StringIO(),
    )
    assert beats[:1] == ["beating-worker"]
    assert not TaskWorker.objects.filter(worker_id="beating-worker").exists()


def test_the_orphan_check_is_a_periodic_job_of_every_worker() -> None:
    specs = {spec.name: spec for spec in registered_periodic()}
    assert specs["task-orphans"].callable_path == "tongban.core.workers.task_orphans_job"
    assert specs["task-orphans"].every_seconds <= 30
