"""Background tasks of the core app."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend


def enqueue_with_transaction(target: Task[Any, Any], *args: Any) -> None:
    """Queue ``target`` so that it runs only if the current transaction commits."""
    if isinstance(target.get_backend(), DatabaseBackend) and connection.in_atomic_block:
        # The task row is written in this very transaction: it commits with the change that
        # queued it, and a crash right after the commit cannot lose it.
        target.enqueue(*args)
    else:
        transaction.on_commit(lambda: target.enqueue(*args))


@task()
def run_periodic_callable(callable_path: str) -> None:
    """Run a periodic job given as a plain function (see ``tongban.core.periodic``)."""
    import_string(callable_path)()
