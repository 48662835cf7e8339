"""Pure rules of the service center: opening hours, appointment slots, ticket numbers.

Nothing here writes; services and selectors both build on these, so each rule is
written once.  Times are in Asia/Shanghai; working days come from ``WorkCalendar``.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import Matter, Section, localized
from tongban.core.errors import FieldError, ValidationFailed
from tongban.counter.models import CenterSection, NegativeListEntry
from tongban.workflow.calendar import SHANGHAI, WorkCalendar

#: A ticket number: the section letter and at least three digits (A012, B1034).
TICKET_NUMBER = re.compile(r"^[A-Z][0-9]{3,6}$")
#: The largest primary key a query is asked for (PostgreSQL refuses bigger integers).
MAX_ID = 2**63 - 1
#: Matter process parameters that give a matter its own appointment slots.
OWN_SLOT_PARAMS = ("appointment_slots", "pre_review_channel")


def local_now(now: datetime | None = None) -> datetime:
    """``now`` (default: the current time) in Asia/Shanghai."""
    return (now or timezone.now()).astimezone(SHANGHAI)


def aware(moment: datetime) -> datetime:
    """A naive datetime read as Asia/Shanghai; an aware one unchanged."""
    return moment.replace(tzinfo=SHANGHAI) if timezone.is_naive(moment) else moment


def ticket_number_format(letter: str, sequence: int) -> str:
    """``A`` and 12 → ``A012``."""
    return f"{letter}{sequence:03d}"


def ticket_number_clean(number: str) -> str | None:
    """The number upper-cased when it has the shape of a ticket number, else None."""
    text = (number or "").strip().upper()
    return text if TICKET_NUMBER.match(text) else None


def hours_text(center: CenterSection) -> str:
    """``09:00–12:00、13:30–17:00``: the section's opening periods."""
    return "、".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in opening_periods(center))


def opening_periods(center: CenterSection) -> list[tuple[time, time]]:
    """The periods of a day the section is open: its hours, less the lunch break."""
    opens, closes = center.opens_at, center.closes_at
    start, end = center.break_start, center.break_end
    if start is None or end is None or not (opens < start < end < closes):
        return [(opens, closes)]
    return [(opens, start), (end, closes)]


def is_open_at(center: CenterSection, moment: datetime, calendar: WorkCalendar) -> bool:
    """Whether the section takes people at ``moment``: a working day, in hours, not at lunch."""
    local = moment.astimezone(SHANGHAI)
    if not center.is_open or not calendar.is_working_day(local.date()):
        return False
    clock = local.time()
    return any(a <= clock < b for a, b in opening_periods(center))


def closed_reason(center: CenterSection, moment: datetime, calendar: WorkCalendar) -> str | None:
    """Why the section takes nobody at ``moment`` (None while it is open)."""
    local = moment.astimezone(SHANGHAI)
    if not center.is_open:
        return _("该板块暂停取号")
    if not calendar.is_working_day(local.date()):
        return _("%(day)s不是工作日（周末或法定节假日），请另选工作日") % {
            "day": local.date().isoformat()
        }
    if not is_open_at(center, moment, calendar):
        return _("不在办公时间内（%(hours)s）") % {"hours": hours_text(center)}
    return None


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


def day_slots(center: CenterSection, day: date) -> list[Slot]:
    """Every appointment slot of ``day`` by the section's hours (whatever kind of day it is)."""
    length = timedelta(minutes=max(1, center.slot_minutes))
    slots = []
    for opens, closes in opening_periods(center):
        start = datetime.combine(day, opens, tzinfo=SHANGHAI)
        limit = datetime.combine(day, closes, tzinfo=SHANGHAI)
        while start + length <= limit:
            slots.append(Slot(start=start, end=start + length))
            start += length
    return slots


def bookable_days_ahead() -> int:
    """How many days ahead a slot may be booked (setting TONGBAN_APPOINTMENT_DAYS_AHEAD)."""
    return int(settings.APPOINTMENT_DAYS_AHEAD)


def slot_errors(
    *, center: CenterSection, start: datetime, now: datetime, calendar: WorkCalendar
) -> list[FieldError]:
    """Why ``start`` is not the beginning of a bookable slot: past, holiday, hours, boundary."""
    start = aware(start)
    local = start.astimezone(SHANGHAI)
    field = "start"
    if start <= now:
        return [FieldError(field=field, message=_("预约时间应晚于当前时间"))]
    if not calendar.is_working_day(local.date()):
        return [
            FieldError(
                field=field,
                message=_("%(day)s不是工作日（周末或法定节假日），请另选工作日")
                % {"day": local.date().isoformat()},
            )
        ]
    clock = local.time()
    if not any(a <= clock < b for a, b in opening_periods(center)):
        return [
            FieldError(
                field=field,
                message=_("预约时间不在办公时间内（%(hours)s）") % {"hours": hours_text(center)},
            )
        ]
    if all(slot.start != local for slot in day_slots(center, local.date())):
        return [
            FieldError(
                field=field,
                message=_("预约时间应为时段的开始（每 %(n)s 分钟一段）")
                % {"n": center.slot_minutes},
            )
        ]
    if local.date() > local_now(now).date() + timedelta(days=bookable_days_ahead()):
        return [
            FieldError(
                field=field,
                message=_("只能预约 %(n)s 天以内的时段") % {"n": bookable_days_ahead()},
            )
        ]
    return []


def center_section_get(section_code: str, *, field: str = "section") -> CenterSection:
    """The center's section with this code, or 422: unknown, or not run by the center."""
    code = (section_code or "").strip()
    center = (
        CenterSection.objects.select_related("section").filter(section__code=code).first()
        if code and "\x00" not in code
        else None
    )
    if center is None:
        raise ValidationFailed(
            _("板块不存在"),
            errors=[FieldError(field=field, message=_("板块不存在：%(code)s") % {"code": code})],
        )
    return center


def section_matter_get(section: Section, matter_code: str | None) -> Matter | None:
    """The active matter of ``section`` with this code (None when no code), or 422.

    A matter on the negative list is handled outside the center: refused with where to go.
    """
    code = (matter_code or "").strip()
    if not code:
        return None
    matter = (
        Matter.objects.filter(code=code, is_active=True, section=section).first()
        if "\x00" not in code
        else None
    )
    if matter is None:
        raise ValidationFailed(
            _("事项不属于该板块"),
            errors=[
                FieldError(field="matter", message=_("该板块没有此事项：%(code)s") % {"code": code})
            ],
        )
    negative_list_check(matter)
    return matter


def negative_list_check(matter: Matter) -> None:
    """Refuse at the center a matter on the negative list (不进驻中心), naming where it is done."""
    entry = NegativeListEntry.objects.filter(matter=matter).first()
    if entry is None:
        return
    message = _("“%(matter)s”不进驻中心（%(reason)s），请到%(where)s办理") % {
        "matter": localized(matter, "name"),
        "reason": localized(entry, "reason"),
        "where": localized(entry, "handled_at"),
    }
    raise ValidationFailed(message, errors=[FieldError(field="matter", message=message)])


def matter_has_own_slots(matter: Matter | None) -> bool:
    """Whether appointments for ``matter`` use slots of their own rather than the section's."""
    if matter is None:
        return False
    params = matter.process_params if isinstance(matter.process_params, dict) else {}
    return any(params.get(name) for name in OWN_SLOT_PARAMS)


def slot_matter_q(matter_id: int | None) -> Q:
    """Slots of the matter ``matter_id``, or the section's own slots (no matter) for None."""
    return Q(matter_id=matter_id) if matter_id is not None else Q(matter__isnull=True)


def median_minutes(durations: Iterable[timedelta]) -> float | None:
    """The median of ``durations`` in minutes (None when there are none)."""
    values = [d.total_seconds() / 60 for d in durations]
    return statistics.median(values) if values else None
