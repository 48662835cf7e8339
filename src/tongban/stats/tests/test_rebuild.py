"""``tongban stats rebuild`` gives exactly the rollups the live receivers kept."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongban.cases import services
from tongban.cases.choices import CaseStatus, TaskKind, TaskState
from tongban.cases.models import Case, Task
from tongban.cases.tests.factories import pdf_file
from tongban.core.errors import DomainError
from tongban.identity.models import User
from tongban.stats.models import (
    COUNTERS,
    DailyRollup,
    DurationHistogram,
    VersionDurationHistogram,
    VersionRollup,
)
from tongban.stats.rebuild import rollups_compute, rollups_rebuild
from tongban.stats.tests.conftest import District, Staff, at, stats_matter, submit

pytestmark = pytest.mark.django_db

Snapshot = tuple[
    dict[tuple[Any, str], dict[str, int]],
    dict[tuple[Any, str, int], int],
    dict[tuple[Any, str], list[int]],
    dict[tuple[Any, str, int], int],
]


def live_snapshot() -> Snapshot:
    rollups = {
        (row.day, row.key): {c: getattr(row, c) for c in COUNTERS if getattr(row, c)}
        for row in DailyRollup.objects.all()
    }
    durations = {(h.month, h.key, h.days): h.cases for h in DurationHistogram.objects.all()}
    versions = {(v.day, v.key): [v.decided, v.decided_overdue] for v in VersionRollup.objects.all()}
    version_durations = {
        (h.month, h.key, h.days): h.cases for h in VersionDurationHistogram.objects.all()
    }
    return rollups, durations, versions, version_durations


def computed_snapshot() -> Snapshot:
    totals = rollups_compute()
    rollups = {
        key: {c: n for c, n in counter.items() if n}
        for key, (_d, counter) in totals.rollups.items()
    }
    durations = {key: n for key, (_d, n) in totals.durations.items()}
    return rollups, durations, totals.versions, totals.version_durations


def test_a_rebuild_gives_the_live_rollups(district: District) -> None:
    live = live_snapshot()
    assert live[0] and live[1] and live[2] and live[3]
    assert computed_snapshot() == live
    rollups_rebuild()
    assert live_snapshot() == live


def test_the_command_rebuilds_from_scratch_and_says_how_far_it_is(district: District) -> None:
    live = live_snapshot()
    DailyRollup.objects.all().delete()
    DurationHistogram.objects.all().delete()
    VersionRollup.objects.all().delete()
    out = io.StringIO()
    call_command("stats", "rebuild", stdout=out)
    assert live_snapshot() == live
    text = out.getvalue()
    assert "1 / 1" in text or "5 / 5" in text
    assert "重建完成" in text


# --- a random history through the real services ----------------------------------------------

#: "advance" (the next step a case would normally take) is listed often, so that random
#: histories reach decisions and completions, not only refusals and withdrawals.
OPERATIONS = (
    "submit",
    *["advance"] * 10,
    "accept",
    "reject",
    "supplement",
    "answer",
    "pass",
    "approve",
    "deny",
    "extend",
    "withdraw",
)


def _task(case: Case, kind: str) -> Task | None:
    return Task.objects.filter(case=case, kind=kind, state=TaskState.OPEN).first()


def _next_step(case: Case) -> str:
    if case.status == CaseStatus.SUPPLEMENT_REQUIRED:
        return "answer"
    for kind, op in ((TaskKind.ACCEPT, "accept"), (TaskKind.REVIEW, "pass")):
        if _task(case, kind) is not None:
            return op
    return "approve"


def _run(op: str, case: Case | None, n: int, applicant: User, staff: Staff) -> Case | None:
    """Apply ``op`` on day ``n`` if the case's state allows it (a refusal is fine)."""
    if op == "submit":
        return submit(applicant, n, channel=("online", "mobile")[n % 2])
    if case is None:
        return None
    case.refresh_from_db()
    kind_for = {
        "accept": (TaskKind.ACCEPT, "accept", {}),
        "reject": (TaskKind.ACCEPT, "reject", {"comment": "材料不齐"}),
        "pass": (TaskKind.REVIEW, "pass", {}),
        "approve": (TaskKind.DECIDE, "approve", {}),
        "deny": (TaskKind.DECIDE, "deny", {"comment": "不符合条件"}),
    }
    if op == "advance":
        op = _next_step(case)
    try:
        if op in kind_for:
            kind, decision, extra = kind_for[op]
            task = _task(case, kind)
            if task is not None:
                actor = {
                    TaskKind.ACCEPT: staff.clerk,
                    TaskKind.REVIEW: staff.reviewer,
                    TaskKind.DECIDE: staff.approver,
                }[kind]
                services.task_complete(
                    actor=actor, task=task, decision=decision, now=at(n), **extra
                )
        elif op == "supplement":
            task = _task(case, TaskKind.ACCEPT) or _task(case, TaskKind.REVIEW)
            if task is not None:
                actor = staff.clerk if task.kind == TaskKind.ACCEPT else staff.reviewer
                services.task_complete(
                    actor=actor,
                    task=task,
                    decision="request_supplement",
                    comment="请补正",
                    data={"items": [{"kind": "material", "code": "pipe-network-map"}]},
                    now=at(n),
                )
        elif op == "answer" and case.status == CaseStatus.SUPPLEMENT_REQUIRED:
            services.case_supplement_answer(
                actor=applicant, case=case, files={"pipe-network-map": pdf_file()}, now=at(n)
            )
        elif op == "extend":
            services.case_extend(actor=staff.approver, case=case, days=3, reason="勘查", now=at(n))
        elif op == "withdraw":
            services.case_withdraw(actor=applicant, case=case, reason="不再需要", now=at(n))
    except DomainError:
        pass
    return case


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 2), st.integers(0, 2)),
        min_size=4,
        max_size=24,
    )
)
def test_rollups_equal_a_full_recomputation_after_any_history(
    departments: object, applicant: User, staff: Staff, steps: list[tuple[str, int, int]]
) -> None:
    with transaction.atomic():
        stats_matter()
        cases: list[Case] = []
        n = 0
        for op, which, days_later in steps:
            n += days_later
            case = cases[which % len(cases)] if cases else None
            result = _run(op, case, n, applicant, staff)
            if op == "submit" and result is not None:
                cases.append(result)
        assert computed_snapshot() == live_snapshot()
        transaction.set_rollback(True)
