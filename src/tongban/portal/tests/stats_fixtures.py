"""A small district with a few months of cases, built through the services, for the dashboards.

Two departments handle one matter each (market's 排水许可, police's 犬只登记); cases are
submitted, accepted and decided at past times (``now=``) so that the rollups spread them
over several months, and one market case is left accepted but undecided long past its
due date: the overdue case the internal dashboard lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from unittest import mock

from django.utils import timezone

from tongban.cases import services
from tongban.cases.choices import TaskKind, TaskState
from tongban.cases.models import Case, Task
from tongban.cases.tests.conftest import DRAINAGE_FORM, DRAINAGE_MATERIALS, VALID_FORM
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.identity import services as identity
from tongban.identity.choices import StaffRole
from tongban.identity.models import User

#: Where the process engine's timer events read the time (a test's clock, not a dependency).
SPIFF_TIMER_CLOCK = "SpiffWorkflow.bpmn.specs.event_definitions.timer.datetime"

PASSWORD = "cast-pass-2026"

#: Days before now at which each decided case is submitted, and the days it then takes.
MARKET_DECIDED = [(100, 3), (70, 5), (40, 2), (12, 4)]
POLICE_DECIDED = [(95, 1), (65, 2), (35, 1)]
#: The overdue market case: submitted this many days ago, accepted, never decided.
OVERDUE_AGE = 45


@dataclass
class District:
    """What ``district_build`` made: the staff by username and the cases by their role."""

    staff: dict[str, User] = field(default_factory=dict)
    decided: list[Case] = field(default_factory=list)
    overdue: Case | None = None


def _matters() -> None:
    section_upsert(code="construction", fields={"name": "投资建设", "name_en": "Construction"})
    section_upsert(code="social", fields={"name": "社会事务", "name_en": "Social Affairs"})
    common = {
        "kind": "licence",
        "online_depth": "full_online",
        "channels": ["online", "window"],
        "form_schema": DRAINAGE_FORM,
        "process": "standard_approval",
        "max_visits": 0,
    }
    matter_upsert(
        code="drainage-permit",
        fields={
            **common,
            "name": "排水许可",
            "name_en": "Drainage Permit",
            "audience": "enterprise",
            "department": "market",
            "section": "construction",
            "legal_limit_days": 20,
            "promised_limit_days": 6,
        },
        materials=DRAINAGE_MATERIALS,
    )
    matter_upsert(
        code="dog-registration",
        fields={
            **common,
            "name": "犬只登记",
            "name_en": "Dog Registration",
            "audience": "person",
            "department": "police",
            "section": "social",
            "legal_limit_days": 15,
            "promised_limit_days": 5,
        },
        materials=DRAINAGE_MATERIALS,
    )


def _staff(district: District, department: str) -> None:
    for role in (StaffRole.CLERK, StaffRole.REVIEWER, StaffRole.APPROVER):
        # Names of their own, so that the cast's market-approver … can sit beside them.
        username = f"district-{department}-{role}"
        district.staff[f"{department}-{role}"] = identity.staff_create(
            username=username,
            password=PASSWORD,
            department_code=department,
            roles=[role],
            name=username,
        )


@contextmanager
def _clock(at: datetime) -> Iterator[None]:
    """Django's clock and the process engine's timer clock set to ``at``.

    The engine compares the 受理期限 timer with its own clock; without this, a case
    submitted months ago would pass its acceptance deadline at once and skip the clerk.
    """

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Frozen:  # type: ignore[override]
            moment = at.astimezone(tz) if tz is not None else at.replace(tzinfo=None)
            return cls.fromtimestamp(moment.timestamp(), tz)

    with (
        mock.patch("django.utils.timezone.now", return_value=at),
        mock.patch(SPIFF_TIMER_CLOCK, Frozen),
    ):
        yield


def _submit(applicant: User, matter: str, at: datetime) -> Case:
    with _clock(at):
        case = services.case_create(actor=applicant, matter_code=matter, form=dict(VALID_FORM))
        for code in ("application-form", "pipe-network-map"):
            services.material_upload(
                actor=applicant, case=case, requirement_code=code, file=pdf_file()
            )
        return services.case_submit(actor=applicant, case=case, now=at)


#: The decision that moves each kind of task on.
DECISIONS = {
    TaskKind.ACCEPT: "accept",
    TaskKind.REVIEW: "pass",
    TaskKind.STRICT_REVIEW: "pass",
    TaskKind.DECIDE: "approve",
}


def _decide(district: District, case: Case, times: list[datetime], *, stop_after: int) -> None:
    """Complete the open staff tasks of ``case`` one by one, the n-th at ``times[n]``."""
    for step in range(stop_after):
        task = (
            Task.objects.filter(case=case, state=TaskState.OPEN)
            .exclude(kind=TaskKind.INSPECTION)
            .select_related("department")
            .first()
        )
        if task is None:
            return
        at = times[min(step, len(times) - 1)]
        with _clock(at):
            services.task_complete(
                actor=district.staff[f"{task.department.code}-{task.role}"],
                task=task,
                decision=DECISIONS[TaskKind(task.kind)],
                now=at,
            )


def district_build(applicant: User) -> District:
    """Build the two matters, their staff and the cases (the cast's departments must exist)."""
    district = District()
    _matters()
    _staff(district, "market")
    _staff(district, "police")
    now = timezone.now()
    for matter, plan in (
        ("drainage-permit", MARKET_DECIDED),
        ("dog-registration", POLICE_DECIDED),
    ):
        for age, days in plan:
            submitted = now - timedelta(days=age)
            case = _submit(applicant, matter, submitted)
            times = [
                submitted + timedelta(hours=2),
                submitted + timedelta(days=1),
                submitted + timedelta(days=days),
            ]
            _decide(district, case, times, stop_after=6)
            case.refresh_from_db()
            district.decided.append(case)
    submitted = now - timedelta(days=OVERDUE_AGE)
    overdue = _submit(applicant, "drainage-permit", submitted)
    _decide(district, overdue, [submitted + timedelta(hours=2)], stop_after=1)
    overdue.refresh_from_db()
    district.overdue = overdue
    return district
