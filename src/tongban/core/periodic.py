"""Periodic jobs run by ``tongban worker``.

An app registers a job in its ``AppConfig.ready()``::

    register_periodic(
        "sla-sweep", every_seconds=300, callable_path="tongban.cases.tasks.sla_sweep_task"
    )

``callable_path`` names either a django-tasks ``Task`` (enqueued as it is) or a plain
function taking no arguments (enqueued through ``tongban.core.tasks.run_periodic_callable``).
Each worker calls :func:`periodic_enqueue_due` about once a second; a job is claimed by a
conditional UPDATE of its ``PeriodicJob`` row, which is atomic on SQLite and PostgreSQL
alike, so two workers never enqueue the same run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from tongban.core.models import PeriodicJob
from tongban.core.tasks import run_periodic_callable


@dataclass(frozen=True)
class PeriodicSpec:
    name: str
    every_seconds: int
    callable_path: str


_REGISTRY: dict[str, PeriodicSpec] = {}


def register_periodic(name: str, every_seconds: int, callable_path: str) -> None:
    """Register (or re-register with new values) a periodic job."""
    if not name or len(name) > 100:
        raise ValueError("a periodic job needs a name of 1 to 100 characters")
    if every_seconds < 1:
        raise ValueError(f"periodic job {name!r}: every_seconds must be at least 1")
    _REGISTRY[name] = PeriodicSpec(name, int(every_seconds), callable_path)


def unregister_periodic(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered_periodic() -> list[PeriodicSpec]:
    return sorted(_REGISTRY.values(), key=lambda spec: spec.name)


def periodic_job_sync(*, spec: PeriodicSpec) -> PeriodicJob:
    """Create or update the job's row so that it can be claimed."""
    try:
        job, _created = PeriodicJob.objects.update_or_create(
            name=spec.name,
            defaults={"every_seconds": spec.every_seconds, "callable_path": spec.callable_path},
        )
    except IntegrityError:
        # Another worker created the row at the same moment; it exists now.
        job = PeriodicJob.objects.get(name=spec.name)
    return job


def periodic_claim(*, name: str, every_seconds: int, now: datetime) -> bool:
    """Claim the run of ``name`` due at ``now``; True for exactly one of concurrent callers."""
    threshold = now - timedelta(seconds=every_seconds)
    updated = (
        PeriodicJob.objects.filter(name=name)
        .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=threshold))
        .update(last_enqueued_at=now)
    )
    return updated == 1


def _enqueue(spec: PeriodicSpec) -> None:
    target = import_string(spec.callable_path)
    if isinstance(target, Task):
        target.enqueue()
    else:
        run_periodic_callable.enqueue(spec.callable_path)


def periodic_enqueue_due(*, now: datetime | None = None) -> list[str]:
    """Enqueue every registered job that is due; returns the names this caller enqueued."""
    now = now or timezone.now()
    enqueued: list[str] = []
    for spec in registered_periodic():
        # Claim and enqueue commit together: a failed enqueue leaves the job due.
        with transaction.atomic():
            claimed = periodic_claim(name=spec.name, every_seconds=spec.every_seconds, now=now)
            if not claimed and not PeriodicJob.objects.filter(name=spec.name).exists():
                periodic_job_sync(spec=spec)
                claimed = periodic_claim(name=spec.name, every_seconds=spec.every_seconds, now=now)
            if claimed:
                _enqueue(spec)
                enqueued.append(spec.name)
    return enqueued
