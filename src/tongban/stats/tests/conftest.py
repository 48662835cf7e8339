"""A small district for the indicators: one matter of market, five cases on fixed days.

Every case is driven through the real services with explicit times, so each figure can
be computed by hand (docs/indicators.md; the expected values are in test_indicators.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tongban.cases import services
from tongban.cases.choices import TaskKind
from tongban.cases.models import Case
from tongban.cases.tests.conftest import DRAINAGE_FORM, DRAINAGE_MATERIALS, VALID_FORM
from tongban.cases.tests.factories import open_task, pdf_file
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI, WorkCalendar


def base_monday() -> dt.date:
    """The first Monday after today that starts four plain weeks (no holiday, no make-up day).

    The processes' timers run on the real clock, so the small district lives in the near
    future: its acceptance deadlines have not passed, and every figure stays the same
    whichever day the tests run.
    """
    calendar = WorkCalendar()
    day = dt.date.today() + dt.timedelta(days=1)
    while True:
        day += dt.timedelta(days=(7 - day.weekday()) % 7)
        days = [day + dt.timedelta(days=n) for n in range(28)]
        if all(calendar.is_working_day(d) == (d.weekday() < 5) for d in days):
            return day
        day += dt.timedelta(days=1)


def day(n: int) -> dt.date:
    """Day ``n`` of the small district (0 is its first Monday)."""
    return base_monday() + dt.timedelta(days=n)


def at(n: int, hour: int = 10) -> dt.datetime:
    """A time on day ``n`` of the small district, in Shanghai."""
    return dt.datetime.combine(day(n), dt.time(hour), tzinfo=SHANGHAI)


def stats_matter(code: str = "drainage-permit", *, audience: str = "both", **extra: Any) -> Matter:
    """A market matter with no certificate: approval completes the case at once."""
    section_upsert(code="construction", fields={"name": "投资建设"})
    fields = {
        "name": "排水许可",
        "kind": "licence",
        "audience": audience,
        "department": "market",
        "section": "construction",
        "legal_limit_days": 20,
        "promised_limit_days": 6,
        "online_depth": "full_online",
        "channels": ["online", "mobile", "window"],
        "form_schema": DRAINAGE_FORM,
        "process": "standard_approval",
    }
    fields.update(extra)
    return matter_upsert(code=code, fields=fields, materials=DRAINAGE_MATERIALS)


def submit(
    applicant: User, n: int, *, channel: str = "online", code: str = "drainage-permit"
) -> Case:
    case = services.case_create(
        actor=applicant, matter_code=code, form=dict(VALID_FORM), channel=channel
    )
    for requirement in ("application-form", "pipe-network-map"):
        services.material_upload(
            actor=applicant, case=case, requirement_code=requirement, file=pdf_file()
        )
    return services.case_submit(actor=applicant, case=case, now=at(n))


@dataclass
class Staff:
    clerk: User
    reviewer: User
    approver: User

    def act(self, case: Case, kind: str, decision: str, n: int, **kwargs: Any) -> Case:
        actor = {
            TaskKind.ACCEPT: self.clerk,
            TaskKind.REVIEW: self.reviewer,
            TaskKind.DECIDE: self.approver,
        }[kind]
        services.task_complete(
            actor=actor, task=open_task(case, kind), decision=decision, now=at(n), **kwargs
        )
        case.refresh_from_db()
        return case


@pytest.fixture
def staff(clerk: User, reviewer: User, approver: User) -> Staff:
    return Staff(clerk=clerk, reviewer=reviewer, approver=approver)


@dataclass
class District:
    matter: Matter
    a: Case
    b: Case
    c: Case
    d: Case
    e: Case


@pytest.fixture
def district(departments: dict[str, Department], applicant: User, staff: Staff) -> District:
    """Five drainage cases submitted on day 0, a Monday of four plain weeks (``base_monday``).

    * A (online): accepted day 0, passed day 2, approved day 3 → 3 working days, first pass.
    * B (online): accepted day 1, supplement asked day 2 and answered day 7 (the clock stops
      days 2…7), passed day 8, approved day 9 → 2 working days (8, 9); not first pass.
    * C (mobile): not accepted (不予受理) on day 0.
    * D (online): accepted day 0, extended by 5 days on day 1 (6 + 5 = 11 working days: due
      day 15), passed day 2, denied day 18 → 14 working days, decided overdue and extended.
    * E (online): submitted, not yet accepted.
    """
    matter = stats_matter()
    a = submit(applicant, 0)
    staff.act(a, TaskKind.ACCEPT, "accept", 0)
    staff.act(a, TaskKind.REVIEW, "pass", 2)
    a = staff.act(a, TaskKind.DECIDE, "approve", 3)

    b = submit(applicant, 0)
    staff.act(b, TaskKind.ACCEPT, "accept", 1)
    staff.act(
        b,
        TaskKind.REVIEW,
        "request_supplement",
        2,
        comment="请补充排水管网图",
        data={"items": [{"kind": "material", "code": "pipe-network-map", "reason": "不清晰"}]},
    )
    services.case_supplement_answer(
        actor=applicant, case=b, form={}, files={"pipe-network-map": pdf_file()}, now=at(7)
    )
    staff.act(b, TaskKind.REVIEW, "pass", 8)
    b = staff.act(b, TaskKind.DECIDE, "approve", 9)

    c = submit(applicant, 0, channel="mobile")
    c = staff.act(c, TaskKind.ACCEPT, "reject", 0, comment="不属于本部门职权范围")

    d = submit(applicant, 0)
    staff.act(d, TaskKind.ACCEPT, "accept", 0)
    services.case_extend(actor=staff.approver, case=d, days=5, reason="需现场勘查", now=at(1))
    staff.act(d, TaskKind.REVIEW, "pass", 2)
    d = staff.act(d, TaskKind.DECIDE, "deny", 18, comment="排放不达标")

    e = submit(applicant, 0)
    return District(matter=matter, a=a, b=b, c=c, d=d, e=e)
