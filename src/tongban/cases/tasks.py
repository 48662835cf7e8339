"""Background tasks of the cases app (run by ``tongban worker``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from tongban.cases.choices import NotificationChannel, NotificationStatus
from tongban.cases.models import Notification

logger = logging.getLogger(__name__)

#: Seconds before the n-th retry of a failed notification (n = attempts so far).
RETRY_DELAY_SECONDS = 60


def enqueue_with_transaction(target: Task[Any, Any], *args: Any) -> None:
    """Queue ``target`` so that it runs only if the current transaction commits."""
    from django_tasks_db.backend import DatabaseBackend

    if isinstance(target.get_backend(), DatabaseBackend) and connection.in_atomic_block:
        # The task row is written in this very transaction: it commits with the change that
        # queued it, and a crash right after the commit cannot lose it.
        target.enqueue(*args)
    else:
        transaction.on_commit(lambda: target.enqueue(*args))


def _send(notification: Notification) -> str:
    if notification.channel == NotificationChannel.EMAIL:
        send_mail(
            notification.subject,
            notification.body,
            None,
            [notification.recipient],
            fail_silently=False,
        )
        return ""
    from tongban.cases.sms import sms_provider

    return sms_provider().send(phone=notification.recipient, text=notification.body)


@task()
def notification_send(notification_id: int) -> str:
    """Send one queued notification; retry a failure up to NOTIFICATION_MAX_ATTEMPTS in all."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or notification.status != NotificationStatus.QUEUED:
        return "skipped"
    notification.attempts += 1
    try:
        notification.provider_message_id = _send(notification)[:100]
    except Exception as exc:
        notification.error = f"{type(exc).__name__}: {exc}"[:300]
        retry = notification.attempts < settings.NOTIFICATION_MAX_ATTEMPTS
        if not retry:
            notification.status = NotificationStatus.FAILED
        notification.save(update_fields=["attempts", "error", "status", "updated_at"])
        logger.warning(
            "notification %s attempt %s failed: %s",
            notification.pk,
            notification.attempts,
            notification.error,
        )
        if retry:
            later = notification_send
            if later.get_backend().supports_defer:
                delay = RETRY_DELAY_SECONDS * notification.attempts
                later = later.using(run_after=timezone.now() + timedelta(seconds=delay))
            later.enqueue(notification.pk)
            return "retry"
        return "failed"
    notification.status = NotificationStatus.SENT
    notification.sent_at = timezone.now()
    notification.error = ""
    notification.save(
        update_fields=[
            "attempts",
            "status",
            "sent_at",
            "provider_message_id",
            "error",
            "updated_at",
        ]
    )
    return "sent"


@task()
def sla_sweep_task() -> dict[str, int]:
    """The periodic SLA sweep (registered with the worker in CasesConfig.ready)."""
    from tongban.cases.sla import sla_sweep

    result = sla_sweep()
    return {
        "timers_fired": result.timers_fired,
        "warned": result.warned,
        "overdue": result.overdue,
        "checked": result.checked,
    }
