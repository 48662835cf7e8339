"""The periodic SLA sweep (``tongban worker``, every few minutes; ``tongban sla sweep``).

It fires due process timers and moves cases into warning (临近到期) and overdue (已超期).
Every write it makes is a conditional UPDATE, so two workers sweeping at once handle each
timer and each state change once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongban.cases.choices import SlaState, TimelineAction
from tongban.cases.models import Case
from tongban.cases.services.common import timeline_add
from tongban.cases.services.deferral import deferral_sweep
from tongban.cases.services.lifecycle import case_timers_fire
from tongban.cases.services.sla import (
    SLA_RUNNING_STATUSES,
    TIMER_EXCLUDED_STATUSES,
    case_sla_state,
    shanghai_date,
)
from tongban.workflow.calendar import WorkCalendar
from tongban.workflow.models import ProcessInstance

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    """What one SLA sweep did."""

    timers_fired: int
    warned: int
    overdue: int
    checked: int


def _instances() -> QuerySet[ProcessInstance]:
    # Not ProcessInstance.objects: its annotation joins the definition, and Django then
    # writes UPDATE … WHERE id IN (SELECT …), whose condition PostgreSQL does not re-check
    # after waiting for a concurrent writer; a plain UPDATE … WHERE is re-checked.
    return ProcessInstance._base_manager.all()


def timer_claim(*, instance_id: int, seen_at: datetime | None) -> bool:
    """Take a due timer for this sweep; True for exactly one of two concurrent sweeps."""
    # A conditional UPDATE: the second sweep waits for the first and then matches no row.
    # The engine sets next_timer_at again when it saves the refreshed process.
    if seen_at is None:
        return False
    return (
        _instances().filter(pk=instance_id, next_timer_at=seen_at).update(next_timer_at=None) == 1
    )


def _due_timers(now: datetime) -> list[tuple[int, datetime | None]]:
    """(process id, timer moment) of every open case's process whose timer is due."""
    return list(
        _instances()
        .filter(next_timer_at__lte=now, completed=False)
        .exclude(case__isnull=True)
        .exclude(case__status__in=TIMER_EXCLUDED_STATUSES)
        .order_by("next_timer_at")
        .values_list("pk", "next_timer_at")
    )


def _case_timers_fire(case: Case) -> None:
    case_timers_fire(case=case)


def _timers_fire(now: datetime) -> int:
    fired = 0
    for instance_id, seen_at in _due_timers(now):
        try:
            # One transaction per timer: a failing case rolls back its claim and is retried
            # at the next sweep, while the others go on.
            with transaction.atomic():
                if not timer_claim(instance_id=instance_id, seen_at=seen_at):
                    continue
                # Read after the claim: the row is ours until commit.
                version = _instances().values_list("version", flat=True).get(pk=instance_id)
                case = Case.objects.select_related("process").get(process_id=instance_id)
                _case_timers_fire(case)
                # The engine saves (version + 1, next timer set) when a timer fired; if it
                # did not, put the timer back so that it is not forgotten.
                untouched = (
                    _instances()
                    .filter(pk=instance_id, version=version, next_timer_at__isnull=True)
                    .update(next_timer_at=seen_at)
                )
            if not untouched:
                fired += 1
        except Exception:
            logger.exception("SLA sweep: firing the timer of process %s failed", instance_id)
    return fired


def _state_change(*, case: Case, new: str, now: datetime) -> bool:
    """Move ``case`` from its read state to ``new``; False when another sweep was first."""
    changes: dict[str, object] = {"sla_state": new, "updated_at": now}
    first_time = False
    if new == SlaState.WARNING and case.warned_at is None:
        changes["warned_at"] = now
        first_time = True
    if new == SlaState.OVERDUE and case.overdue_at is None:
        changes["overdue_at"] = now
        first_time = True
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, sla_state=case.sla_state).update(**changes)
        if updated != 1:
            return False
        if first_time:
            _timeline_record(case=case, new=new, now=now)
    return first_time


def _timeline_record(*, case: Case, new: str, now: datetime) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if new == SlaState.WARNING:
            action = TimelineAction.SLA_WARNING
            comment = _("办理时限已用%(share)d%%，期限为%(due)s，请尽快办理。") % {
                "share": round(settings.SLA_WARNING_SHARE * 100),
                "due": (case.due_date or case.acceptance_due_date or "").__str__(),
            }
        else:
            action = TimelineAction.SLA_OVERDUE
            comment = _("已超过办理期限（%(due)s）。") % {
                "due": (case.due_date or case.acceptance_due_date or "").__str__(),
            }
    # Warnings are for staff: the applicant sees the due date, not internal reminders.
    timeline_add(
        case,
        at=now,
        action=action,
        step=_("时限监控"),
        department=case.department,
        comment=comment,
        public=False,
    )


def sla_sweep(*, now: datetime | None = None) -> SweepResult:
    """Fire due process timers and update every running case's SLA state; safe to run twice."""
    now = now or timezone.now()
    today = shanghai_date(now)
    fired = _timers_fire(now)
    calendar = WorkCalendar()
    warned = overdue = checked = 0
    cases = (
        Case.objects.filter(status__in=SLA_RUNNING_STATUSES)
        .filter(Q(submitted_at__isnull=False) | Q(accepted_at__isnull=False))
        .select_related("matter", "matter_version", "theme", "department")
        .prefetch_related("supplements")
        .order_by("pk")
    )
    for case in cases.iterator(chunk_size=500):
        checked += 1
        try:
            new = case_sla_state(case=case, today=today, calendar=calendar)
        except Exception:
            logger.exception("SLA sweep: the state of case %s could not be computed", case.pk)
            continue
        if new == case.sla_state:
            continue
        if _state_change(case=case, new=new, now=now):
            if new == SlaState.WARNING:
                warned += 1
            elif new == SlaState.OVERDUE:
                overdue += 1
    # 容缺受理: reminders and overdue notices of deferred materials.
    deferral_sweep(now=now)
    return SweepResult(timers_fired=fired, warned=warned, overdue=overdue, checked=checked)
