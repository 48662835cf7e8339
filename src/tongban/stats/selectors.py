"""The reform's indicators, read from the rollups (definitions: docs/indicators.md).

Every figure about cases is a sum over ``DailyRollup`` rows of the period (and a
median or 90th percentile from ``DurationHistogram`` buckets), never a scan of the
cases; catalogue figures (access, online, one-visit, 全市通办) count the catalogue as
it is now.  Only ``overdue_cases`` reads cases: it is the list of cases to chase.

Counting unit: a 办件 is the case of one matter, applied for alone or inside a theme
(kinds ``matter`` and ``part``); a theme application (kind ``theme``) is counted by
``themes`` and ``company_funnel``, and its combined licence by
``combined_licences_issued``.
"""

from __future__ import annotations

import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.cases.services.sla import SLA_RUNNING_STATUSES, shanghai_date
from tongban.catalog.choices import Audience, Channel, OnlineDepth
from tongban.catalog.models import Department, Matter, Section, Theme, localized
from tongban.core.errors import FieldError, ValidationFailed
from tongban.evaluation.selectors import Satisfaction, satisfaction_by_department
from tongban.stats.models import (
    COUNTERS,
    CaseKind,
    DailyRollup,
    DurationHistogram,
    VersionDurationHistogram,
    VersionRollup,
)
from tongban.workflow.calendar import WorkCalendar
from tongban.workflow.models import ProcessDefinition

#: The cases counted as 办件 (one matter each), alone or inside a theme.
MATTER_KINDS = (CaseKind.MATTER, CaseKind.PART)
#: Matters an enterprise applies for (the reform's 只跑一次 counts 法人事项).
ENTERPRISE_AUDIENCES = (Audience.ENTERPRISE, Audience.BOTH)
#: Matters a person applies for (全市通办 counts 个人事项).
PERSONAL_AUDIENCES = (Audience.PERSON, Audience.BOTH)
#: Online depths that let an application be made online (网上申报).
ONLINE_DEPTHS = (OnlineDepth.FULL_ONLINE, OnlineDepth.ONLINE_PREREVIEW)
#: The open-company theme of the funnel (开办企业).
COMPANY_THEME = "open-company"
#: Longest list the matters/overdue selectors return.
MAX_LIMIT = 500
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


# --- period and filters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A period of whole Shanghai days, ``start`` and ``end`` both included."""

    start: date
    end: date

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        out = []
        month = self.start.replace(day=1)
        while month <= self.end:
            out.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return out

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def today_shanghai() -> date:
    return shanghai_date(timezone.now())


def months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _date_parse(value: str, field: str) -> date:
    if len(value) > 10 or not _DATE.match(value):
        raise ValidationFailed(
            _("日期格式应为 YYYY-MM-DD"),
            errors=[FieldError(field, _("日期格式应为 YYYY-MM-DD"))],
        )
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            _("日期不存在"), errors=[FieldError(field, _("日期不存在"))]
        ) from None
    if not 2000 <= day.year <= 2100:
        raise ValidationFailed(
            _("日期超出范围"), errors=[FieldError(field, _("日期应在2000年至2100年之间"))]
        )
    return day


def period_parse(from_: str | None, to: str | None) -> Period:
    """The period from query parameters; by default the last 12 months up to today."""
    end = _date_parse(to, "to") if to else today_shanghai()
    start = _date_parse(from_, "from") if from_ else months_back(end, 11)
    if start > end:
        raise ValidationFailed(
            _("统计期间的开始日期晚于结束日期"),
            errors=[FieldError("to", _("结束日期不能早于开始日期"))],
        )
    return Period(start=start, end=end)


def _default_period(period: Period | None) -> Period:
    return period if period is not None else period_parse(None, None)


def _code_get(model: type[Department] | type[Section], code: str, field: str) -> Any:
    # Validate before querying: PostgreSQL refuses NUL bytes that SQLite accepts.
    found = model.objects.filter(code=code).first() if _CODE.match(code) else None
    if found is None:
        message = _("部门代码不存在") if field == "department" else _("板块代码不存在")
        raise ValidationFailed(message, errors=[FieldError(field, message)])
    return found


def filters_resolve(
    *, department: str | None = None, section: str | None = None
) -> tuple[Department | None, Section | None]:
    """The department and section named by code; an unknown code is a 422 field error."""
    errors: list[FieldError] = []
    dept = sect = None
    for field, model, code in (
        ("department", Department, department),
        ("section", Section, section),
    ):
        if not code:
            continue
        try:
            found = _code_get(model, code, field)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        if field == "department":
            dept = found
        else:
            sect = found
    if errors:
        raise ValidationFailed(_("统计条件有误"), errors=errors)
    return dept, sect


def limit_check(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            _("条数超出范围"),
            errors=[FieldError("limit", _("条数应在1到%(max)s之间") % {"max": MAX_LIMIT})],
        )
    return limit


# --- arithmetic ------------------------------------------------------------------------------


def ratio(part: float, whole: float) -> float | None:
    """``part / whole`` rounded to 4 places, or None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def percentiles(buckets: Iterable[tuple[int, int]]) -> tuple[float | None, int | None]:
    """Exact (median, 90th percentile) of integer values given as (value, how many) buckets.

    The median of an even count is the mean of the two middle values; the 90th percentile
    is the nearest-rank one (the smallest value with at least 90% of cases at or below it).
    """
    rows = sorted((d, n) for d, n in buckets if n > 0)
    total = sum(n for _d, n in rows)
    if not total:
        return None, None

    def nth(rank: int) -> int:
        seen = 0
        for days, n in rows:
            seen += n
            if seen >= rank:
                return days
        return rows[-1][0]

    if total % 2:
        median: float = nth((total + 1) // 2)
    else:
        median = (nth(total // 2) + nth(total // 2 + 1)) / 2
    return median, nth(math.ceil(0.9 * total))


# --- rollup queries --------------------------------------------------------------------------


def _rollups(
    period: Period,
    *,
    kinds: Sequence[str] = MATTER_KINDS,
    department: Department | None = None,
    section: Section | None = None,
) -> QuerySet[DailyRollup]:
    rows = DailyRollup.objects.filter(day__gte=period.start, day__lte=period.end)
    rows = rows.filter(kind__in=list(kinds))
    if department is not None:
        rows = rows.filter(department_id=department.pk)
    if section is not None:
        rows = rows.filter(section_id=section.pk)
    return rows


def _histograms(
    period: Period,
    *,
    kinds: Sequence[str] = MATTER_KINDS,
    department: Department | None = None,
    section: Section | None = None,
) -> QuerySet[DurationHistogram]:
    months = period.months()
    rows = DurationHistogram.objects.filter(month__gte=months[0], month__lte=months[-1])
    rows = rows.filter(kind__in=list(kinds))
    if department is not None:
        rows = rows.filter(department_id=department.pk)
    if section is not None:
        rows = rows.filter(section_id=section.pk)
    return rows


def _sum_fields(names: Iterable[str] = COUNTERS) -> dict[str, Any]:
    return {name: Coalesce(Sum(name), 0) for name in names}


def _grouped(rows: QuerySet[Any], by: str) -> dict[Any, dict[str, int]]:
    out: dict[Any, dict[str, int]] = {}
    for row in rows.values(by).annotate(**_sum_fields()).order_by():
        out[row.pop(by)] = row
    return out


def _total(groups: Iterable[dict[str, int]]) -> dict[str, int]:
    out = dict.fromkeys(COUNTERS, 0)
    for group in groups:
        for name in COUNTERS:
            out[name] += group[name]
    return out


def _durations(
    rows: QuerySet[DurationHistogram] | QuerySet[VersionDurationHistogram], by: str | None = None
) -> dict[Any, list[tuple[int, int]]]:
    fields = ["days"] if by is None else [by, "days"]
    out: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    for row in rows.values(*fields).annotate(n=Sum("cases")).order_by():
        out[row[by] if by else None].append((row["days"], row["n"]))
    return out


def _case_rates(c: dict[str, int]) -> dict[str, Any]:
    """The rates every table shows, from one group's counters."""
    decided = c["approved"] + c["denied"]
    return {
        "cases": c["submitted"],
        "accepted": c["accepted"],
        "rejected": c["rejected"],
        "approved": c["approved"],
        "denied": c["denied"],
        "decided": decided,
        "completed": c["completed"],
        "withdrawn": c["withdrawn"],
        "overdue_rate": ratio(c["decided_overdue"], decided),
        "extension_rate": ratio(c["decided_extended"], decided),
        "first_pass_rate": ratio(c["completed_first_pass"], c["completed"]),
        "supplement_rate": ratio(c["supplemented"], c["accepted"]),
        "one_visit_share": ratio(c["completed_one_visit"], c["completed"]),
    }


# --- the catalogue ---------------------------------------------------------------------------


def _catalogue(department: Department | None, section: Section | None) -> dict[str, Any]:
    matters = Matter.objects.filter(is_active=True)
    themes = Theme.objects.filter(is_active=True)
    if department is not None:
        matters = matters.filter(department=department)
        themes = themes.filter(theme_matters__matter__department=department)
    if section is not None:
        matters = matters.filter(section=section)
        themes = themes.filter(section=section)
    rows = list(
        matters.values_list(
            "audience", "online_depth", "max_visits", "channels", "version", "department__in_center"
        )
    )
    total = len(rows)
    on_platform = sum(1 for _a, _d, _v, ch, ver, _c in rows if ver >= 1 and ch)
    online = sum(1 for _a, depth, *_rest in rows if depth in ONLINE_DEPTHS)
    enterprise = [r for r in rows if r[0] in ENTERPRISE_AUDIENCES]
    one_visit = sum(1 for r in enterprise if r[2] <= 1)
    personal = [r for r in rows if r[0] in PERSONAL_AUDIENCES]
    citywide = sum(1 for r in personal if r[1] in ONLINE_DEPTHS or r[5])
    return {
        "matters_total": total,
        "matters_on_platform": on_platform,
        "access_rate": ratio(on_platform, total),
        "matters_online": online,
        "online_rate": ratio(online, total),
        "enterprise_matters": len(enterprise),
        "enterprise_one_visit": one_visit,
        "one_visit_rate": ratio(one_visit, len(enterprise)),
        "personal_matters": len(personal),
        "personal_citywide": citywide,
        "citywide_rate": ratio(citywide, len(personal)),
        "themes": themes.distinct().count(),
    }


# --- satisfaction (好差评, from tongban.evaluation) ---------------------------------------------

_NO_RATINGS: dict[str, Any] = {"satisfaction_rate": None, "bad_ratings_open": 0}


def _satisfaction_row(s: Satisfaction) -> dict[str, Any]:
    return {"satisfaction_rate": s.satisfaction_rate, "bad_ratings_open": s.bad_open}


def _satisfaction(period: Period) -> dict[int, Satisfaction]:
    """Per department id: the 好差评 ratings given in the period (upheld appeals excluded)."""
    return satisfaction_by_department(start=period.start, end=period.end)


def _satisfaction_total(period: Period, department: Department | None) -> dict[str, Any]:
    """The overview's satisfaction: one department's, or every department's ratings together."""
    by_department = _satisfaction(period)
    if department is not None:
        found = by_department.get(department.pk)
        return _satisfaction_row(found) if found is not None else dict(_NO_RATINGS)
    ratings = sum(s.ratings for s in by_department.values())
    satisfied = sum(s.satisfied for s in by_department.values())
    return {
        "satisfaction_rate": satisfied / ratings if ratings else None,
        "bad_ratings_open": sum(s.bad_open for s in by_department.values()),
    }


# --- the selectors the dashboards use --------------------------------------------------------


def overview(
    *, period: Period | None = None, department: str | None = None, section: str | None = None
) -> dict[str, Any]:
    """The headline indicators (GET /stats/overview) for a period, department and section."""
    period = _default_period(period)
    dept, sect = filters_resolve(department=department, section=section)
    # One pass over the period's rollup rows, grouped by what the overview splits on.
    groups = list(
        _rollups(period, kinds=list(CaseKind), department=dept, section=sect)
        .values("kind", "channel", "matter__audience")
        .annotate(**_sum_fields())
        .order_by()
    )
    matter_groups = [g for g in groups if g["kind"] in MATTER_KINDS]
    c = _total(matter_groups)
    theme_c = _total(g for g in groups if g["kind"] == CaseKind.THEME)
    enterprise = _total(g for g in matter_groups if g["matter__audience"] in ENTERPRISE_AUDIENCES)
    by_channel: dict[str, int] = defaultdict(int)
    for g in matter_groups:
        by_channel[g["channel"]] += g["submitted"]
    median, p90 = percentiles(
        _durations(_histograms(period, department=dept, section=sect)).get(None, [])
    )
    delivered = c["shipped"] + c["pickup_ready"]
    cases = c["submitted"]
    out: dict[str, Any] = {
        "as_of": timezone.now(),
        "period": period.as_dict(),
        "department": dept.code if dept else None,
        "section": sect.code if sect else None,
        **_catalogue(dept, sect),
        "cases_total": cases,
        "cases_by_channel": {ch.value: by_channel.get(ch.value, 0) for ch in Channel},
        **{k: v for k, v in _case_rates(c).items() if k != "cases"},
        "theme_applications": theme_c["submitted"],
        "delivery_share": ratio(c["shipped"], delivered),
        "shipped": c["shipped"],
        "picked_up": c["picked_up"],
        "combined_licences_issued": theme_c["combined_licences"],
        "enterprise_cases_completed": enterprise["completed"],
        "enterprise_one_visit_share": ratio(
            enterprise["completed_one_visit"], enterprise["completed"]
        ),
        "visits": c["visits"] + theme_c["visits"],
        "median_working_days": median,
        "p90_working_days": p90,
        "shared_materials": c["shared_materials"],
        "shared_materials_per_case": ratio(c["shared_materials"], cases),
        "data_lookups": c["data_lookups"] + theme_c["data_lookups"],
        "data_lookups_per_case": ratio(c["data_lookups"] + theme_c["data_lookups"], cases),
        "went_overdue": c["went_overdue"],
        "extended": c["extended"],
        **_satisfaction_total(period, dept),
    }
    return out


def departments(*, period: Period) -> list[dict[str, Any]]:
    """Every department's cases and times in the period (GET /stats/departments)."""
    counts = _grouped(_rollups(period), "department_id")
    durations = _durations(_histograms(period), "department_id")
    satisfaction = _satisfaction(period)
    out = []
    for dept in Department.objects.order_by("order", "code"):
        c = counts.get(dept.pk) or dict.fromkeys(COUNTERS, 0)
        median, p90 = percentiles(durations.get(dept.pk, []))
        out.append(
            {
                "code": dept.code,
                "name": localized(dept, "name"),
                **_case_rates(c),
                "median_working_days": median,
                "p90_working_days": p90,
                **(
                    _satisfaction_row(satisfaction[dept.pk])
                    if dept.pk in satisfaction
                    else _NO_RATINGS
                ),
            }
        )
    return out


def process_versions(*, period: Period, department: str | None = None) -> list[dict[str, Any]]:
    """Per process version: decisions, overdue rate and working days in the period.

    The same counting rule as every table (``stats.rollup``): a decision in the period, overdue
    when taken after the case's due date; working days from acceptance to decision over the
    decision months the period touches. A version no decision of the period ran on is left out.
    """
    dept, _sect = filters_resolve(department=department)
    rows = VersionRollup.objects.filter(day__gte=period.start, day__lte=period.end)
    months = period.months()
    buckets = VersionDurationHistogram.objects.filter(month__gte=months[0], month__lte=months[-1])
    if dept is not None:
        rows = rows.filter(department_id=dept.pk)
        buckets = buckets.filter(department_id=dept.pk)
    counts = {
        r["definition_id"]: r
        for r in rows.values("definition_id")
        .annotate(decided=Sum("decided"), overdue=Sum("decided_overdue"))
        .order_by()
    }
    durations = _durations(buckets, "definition_id")
    out = []
    for definition in (
        ProcessDefinition.objects.filter(pk__in=set(counts) | set(durations))
        .only("name", "version", "published_at")
        .order_by("name", "version")
    ):
        c = counts.get(definition.pk, {"decided": 0, "overdue": 0})
        median, p90 = percentiles(durations.get(definition.pk, []))
        out.append(
            {
                "process": definition.name,
                "version": definition.version,
                "published_at": definition.published_at,
                "decided": c["decided"],
                "decided_overdue": c["overdue"],
                "overdue_rate": ratio(c["overdue"], c["decided"]),
                "median_working_days": median,
                "p90_working_days": p90,
            }
        )
    return out


def trend(
    *, period: Period, department: str | None = None, section: str | None = None
) -> list[dict[str, Any]]:
    """The indicators month by month over the period (how they changed)."""
    dept, sect = filters_resolve(department=department, section=section)
    rows = _rollups(period, department=dept, section=sect).annotate(month=TruncMonth("day"))
    counts = _grouped(rows, "month")
    durations = _durations(_histograms(period, department=dept, section=sect), "month")
    out = []
    for month in period.months():
        c = counts.get(month) or dict.fromkeys(COUNTERS, 0)
        median, p90 = percentiles(durations.get(month, []))
        out.append(
            {
                "month": f"{month:%Y-%m}",
                **_case_rates(c),
                "median_working_days": median,
                "p90_working_days": p90,
                "visits": c["visits"],
                "shipped": c["shipped"],
            }
        )
    return out


def matters(
    *,
    period: Period,
    department: str | None = None,
    section: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The slowest matters of the period: median and p90 working days against their limits."""
    limit_check(limit)
    dept, sect = filters_resolve(department=department, section=section)
    counts = _grouped(
        _rollups(period, department=dept, section=sect).filter(matter__isnull=False), "matter_id"
    )
    durations = _durations(_histograms(period, department=dept, section=sect), "matter_id")
    ids = set(counts) | set(durations)
    out = []
    for matter in Matter.objects.filter(pk__in=ids).select_related("department"):
        median, p90 = percentiles(durations.get(matter.pk, []))
        c = counts.get(matter.pk) or dict.fromkeys(COUNTERS, 0)
        out.append(
            {
                "code": matter.code,
                "name": localized(matter, "name"),
                "department": {
                    "code": matter.department.code,
                    "name": localized(matter.department, "name"),
                },
                "promised_limit_days": matter.promised_limit_days,
                "legal_limit_days": matter.legal_limit_days,
                **_case_rates(c),
                "median_working_days": median,
                "p90_working_days": p90,
                "median_share_of_promised": ratio(median or 0, matter.promised_limit_days)
                if median is not None
                else None,
            }
        )
    out.sort(
        key=lambda m: (
            m["median_working_days"] is None,
            -(m["median_working_days"] or 0),
            -(m["p90_working_days"] or 0),
            m["code"],
        )
    )
    return out[:limit]


def themes(*, period: Period) -> list[dict[str, Any]]:
    """Every theme: its steps (matters) and promise, applications and days taken."""
    counts = _grouped(_rollups(period, kinds=(CaseKind.THEME,)), "theme_id")
    durations = _durations(_histograms(period, kinds=(CaseKind.THEME,)), "theme_id")
    out = []
    for theme in Theme.objects.filter(is_active=True).annotate(steps=Count("theme_matters")):
        c = counts.get(theme.pk) or dict.fromkeys(COUNTERS, 0)
        median, p90 = percentiles(durations.get(theme.pk, []))
        out.append(
            {
                "code": theme.code,
                "name": localized(theme, "name"),
                "steps": theme.steps,
                "promised_limit_days": theme.promised_limit_days,
                "max_visits": theme.max_visits,
                "applications": c["submitted"],
                "accepted": c["accepted"],
                "approved": c["approved"],
                "completed": c["completed"],
                "combined_licences": c["combined_licences"],
                "first_pass_rate": ratio(c["completed_first_pass"], c["completed"]),
                "median_working_days": median,
                "p90_working_days": p90,
            }
        )
    return out


def company_funnel(*, period: Period) -> dict[str, Any]:
    """开办企业: submitted → accepted (pre-review passed) → approved → all results out."""
    theme = Theme.objects.filter(code=COMPANY_THEME).first()
    c = dict.fromkeys(COUNTERS, 0)
    median = p90 = None
    if theme is not None:
        rows = _rollups(period, kinds=(CaseKind.THEME,)).filter(theme=theme)
        c = rows.aggregate(**_sum_fields())
        median, p90 = percentiles(
            _durations(_histograms(period, kinds=(CaseKind.THEME,)).filter(theme=theme)).get(
                None, []
            )
        )
    submitted = c["submitted"]
    return {
        "theme": COMPANY_THEME,
        "name": localized(theme, "name") if theme else "",
        "steps": theme.theme_matters.count() if theme else 0,
        "promised_limit_days": theme.promised_limit_days if theme else None,
        "submitted": submitted,
        "accepted": c["accepted"],
        "approved": c["approved"],
        "completed": c["completed"],
        "accepted_rate": ratio(c["accepted"], submitted),
        "approved_rate": ratio(c["approved"], submitted),
        "completed_rate": ratio(c["completed"], submitted),
        "median_working_days": median,
        "p90_working_days": p90,
    }


def _working_days_until(days: set[date], today: date) -> dict[date, int]:
    """For each of ``days``: the working days after it up to and including ``today``.

    One walk from the earliest day to today (not one per case), as the calendar counts them.
    """
    if not days:
        return {}
    calendar = WorkCalendar()
    out: dict[date, int] = {}
    seen = 0
    passed: dict[date, int] = {}
    day = min(days)
    while day < today:
        passed[day] = seen
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            seen += 1
    for due in days:
        out[due] = seen - passed[due] if due in passed else 0
    return out


def overdue_cases(
    *, department: str | None = None, section: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Open cases past their due date (decision, or acceptance before acceptance), oldest first."""
    limit_check(limit)
    dept, sect = filters_resolve(department=department, section=section)
    today = today_shanghai()
    cases = Case.objects.filter(status__in=list(SLA_RUNNING_STATUSES)).filter(
        Q(due_date__lt=today) | Q(accepted_at__isnull=True, acceptance_due_date__lt=today)
    )
    if dept is not None:
        cases = cases.filter(department=dept)
    if sect is not None:
        cases = cases.filter(Q(matter__section=sect) | Q(matter__isnull=True, theme__section=sect))
    rows = cases.select_related("matter", "theme", "department").order_by(
        Coalesce("due_date", "acceptance_due_date"), "id"
    )[:limit]
    cases_listed = list(rows)
    dues = {
        case.pk: (case.due_date if case.accepted_at is not None else case.acceptance_due_date)
        or case.due_date
        or case.acceptance_due_date
        for case in cases_listed
    }
    overdue_days = _working_days_until({due for due in dues.values() if due is not None}, today)
    out = []
    for case in cases_listed:
        due = dues[case.pk]
        subject = case.matter or case.theme
        out.append(
            {
                "id": case.pk,
                "case_no": case.case_no,
                "matter": {"code": subject.code, "name": localized(subject, "name")}
                if subject is not None
                else None,
                "department": {
                    "code": case.department.code,
                    "name": localized(case.department, "name"),
                }
                if case.department is not None
                else None,
                "status": case.status,
                "status_label": str(CaseStatus(case.status).label),
                "due_date": due,
                "working_days_overdue": overdue_days.get(due) if due else None,
            }
        )
    return out


# --- the Excel workbook ----------------------------------------------------------------------

#: (key, Chinese header, English header) of each table's columns.
_CASE_COLUMNS: list[tuple[str, str, str]] = [
    ("cases", "办件量", "Cases"),
    ("accepted", "受理", "Accepted"),
    ("rejected", "不予受理", "Not accepted"),
    ("approved", "准予许可", "Approved"),
    ("denied", "不予许可", "Denied"),
    ("completed", "办结", "Completed"),
    ("median_working_days", "办理时长中位数（工作日）", "Median working days"),
    ("p90_working_days", "办理时长90分位（工作日）", "90th percentile working days"),
    ("overdue_rate", "超期率", "Overdue rate"),
    ("extension_rate", "延期率", "Extension rate"),
    ("first_pass_rate", "一次通过率", "First-pass rate"),
    ("one_visit_share", "最多跑一次占比", "At most one visit"),
]
_SHEETS: list[tuple[str, str, list[tuple[str, str, str]]]] = [
    (
        "departments",
        "部门 Departments",
        [
            ("code", "部门代码", "Code"),
            ("name", "部门", "Department"),
            *_CASE_COLUMNS,
            ("satisfaction_rate", "满意率", "Satisfaction rate"),
            ("bad_ratings_open", "未整改差评", "Open bad ratings"),
        ],
    ),
    ("trend", "月度趋势 Trend", [("month", "月份", "Month"), *_CASE_COLUMNS]),
    (
        "versions",
        "流程版本 Process versions",
        [
            ("process", "流程", "Process"),
            ("version", "版本", "Version"),
            ("decided", "决定", "Decisions"),
            ("decided_overdue", "超期决定", "Decided overdue"),
            ("overdue_rate", "超期率", "Overdue rate"),
            ("median_working_days", "办理时长中位数（工作日）", "Median working days"),
            ("p90_working_days", "办理时长90分位（工作日）", "90th percentile working days"),
        ],
    ),
    (
        "matters",
        "事项 Matters",
        [
            ("code", "事项编码", "Code"),
            ("name", "事项", "Matter"),
            ("department_name", "部门", "Department"),
            ("promised_limit_days", "承诺时限（工作日）", "Promised limit (working days)"),
            ("legal_limit_days", "法定时限（工作日）", "Legal limit (working days)"),
            *_CASE_COLUMNS,
        ],
    ),
    (
        "themes",
        "主题服务 Themes",
        [
            ("code", "主题编码", "Code"),
            ("name", "主题", "Theme"),
            ("steps", "环节（事项数）", "Steps (matters)"),
            ("promised_limit_days", "承诺时限（工作日）", "Promised limit (working days)"),
            ("applications", "申请", "Applications"),
            ("accepted", "受理", "Accepted"),
            ("approved", "准予许可", "Approved"),
            ("completed", "办结", "Completed"),
            ("combined_licences", "综合许可证", "Combined licences"),
            ("median_working_days", "办理时长中位数（工作日）", "Median working days"),
            ("p90_working_days", "办理时长90分位（工作日）", "90th percentile working days"),
        ],
    ),
    (
        "overdue",
        "超期办件 Overdue",
        [
            ("case_no", "办件编号", "Case number"),
            ("matter_name", "事项", "Matter"),
            ("department_name", "部门", "Department"),
            ("status_label", "状态", "Status"),
            ("due_date", "办结期限", "Due date"),
            ("working_days_overdue", "超期（工作日）", "Working days overdue"),
        ],
    ),
]
#: The overview sheet: (key, Chinese label, English label).
_OVERVIEW_ROWS: list[tuple[str, str, str]] = [
    ("matters_total", "事项总数", "Active matters"),
    ("matters_on_platform", "接入平台事项", "Matters on the platform"),
    ("access_rate", "接入率", "Access rate"),
    ("matters_online", "可网上申报事项", "Matters applicable online"),
    ("online_rate", "网上申报率", "Online-application rate"),
    ("enterprise_matters", "法人事项", "Enterprise matters"),
    ("enterprise_one_visit", "最多跑一次法人事项", "Enterprise matters with at most one visit"),
    ("one_visit_rate", "只跑一次率", "One-visit rate"),
    ("personal_matters", "个人事项", "Personal matters"),
    ("personal_citywide", "全市通办个人事项", "Personal matters handled city-wide"),
    ("citywide_rate", "全市通办率", "City-wide rate"),
    ("themes", "主题服务", "Themes"),
    ("cases_total", "办件量", "Cases"),
    ("completed", "办结", "Completed"),
    ("median_working_days", "办理时长中位数（工作日）", "Median working days"),
    ("p90_working_days", "办理时长90分位（工作日）", "90th percentile working days"),
    ("overdue_rate", "超期率", "Overdue rate"),
    ("extension_rate", "延期率", "Extension rate"),
    ("first_pass_rate", "一次通过率", "First-pass rate"),
    (
        "enterprise_one_visit_share",
        "法人办件最多跑一次占比",
        "Enterprise cases with at most one visit",
    ),
    ("delivery_share", "寄递占比", "Delivery share"),
    ("combined_licences_issued", "综合许可证发放", "Combined licences issued"),
    ("shared_materials_per_case", "件均免提交材料", "Shared materials per case"),
    ("data_lookups_per_case", "件均数据查询", "Data look-ups per case"),
    ("satisfaction_rate", "满意率", "Satisfaction rate"),
]
_FUNNEL_ROWS: list[tuple[str, str, str]] = [
    ("submitted", "提交申请", "Submitted"),
    ("accepted", "预审通过（受理）", "Pre-review passed (accepted)"),
    ("approved", "准予设立", "Approved"),
    ("completed", "全部结果办结", "All results out"),
    ("median_working_days", "办理时长中位数（工作日）", "Median working days"),
]


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("name", "")
    return "" if value is None else value


def workbook(*, period: Period) -> bytes:
    """Every table behind the dashboards as an Excel workbook (Chinese and English headers)."""
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    assert sheet is not None
    sheet.title = "概览 Overview"
    sheet.append(["指标", "Indicator", "数值 Value"])
    sheet.append(["统计期间", "Period", f"{period.start} – {period.end}"])
    figures = overview(period=period)
    for key, zh, en in _OVERVIEW_ROWS:
        sheet.append([zh, en, _cell(figures.get(key))])
    for ch in Channel:
        sheet.append(
            [f"办件量（{ch.label}）", f"Cases ({ch.value})", figures["cases_by_channel"][ch.value]]
        )
    for cell in sheet[1]:
        cell.font = bold

    tables: dict[str, list[dict[str, Any]]] = {
        "departments": departments(period=period),
        "trend": trend(period=period),
        "versions": process_versions(period=period),
        "matters": matters(period=period, limit=MAX_LIMIT),
        "themes": themes(period=period),
        "overdue": overdue_cases(limit=MAX_LIMIT),
    }
    for key, title, columns in _SHEETS:
        sheet = book.create_sheet(title)
        sheet.append([zh for _k, zh, _en in columns])
        sheet.append([en for _k, _zh, en in columns])
        for row in tables[key]:
            flat = dict(row)
            for nested in ("department", "matter"):
                if isinstance(row.get(nested), dict):
                    flat[f"{nested}_name"] = row[nested]["name"]
            sheet.append([_cell(flat.get(k)) for k, _zh, _en in columns])
        for cell in (*sheet[1], *sheet[2]):
            cell.font = bold
        sheet.freeze_panes = "A3"

    sheet = book.create_sheet("开办企业 Open company")
    sheet.append(["环节", "Stage", "数量 Count"])
    funnel = company_funnel(period=period)
    for key, zh, en in _FUNNEL_ROWS:
        sheet.append([zh, en, _cell(funnel.get(key))])
    for cell in sheet[1]:
        cell.font = bold

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
