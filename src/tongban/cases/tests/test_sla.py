"""Time limits: acceptance and decision deadlines, supplements, extensions, warning, overdue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from tongban.cases.choices import CaseStatus, NotificationChannel, SlaState, SupplementState
from tongban.cases.models import Case, Notification, SupplementRequest
from tongban.cases.services.sla import (
    case_acceptance_deadline,
    case_deadline_refresh,
    case_limit_days,
    case_sla_state,
)
from tongban.catalog.models import MatterVersion
from tongban.catalog.tests.factories import matter_make
from tongban.identity.models import User
from tongban.workflow.services import calendar_year_enter

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment on ``day`` in Shanghai (deadlines are counted in Shanghai dates)."""
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def case_make(
    *,
    applicant: User,
    promised: int = 5,
    legal: int = 20,
    status: str = CaseStatus.ACCEPTED,
    submitted_at: datetime | None = None,
    accepted_at: datetime | None = None,
    case_no: str = "JD2026000001",
    **fields: Any,
) -> Case:
    """A case row with its matter and version, built directly (no services)."""
    matter = matter_make(promised_limit_days=promised, legal_limit_days=legal)
    version = MatterVersion.objects.filter(matter=matter).order_by("-version").first()
    return Case.objects.create(
        case_no=case_no,
        matter=matter,
        matter_version=version,
        department=matter.department,
        applicant_user=applicant,
        applicant_type="person",
        applicant_person=getattr(applicant, "person", None),
        applicant_name=applicant.first_name or applicant.username,
        status=status,
        submitted_at=submitted_at,
        accepted_at=accepted_at,
        **fields,
    )


def supplement_make(
    *, case: Case, requested_at: datetime, answered_at: datetime | None = None
) -> SupplementRequest:
    return SupplementRequest.objects.create(
        case=case,
        items=[{"kind": "material", "code": "application-form", "reason": "缺少签字"}],
        requested_by=case.applicant_user,
        requested_at=requested_at,
        answered_at=answered_at,
        state=SupplementState.OPEN if answered_at is None else SupplementState.ANSWERED,
    )


def test_acceptance_is_due_five_working_days_after_submission_across_the_national_day(
    applicant: User,
) -> None:
    # Submitted Wed 2026-09-30; 10-01..10-07 holiday;
    # 10-08, 10-09, Sat 10-10 (make-up workday), 10-12, 10-13.
    case = case_make(
        applicant=applicant, status=CaseStatus.SUBMITTED, submitted_at=at(2026, 9, 30, 16)
    )
    due = case_acceptance_deadline(case=case)
    assert due.due_date == date(2026, 10, 13)
    assert not due.provisional
    case_deadline_refresh(case=case)
    case.refresh_from_db()
    assert case.acceptance_due_date == date(2026, 10, 13)
    assert case.due_date is None


def test_the_submission_date_is_taken_in_shanghai_not_utc(applicant: User) -> None:
    # 2026-09-30 23:30 in Shanghai is still 15:30 UTC on the 30th; 2026-10-01 00:30 Shanghai
    # is 16:30 UTC on 09-30 — the Shanghai date (a holiday) decides.
    case = case_make(
        applicant=applicant,
        status=CaseStatus.SUBMITTED,
        submitted_at=datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI),
    )
    assert case_acceptance_deadline(case=case).due_date == date(2026, 10, 13)


def test_the_decision_is_due_after_the_promised_limit_from_acceptance(applicant: User) -> None:
    # The example: accepted 2026-02-13 with 5 working days is due 2026-02-27.
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 2, 13))
    case_deadline_refresh(case=case)
    case.refresh_from_db()
    assert case.limit_days == 5
    assert case.due_date == date(2026, 2, 27)
    assert case.due_provisional is False


def test_a_supplement_interval_stops_the_clock(applicant: User) -> None:
    # Without the supplement: Sat 02-14 (make-up), 02-24, 02-25, 02-26, 02-27 → 02-27.
    # 02-24 and 02-25 are spent waiting for the applicant and do not count, so the limit runs
    # 02-14, 02-26, 02-27, Sat 02-28 (make-up workday of the 2026 schedule), Mon 03-02.
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 2, 13))
    supplement_make(case=case, requested_at=at(2026, 2, 24, 9), answered_at=at(2026, 2, 25, 17))
    case_deadline_refresh(case=case)
    case.refresh_from_db()
    assert case.due_date == date(2026, 3, 2)


def test_an_open_supplement_suspends_up_to_today(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    supplement_make(case=case, requested_at=at(2026, 3, 4))
    # 03-03 counts; 03-04..03-06 suspended; then 03-09, 03-10, 03-11, 03-12.
    case_deadline_refresh(case=case, today=date(2026, 3, 6))
    assert case.due_date == date(2026, 3, 12)
    assert case_sla_state(case=case, today=date(2026, 3, 20)) == SlaState.SUSPENDED


def test_a_cancelled_supplement_does_not_stop_the_clock(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    supplement = supplement_make(case=case, requested_at=at(2026, 3, 3), answered_at=at(2026, 3, 4))
    supplement.state = SupplementState.CANCELLED
    supplement.save()
    case_deadline_refresh(case=case)
    assert case.due_date == date(2026, 3, 9)


def test_an_extension_adds_its_working_days(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2), extension_days=3)
    case_deadline_refresh(case=case)
    # 5 + 3 working days after Mon 03-02: 03-03 … 03-06, 03-09 … 03-12.
    assert case.due_date == date(2026, 3, 12)
    assert case.limit_days == 5


def test_a_promise_beyond_the_legal_limit_is_cut_to_the_legal_limit(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=10, legal=10, accepted_at=at(2026, 3, 2))
    assert case.matter_version is not None
    MatterVersion.objects.filter(pk=case.matter_version.pk).update(
        guide={**case.matter_version.guide, "promised_limit_days": 30}
    )
    case.matter_version.refresh_from_db()
    assert case_limit_days(case=case) == 10


def test_an_instant_matter_is_due_on_the_day_of_acceptance(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=0, accepted_at=at(2026, 3, 3))
    case_deadline_refresh(case=case)
    assert case.due_date == date(2026, 3, 3)
    assert case_sla_state(case=case, today=date(2026, 3, 3)) == SlaState.NORMAL
    assert case_sla_state(case=case, today=date(2026, 3, 4)) == SlaState.OVERDUE


def test_the_case_uses_the_version_it_was_submitted_under(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    # A later edit of the guide publishes a new version; the case keeps its own.
    matter_make(promised_limit_days=15, legal_limit_days=20)
    case.refresh_from_db()
    assert case_limit_days(case=case) == 5


def test_a_deadline_reaching_an_unentered_year_is_provisional_and_recomputed_on_entry(
    applicant: User, center_admin: User
) -> None:
    center_admin.email = "admin@tongban.example"
    center_admin.save()
    # Accepted Thu 2026-12-24 with 20 working days: 12-25, 12-28..12-31, then 2027 counted
    # Monday–Friday only (01-01 included) → Thu 2027-01-21, provisional.
    case = case_make(applicant=applicant, promised=20, accepted_at=at(2026, 12, 24))
    case_deadline_refresh(case=case)
    case.refresh_from_db()
    assert case.due_date == date(2027, 1, 21)
    assert case.due_provisional is True
    # The center admins are told once, however many deadlines reach 2027.
    other = case_make(
        applicant=applicant, promised=20, accepted_at=at(2026, 12, 28), case_no="JD2026000002"
    )
    case_deadline_refresh(case=other)
    told = Notification.objects.filter(case__isnull=True, recipient="admin@tongban.example")
    assert told.count() == 1
    assert "2027" in told.get().subject
    assert told.get().channel == NotificationChannel.EMAIL

    calendar_year_enter(
        year=2027,
        holidays=[(date(2027, 1, 1), "元旦")],
        workdays=[],
        source="国务院办公厅通知（测试）",
        entered_by="admin",
    )
    case.refresh_from_db()
    assert case.due_date == date(2027, 1, 22)
    assert case.due_provisional is False


def test_a_provisional_deadline_that_is_final_is_not_recomputed(applicant: User) -> None:
    case = case_make(applicant=applicant, promised=20, accepted_at=at(2026, 12, 24))
    case_deadline_refresh(case=case)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.WITHDRAWN)
    calendar_year_enter(
        year=2027,
        holidays=[(date(2027, 1, 1), "元旦")],
        workdays=[],
        source="测试",
        entered_by="admin",
    )
    case.refresh_from_db()
    assert case.due_date == date(2027, 1, 21)
    assert case.due_provisional is True


def test_no_admin_email_is_still_remembered_once(applicant: User) -> None:
    for number in (1, 2):
        case = case_make(
            applicant=applicant,
            promised=20,
            accepted_at=at(2026, 12, 24),
            case_no=f"JD20260000{number}",
        )
        case_deadline_refresh(case=case)
    assert Notification.objects.filter(case__isnull=True).count() == 1
    assert len(mail.outbox) == 0


def test_the_state_is_normal_then_warning_at_eighty_percent_then_overdue(
    applicant: User,
) -> None:
    # Accepted Mon 2026-03-02, 5 working days, due Mon 03-09.
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    case_deadline_refresh(case=case)
    assert case.due_date == date(2026, 3, 9)
    assert case_sla_state(case=case, today=date(2026, 3, 5)) == SlaState.NORMAL  # 3 of 5
    assert case_sla_state(case=case, today=date(2026, 3, 6)) == SlaState.WARNING  # 4 of 5
    assert case_sla_state(case=case, today=date(2026, 3, 9)) == SlaState.WARNING
    assert case_sla_state(case=case, today=date(2026, 3, 10)) == SlaState.OVERDUE


def test_the_warning_share_comes_from_settings(applicant: User, settings: Any) -> None:
    settings.SLA_WARNING_SHARE = 0.5
    case = case_make(applicant=applicant, promised=5, accepted_at=at(2026, 3, 2))
    case_deadline_refresh(case=case)
    assert case_sla_state(case=case, today=date(2026, 3, 3)) == SlaState.NORMAL  # 1 of 5
    assert case_sla_state(case=case, today=date(2026, 3, 5)) == SlaState.WARNING  # 3 of 5


def test_before_acceptance_the_acceptance_deadline_is_the_reference(applicant: User) -> None:
    # Submitted Mon 2026-03-02: acceptance due Mon 03-09.
    case = case_make(applicant=applicant, status=CaseStatus.SUBMITTED, submitted_at=at(2026, 3, 2))
    case_deadline_refresh(case=case)
    assert case.acceptance_due_date == date(2026, 3, 9)
    assert case_sla_state(case=case, today=date(2026, 3, 4)) == SlaState.NORMAL
    assert case_sla_state(case=case, today=date(2026, 3, 6)) == SlaState.WARNING
    assert case_sla_state(case=case, today=date(2026, 3, 10)) == SlaState.OVERDUE


def test_a_decided_case_keeps_its_state(applicant: User) -> None:
    case = case_make(
        applicant=applicant,
        promised=5,
        status=CaseStatus.APPROVED,
        accepted_at=at(2026, 3, 2),
        due_date=date(2026, 3, 9),
    )
    assert case_sla_state(case=case, today=date(2026, 4, 1)) == SlaState.NORMAL


def test_it_refuses_a_deadline_for_a_case_not_yet_submitted(applicant: User) -> None:
    case = case_make(applicant=applicant, status=CaseStatus.DRAFT)
    with pytest.raises(ValueError):
        case_acceptance_deadline(case=case)
    assert case_deadline_refresh(case=case).acceptance_due_date is None
