"""Operations on the working-day calendar.

Entering a year: ``calendar_year_enter`` writes the State Council's schedule
for one year and then calls every callback registered with
``on_year_entered``.  Deadlines that reached into that year were computed
with weekends only and marked provisional; the app that stores them (cases)
registers its recomputation in its ``AppConfig.ready()``::

    from tongban.workflow.services import on_year_entered

    on_year_entered(case_provisional_deadlines_recompute)  # called with the year

Callbacks run inside the entering transaction, so the year and the
recomputed deadlines commit together or not at all; a callback that raises
undoes the entry.  Slow work belongs in a django-task queued by the callback
(the task row commits with the same transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import chinese_calendar
from chinese_calendar import constants as cc_constants
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from tongban.core.errors import Conflict, FieldError, ValidationFailed
from tongban.workflow import engine
from tongban.workflow.choices import CalendarDayKind
from tongban.workflow.models import (
    CalendarDay,
    CalendarYear,
    NodeVisit,
    ProcessInstance,
)

YearEnteredCallback = Callable[[int], object]

# A registry of code, filled at start-up by AppConfig.ready(); it holds no data.
_year_entered_callbacks: list[YearEnteredCallback] = []

#: The chinese-calendar package names holidays in English; these are the Chinese names.
_HOLIDAY_ZH = {h.value: h.chinese for h in cc_constants.Holiday}

SEED_SOURCE = f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()
SEED_ENTERED_BY = "seed"


def on_year_entered(callback: YearEnteredCallback) -> YearEnteredCallback:
    """Register ``callback(year)`` to run when a calendar year is entered (usable as decorator)."""
    if callback not in _year_entered_callbacks:
        _year_entered_callbacks.append(callback)
    return callback


def year_entered_callback_remove(callback: YearEnteredCallback) -> None:
    """Unregister a callback added with ``on_year_entered`` (tests, reloads)."""
    if callback in _year_entered_callbacks:
        _year_entered_callbacks.remove(callback)


def provisional_deadlines_recompute(year: int) -> None:
    """Let every registered app recompute the provisional deadlines that reach into ``year``."""
    for callback in list(_year_entered_callbacks):
        callback(year)


def seed_rows(*, first_year: int, last_year: int) -> dict[int, list[CalendarDay]]:
    """The chinese-calendar package's schedule as unsaved CalendarDay rows, by year."""
    by_year: dict[int, list[CalendarDay]] = {}
    sources = (
        (cc_constants.holidays, CalendarDayKind.HOLIDAY),
        (cc_constants.workdays, CalendarDayKind.WORKDAY),
    )
    for table, kind in sources:
        for day, name_en in table.items():
            if first_year <= day.year <= last_year:
                by_year.setdefault(day.year, []).append(
                    CalendarDay(
                        date=day,
                        kind=kind,
                        name=_HOLIDAY_ZH.get(name_en, name_en)[:50],
                        name_en=str(name_en)[:50],
                    )
                )
    for rows in by_year.values():
        rows.sort(key=lambda row: row.date)
    return by_year


def seed_last_year() -> int:
    """The last year the installed chinese-calendar package has data for."""
    return max(day.year for day in cc_constants.holidays)


@transaction.atomic
def calendar_seed(
    *,
    first_year: int = 2004,
    last_year: int | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> int:
    """Seed every covered year not yet entered from chinese-calendar; return days written."""
    last = seed_last_year() if last_year is None else last_year
    by_year = seed_rows(first_year=first_year, last_year=last)
    already = set(
        CalendarYear.objects.filter(year__in=list(by_year)).values_list("year", flat=True)
    )
    written = 0
    for year in sorted(by_year):
        # An entered year (seeded before, or entered by a center admin) is never overwritten.
        if year not in already:
            existing = set(
                CalendarDay.objects.filter(date__year=year).values_list("date", flat=True)
            )
            rows = [row for row in by_year[year] if row.date not in existing]
            CalendarDay.objects.bulk_create(rows)
            CalendarYear.objects.create(year=year, source=SEED_SOURCE, entered_by=SEED_ENTERED_BY)
            written += len(rows)
        if progress is not None:
            progress(year, written)
    return written


def _check_days(
    *,
    year: int,
    field: str,
    days: list[tuple[date, str]],
    errors: list[FieldError],
) -> None:
    seen: set[date] = set()
    for index, (day, name) in enumerate(days):
        where = f"{field}[{index}]"
        if not isinstance(day, date) or day.year != year:
            errors.append(FieldError(where, _("日期必须在%(year)s年内") % {"year": year}))
            continue
        if day in seen:
            errors.append(FieldError(where, _("日期重复：%(date)s") % {"date": day.isoformat()}))
        seen.add(day)
        if not name.strip():
            errors.append(FieldError(where, _("请填写节日名称")))
        elif len(name.strip()) > 50:
            errors.append(FieldError(where, _("节日名称不能超过50个字")))


@transaction.atomic
def calendar_year_enter(
    *,
    year: int,
    holidays: list[tuple[date, str]],
    workdays: list[tuple[date, str]],
    source: str,
    entered_by: str,
    replace: bool = False,
) -> CalendarYear:
    """Enter one year's holidays and make-up workdays, then recompute provisional deadlines."""
    errors: list[FieldError] = []
    if not 2000 <= year <= 2200:
        errors.append(FieldError("year", _("年份必须在2000至2200之间")))
        raise ValidationFailed(_("工作日历年份无效"), errors=errors)
    if not source.strip():
        errors.append(FieldError("source", _("请注明来源（如国务院办公厅通知）")))
    _check_days(year=year, field="holidays", days=holidays, errors=errors)
    _check_days(year=year, field="workdays", days=workdays, errors=errors)
    holiday_dates = {day for day, _name in holidays}
    for index, (day, _name) in enumerate(workdays):
        if day in holiday_dates:
            errors.append(
                FieldError(
                    f"workdays[{index}]",
                    _("%(date)s 不能既是节假日又是调休上班日") % {"date": day.isoformat()},
                )
            )
        elif isinstance(day, date) and day.weekday() < 5:
            errors.append(FieldError(f"workdays[{index}]", _("调休上班日必须是星期六或星期日")))
    if errors:
        raise ValidationFailed(_("工作日历录入有误"), errors=errors)

    entry = CalendarYear.objects.select_for_update().filter(year=year).first()
    if entry is not None and not replace:
        raise Conflict(
            _("%(year)s年的工作日历已录入；如需更正请选择替换") % {"year": year},
            errors=[FieldError("year", _("该年度已录入"))],
        )
    # Days of a year that is not entered are not authoritative, so they go too.
    CalendarDay.objects.filter(date__year=year).delete()
    rows = [
        CalendarDay(date=day, kind=CalendarDayKind.HOLIDAY, name=name.strip())
        for day, name in holidays
    ] + [
        CalendarDay(date=day, kind=CalendarDayKind.WORKDAY, name=name.strip())
        for day, name in workdays
    ]
    CalendarDay.objects.bulk_create(rows)
    if entry is None:
        entry = CalendarYear.objects.create(year=year, source=source.strip(), entered_by=entered_by)
    else:
        entry.source = source.strip()
        entry.entered_by = entered_by
        entry.save(update_fields=["source", "entered_by", "updated_at"])
    provisional_deadlines_recompute(year)
    return entry


# --- the recorded path of older instances ----------------------------------------------------


def visits_backfill_all(
    *, progress: Callable[[int, int, int], None] | None = None
) -> tuple[int, int]:
    """Record the path of every process instance that has none (``tongban visits backfill``).

    One transaction per instance, so a long run can be stopped and started again: what is
    done stays done and is skipped the next time. ``progress(done, total, rows)`` is called
    every 100 instances and at the end. Returns (instances backfilled, rows written).
    """
    pending = (
        ProcessInstance.objects.filter(
            ~Exists(NodeVisit.objects.filter(instance_id=OuterRef("pk")))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = list(pending)
    filled = rows = 0
    for index, pk in enumerate(ids, start=1):
        instance = ProcessInstance.objects.with_digest().get(pk=pk)
        written = engine.visits_backfill(instance=instance)
        if written:
            filled += 1
            rows += written
        if progress is not None and (index % 100 == 0 or index == len(ids)):
            progress(index, len(ids), rows)
    return filled, rows
