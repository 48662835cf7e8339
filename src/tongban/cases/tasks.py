"""Background tasks of the cases app (run by ``tongban worker``)."""

from __future__ import annotations

import logging

from django_tasks import task

from tongban.cases.services.notifications import notification_send
from tongban.cases.services.sweep import sla_sweep
from tongban.core.tasks import enqueue_with_transaction

__all__ = ["enqueue_with_transaction", "notification_send", "sla_sweep_task"]

logger = logging.getLogger(__name__)

#: Seconds before the n-th retry of a failed notification (n = attempts so far).
RETRY_DELAY_SECONDS = 60


@task()
def sla_sweep_task() -> dict[str, int]:
    """The periodic SLA sweep (registered with the worker in CasesConfig.ready)."""
    result = sla_sweep()
    return {
        "timers_fired": result.timers_fired,
        "warned": result.warned,
        "overdue": result.overdue,
        "checked": result.checked,
    }
