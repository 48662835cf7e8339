"""``tongban worker``: runs queued background tasks and enqueues due periodic jobs.

The task loop is django-tasks-db's ``db_worker``; beside it a scheduler thread calls
``tongban.core.periodic.periodic_enqueue_due`` every ``--tick`` seconds.  Any number
of workers may run at once: each periodic run is claimed by exactly one of them.
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from tongban.core.periodic import periodic_enqueue_due, periodic_job_sync, registered_periodic
from tongban.core.workers import WORKER_HEARTBEAT_SECONDS, worker_beat, worker_stopped

logger = logging.getLogger("tongban.worker")


class PeriodicScheduler(threading.Thread):
    """Enqueues due periodic jobs until stopped; a database hiccup only skips a tick."""

    def __init__(self, *, tick: float, write: Any) -> None:
        super().__init__(name="tongban-periodic", daemon=True)
        self.tick = tick
        self.write = write
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                close_old_connections()
                try:
                    for name in periodic_enqueue_due():
                        self.write(f"periodic job enqueued: {name}")
                except DatabaseError as exc:
                    logger.warning("periodic scheduler skipped a tick: %s", exc)
                self.stopped.wait(self.tick)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


class Heartbeat(threading.Thread):
    """Records every few seconds that this worker is alive (``tongban.core.workers``)."""

    def __init__(self, *, worker_id: str, every: float = WORKER_HEARTBEAT_SECONDS) -> None:
        super().__init__(name="tongban-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                close_old_connections()
                try:
                    worker_beat(worker_id=self.worker_id)
                except DatabaseError as exc:
                    logger.warning("heartbeat skipped: %s", exc)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


class Command(DbWorkerCommand):
    help = "Run background tasks and the periodic scheduler (Ctrl-C stops)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--tick",
            type=float,
            default=1.0,
            help="Seconds between checks for due periodic jobs (default: %(default)s)",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Run tasks only; do not enqueue periodic jobs.",
        )
        # The autoreloader would run the scheduler in two processes; reload only on request.
        parser.set_defaults(reload=False)

    def handle(self, *args: Any, **options: Any) -> None:
        tick: float = options.pop("tick")
        no_periodic: bool = options.pop("no_periodic")
        scheduler: PeriodicScheduler | None = None
        specs = [] if no_periodic else registered_periodic()
        for spec in specs:
            periodic_job_sync(spec=spec)
        worker_id: str = options["worker_id"]
        # Alive before the first claim: a task this worker runs is never taken for an orphan.
        worker_beat(worker_id=worker_id)
        connection.close()
        heartbeat = Heartbeat(worker_id=worker_id)
        heartbeat.start()
        self.stdout.write(
            f"worker started, {len(specs)} periodic jobs"
            + (f" ({', '.join(s.name for s in specs)})" if specs else "")
        )
        self.stdout.flush()
        if specs and not (options.get("reload") and not options.get("batch")):
            scheduler = PeriodicScheduler(tick=tick, write=self._say)
            scheduler.start()
        try:
            super().handle(*args, **options)
        finally:
            if scheduler is not None:
                scheduler.stop()
                scheduler.join(timeout=5)
            heartbeat.stop()
            heartbeat.join(timeout=5)
            try:
                worker_stopped(worker_id=worker_id)
            except DatabaseError as exc:
                logger.warning("could not remove the heartbeat of %s: %s", worker_id, exc)
            self.stdout.write("worker stopped")

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
