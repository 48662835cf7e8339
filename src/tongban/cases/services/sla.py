"""Time limits of a case (时限): the only place deadlines are computed.

* Acceptance (受理): decided within 5 working days of submission (行政许可法第三十二条).
* Decision (办结): within the matter's promised limit, never beyond its legal limit, plus an
  approved extension (延期), counted from the day of acceptance by the rule of CONTRACT.md.
* Days spent waiting for the applicant (补正) do not count: every supplement request stops
  the clock from the day it was sent through the day it was answered (or today, while open).

The periodic sweep that moves cases into warning and overdue is ``cases.services.sweep``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongban.cases.choices import FINAL_STATUSES, CaseStatus, SlaState, SupplementState
from tongban.cases.models import Case, Notification, SupplementRequest
from tongban.cases.services.notifications import notify_center_admins
from tongban.workflow import engine
from tongban.workflow.calendar import SHANGHAI, Due, Suspension, WorkCalendar, due_datetime

logger = logging.getLogger(__name__)

#: 行政许可法第三十二条: the authority decides on acceptance within 5 working days.
ACCEPTANCE_LIMIT_DAYS = 5
#: 行政许可法第四十二条: 20 working days when a matter's guide names no legal limit.
DEFAULT_LEGAL_LIMIT_DAYS = 20

#: Statuses in which the clock runs: submitted and not yet decided.
SLA_RUNNING_STATUSES = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.ACCEPTED,
        CaseStatus.SUPPLEMENT_REQUIRED,
        CaseStatus.UNDER_REVIEW,
    }
)
#: Statuses in which a process may still have a pending timer.
TIMER_EXCLUDED_STATUSES = frozenset({CaseStatus.DRAFT, *FINAL_STATUSES})


def shanghai_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in the service center's time zone."""
    return moment.astimezone(SHANGHAI).date()


def _today(today: date | None) -> date:
    return today if today is not None else shanghai_date(timezone.now())


def case_suspensions(
    *, case: Case, today: date | None = None, supplements: Iterable[SupplementRequest] | None = None
) -> list[Suspension]:
    """The (first, last) days the clock stood still for a supplement request (补正)."""
    rows = case.supplements.all() if supplements is None else supplements
    out: list[Suspension] = []
    for supplement in rows:
        if supplement.state == SupplementState.CANCELLED:
            continue
        first = shanghai_date(supplement.requested_at)
        if supplement.answered_at is not None:
            last = shanghai_date(supplement.answered_at)
        else:
            last = max(first, _today(today))
        out.append((first, max(first, last)))
    return out


def case_limit_days(*, case: Case) -> int:
    """The decision limit in working days: the promised limit, never beyond the legal one."""
    guide = case.matter_version.guide if case.matter_version is not None else None
    if guide:
        legal = int(guide.get("legal_limit_days") or DEFAULT_LEGAL_LIMIT_DAYS)
        promised = guide.get("promised_limit_days")
    elif case.matter_id:
        assert case.matter is not None
        legal = case.matter.legal_limit_days
        promised = case.matter.promised_limit_days
    elif case.theme_id:
        assert case.theme is not None
        legal = DEFAULT_LEGAL_LIMIT_DAYS
        promised = case.theme.promised_limit_days
    else:
        legal, promised = DEFAULT_LEGAL_LIMIT_DAYS, None
    if promised is None:
        return legal
    # 承诺时限 may shorten the law's limit, never lengthen it; 0 is 即办 (decided on acceptance).
    return max(0, min(int(promised), legal))


def case_acceptance_deadline(
    *,
    case: Case,
    calendar: WorkCalendar | None = None,
    today: date | None = None,
    supplements: Iterable[SupplementRequest] | None = None,
) -> Due:
    """The last day to decide on acceptance: 5 working days after the submission date."""
    if case.submitted_at is None:
        raise ValueError("a case has no acceptance deadline before it is submitted")
    calendar = calendar or WorkCalendar()
    return calendar.add_working_days(
        shanghai_date(case.submitted_at),
        ACCEPTANCE_LIMIT_DAYS,
        suspended=case_suspensions(case=case, today=today, supplements=supplements),
    )


def case_decision_deadline(
    *, case: Case, calendar: WorkCalendar | None = None, today: date | None = None
) -> Due:
    """The last day of the decision limit: accepted_at + limit + extension, supplements skipped."""
    if case.accepted_at is None:
        raise ValueError("a case has no decision deadline before it is accepted")
    calendar = calendar or WorkCalendar()
    return calendar.add_working_days(
        shanghai_date(case.accepted_at),
        case_limit_days(case=case) + case.extension_days,
        suspended=case_suspensions(case=case, today=today),
    )


def _missing_years(calendar: WorkCalendar, first: date, last: date) -> list[int]:
    return [y for y in range(first.year, last.year + 1) if not calendar.year_entered(y)]


@transaction.atomic
def case_deadline_refresh(
    *,
    case: Case,
    today: date | None = None,
    supplements: Iterable[SupplementRequest] | None = None,
    calendar: WorkCalendar | None = None,
) -> Case:
    """Recompute and save the acceptance and decision deadlines of a submitted case."""
    fields = case_deadlines_set(case=case, today=today, supplements=supplements, calendar=calendar)
    if fields:
        case.save(update_fields=fields)
    return case


def case_deadlines_set(
    *,
    case: Case,
    today: date | None = None,
    supplements: Iterable[SupplementRequest] | None = None,
    calendar: WorkCalendar | None = None,
) -> list[str]:
    """Recompute the deadlines of a submitted case on the object; the fields to save.

    For a caller that saves the case itself afterwards (a decision: one UPDATE of the case,
    not two). ``supplements`` (all of the case's) and ``calendar`` when it has read them.
    """
    if case.submitted_at is None and case.accepted_at is None:
        return []
    calendar = calendar or WorkCalendar()
    stops = case_suspensions(case=case, today=today, supplements=supplements)
    fields = ["due_provisional", "updated_at"]
    if case.submitted_at is not None:
        acceptance = calendar.add_working_days(
            shanghai_date(case.submitted_at), ACCEPTANCE_LIMIT_DAYS, suspended=stops
        )
        case.acceptance_due_date = acceptance.due_date
        fields.append("acceptance_due_date")
    if case.accepted_at is None:
        case.due_provisional = acceptance.provisional
        start, last = shanghai_date(case.submitted_at), acceptance.due_date  # type: ignore[arg-type]
    else:
        case.limit_days = case_limit_days(case=case)
        decision = calendar.add_working_days(
            shanghai_date(case.accepted_at), case.limit_days + case.extension_days, suspended=stops
        )
        case.due_date = decision.due_date
        case.due_provisional = decision.provisional
        fields += ["limit_days", "due_date"]
        start, last = shanghai_date(case.accepted_at), decision.due_date
    if case.due_provisional:
        for year in _missing_years(calendar, start, last):
            calendar_year_missing_notify(year=year)
    return fields


def calendar_year_missing_notify(*, year: int) -> bool:
    """Tell the center admins, once per year, that deadlines reach a year not yet entered."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("工作日历缺少%(year)s年的节假日安排") % {"year": year}
        body = _(
            "有办件的办理期限已延伸到%(year)s年，但该年度国务院节假日安排尚未录入工作日历。"
            "期限暂按周末休息计算并标记为“待定”；请在工作日历中录入%(year)s年的安排，"
            "录入后系统会自动重新计算这些期限。"
        ) % {"year": year}
    if Notification.objects.filter(case__isnull=True, subject=subject).exists():
        return False
    notify_center_admins(subject=subject, body=body)
    return True


def case_sla_state(
    *,
    case: Case,
    today: date | None = None,
    calendar: WorkCalendar | None = None,
    supplements: Iterable[SupplementRequest] | None = None,
) -> str:
    """The SlaState of a case on ``today`` (Asia/Shanghai); ``supplements``: all of the
    case's, when the caller has read them."""
    if case.status not in SLA_RUNNING_STATUSES or (
        case.submitted_at is None and case.accepted_at is None
    ):
        return case.sla_state
    day = _today(today)
    supplements = list(case.supplements.all() if supplements is None else supplements)
    if any(s.state == SupplementState.OPEN for s in supplements):
        return SlaState.SUSPENDED
    calendar = calendar or WorkCalendar()
    stops = case_suspensions(case=case, today=day, supplements=supplements)
    if case.accepted_at is None:
        assert case.submitted_at is not None
        start = shanghai_date(case.submitted_at)
        limit = ACCEPTANCE_LIMIT_DAYS
        due = (
            case.acceptance_due_date
            or calendar.add_working_days(start, limit, suspended=stops).due_date
        )
    else:
        start = shanghai_date(case.accepted_at)
        limit = (
            case.limit_days if case.limit_days is not None else case_limit_days(case=case)
        ) + case.extension_days
        due = case.due_date or calendar.add_working_days(start, limit, suspended=stops).due_date
    # Overdue once the end of the due date (23:59:59 in Shanghai) has passed.
    if day > due:
        return SlaState.OVERDUE
    if limit > 0:
        used = calendar.working_days_between(start, day, suspended=stops)
        if used >= settings.SLA_WARNING_SHARE * limit:
            return SlaState.WARNING
    return SlaState.NORMAL


def case_deadlines_recompute(year: int) -> int:
    """Recompute provisional deadlines that reach into ``year`` (called when it is entered)."""
    cases = (
        Case.objects.filter(due_provisional=True)
        .exclude(status__in=TIMER_EXCLUDED_STATUSES)
        .filter(Q(due_date__year__gte=year) | Q(acceptance_due_date__year__gte=year))
        .select_related("matter", "matter_version", "theme", "process")
    )
    count = 0
    for case in cases:
        before = case.acceptance_due_date
        case_deadline_refresh(case=case)
        if case.accepted_at is None and case.acceptance_due_date != before:
            _acceptance_timer_move(case=case)
        count += 1
    return count


def _acceptance_timer_move(*, case: Case) -> None:
    """Hand a recomputed acceptance deadline to the process's boundary timer."""
    if case.process is None or case.acceptance_due_date is None:
        return
    engine.process_set_data(
        instance=case.process,
        data={"acceptance_deadline": due_datetime(case.acceptance_due_date).isoformat()},
    )
