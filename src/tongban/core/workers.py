"""Tasks left behind by a dead ``tongban worker`` go back on the queue.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED when the
worker is done; a worker killed in between (``kill -9``, a crashed machine, an OOM kill) leaves
the task RUNNING for ever, and nothing runs it again. So every ``tongban worker`` keeps a
heartbeat row (``TaskWorker``, every ``WORKER_HEARTBEAT_SECONDS``), and the periodic job
``task-orphans`` puts a RUNNING task back to READY when the worker that claimed it last has not
beaten for ``TASK_WORKER_DEAD_SECONDS`` (and the task started before that). The task then runs
again on a live worker: tasks must tolerate a second run (``notification_send`` checks the
outbox row's status first; a message already handed to the provider in the instant before the
kill can go out twice — at least once, never lost).

Only ``tongban worker`` beats: a bare ``db_worker`` of django-tasks-db would see its tasks
re-queued after ``TASK_WORKER_DEAD_SECONDS``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tongban.core.models import TaskWorker

logger = logging.getLogger("tongban.worker")

#: Seconds between two heartbeats of a worker.
WORKER_HEARTBEAT_SECONDS = 5.0
#: Heartbeat rows of workers silent this long are removed (they stopped long ago).
FORGET_AFTER = timedelta(days=1)


def worker_beat(*, worker_id: str, now: datetime | None = None) -> None:
    """Record that ``worker_id`` is alive."""
    TaskWorker.objects.update_or_create(
        worker_id=worker_id, defaults={"beat_at": now or timezone.now()}
    )


def worker_stopped(*, worker_id: str) -> None:
    """A worker that stops cleanly removes its row."""
    TaskWorker.objects.filter(worker_id=worker_id).delete()


def tasks_orphaned_requeue(*, now: datetime | None = None) -> list[str]:
    """Put the tasks of dead workers back on the queue; their ids."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TASK_WORKER_DEAD_SECONDS)
    alive = set(TaskWorker.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff
        )
        orphans = [
            task for task in running if not task.worker_ids or str(task.worker_ids[-1]) not in alive
        ]
        for task in orphans:
            logger.warning(
                "task %s (%s) was left running by worker %s, which has stopped: queued again",
                task.pk,
                task.task_path,
                task.worker_ids[-1] if task.worker_ids else "?",
            )
        DBTaskResult.objects.filter(
            pk__in=[task.pk for task in orphans], status=TaskResultStatus.RUNNING
        ).update(status=TaskResultStatus.READY, started_at=None)
    TaskWorker.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return [str(task.pk) for task in orphans]


def task_orphans_job() -> None:
    """The periodic job (registered in CoreConfig.ready)."""
    tasks_orphaned_requeue()
