"""Reads of the working-day calendar (public data: no acting user needed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.translation import gettext as _

from tongban.core.errors import FieldError, ValidationFailed
from tongban.workflow.calendar import MAX_WORKING_DAYS, Due, Suspension, work_calendar
from tongban.workflow.models import CalendarYear


def calendar_due(*, start: date, days: int, suspended: Sequence[Suspension] = ()) -> Due:
    """The due date of a limit of ``days`` working days for a case accepted on ``start``."""
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise ValidationFailed(
            _("工作日数无效"),
            errors=[
                FieldError("days", _("工作日数必须在0至%(max)s之间") % {"max": MAX_WORKING_DAYS})
            ],
        )
    for first, last in suspended:
        if last < first:
            raise ValidationFailed(
                _("中止期间无效"),
                errors=[FieldError("suspended", _("中止期间的结束日不能早于开始日"))],
            )
    try:
        return work_calendar().add_working_days(start, days, suspended=suspended)
    except ValueError:
        # Only reachable near date.max: the limit cannot be represented.
        raise ValidationFailed(
            _("期限超出可计算范围"),
            errors=[FieldError("from", _("日期过晚，无法计算期限"))],
        ) from None


def calendar_years() -> list[int]:
    """The years whose holiday schedule is entered, ascending."""
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def calendar_missing_years(*, through: date) -> list[int]:
    """Years up to ``through``'s year with no schedule entered (from the first entered year on)."""
    entered = set(calendar_years())
    first = min(entered) if entered else through.year
    return [year for year in range(first, through.year + 1) if year not in entered]
