"""Background tasks of the cases app (run by ``tongban worker``).

The outbox's ``notification_send`` is defined next to the outbox it sends
(``services/notifications.py``) and named here so that the worker and the tests find every
task of the app in one place.
"""

from __future__ import annotations

from django_tasks import task

from tongban.cases.services.notifications import notification_send
from tongban.cases.services.sweep import sla_sweep

__all__ = ["notification_send", "sla_sweep_task"]


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
