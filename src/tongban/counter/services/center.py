"""The center's set-up as an import sees it: sections' hours, windows, staffing, the negative list.

The admin edits the same tables through its forms; these upserts serve data
files (the demo district, a district's own import) and check what a form would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongban.catalog.models import Matter, Section
from tongban.core.errors import FieldError, ValidationFailed
from tongban.counter.models import CenterSection, NegativeListEntry, Window, WindowAssignment
from tongban.identity.models import User

CENTER_SECTION_FIELDS = (
    "letter",
    "opens_at",
    "closes_at",
    "break_start",
    "break_end",
    "slot_minutes",
    "slot_capacity",
    "default_service_minutes",
    "is_open",
)
WINDOW_FIELDS = ("name", "name_en", "kind", "is_active", "order")
NEGATIVE_LIST_FIELDS = ("reason", "reason_en", "handled_at", "handled_at_en")


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _unknown(values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise _refuse(unknown[0], _("未知的字段：%(names)s") % {"names": ", ".join(unknown)})


def _checked_save(obj: CenterSection | Window | NegativeListEntry) -> None:
    try:
        obj.full_clean()
    except DjangoValidationError as exc:
        errors = [
            FieldError(field=field, message=str(message))
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        raise ValidationFailed(_("服务中心设置有误"), errors=errors) from exc
    obj.save()


@transaction.atomic
def center_section_upsert(*, section_code: str, fields: Mapping[str, Any]) -> CenterSection:
    """Create or update how the center runs a section: queue letter, hours, slots."""
    _unknown(fields, CENTER_SECTION_FIELDS)
    section = Section.objects.filter(code=section_code).first()
    if section is None:
        raise _refuse("section", _("板块不存在：%(code)s") % {"code": section_code})
    center = CenterSection.objects.filter(section=section).first() or CenterSection(section=section)
    for name, value in fields.items():
        if name in {"opens_at", "closes_at", "break_start", "break_end"} and isinstance(value, str):
            value = time.fromisoformat(value) if value else None
        setattr(center, name, value)
    center.letter = (center.letter or "").upper()
    if not center.letter.isascii() or not center.letter.isalpha():
        raise _refuse("letter", _("号段字母应为一个英文字母"))
    if not center.opens_at < center.closes_at:
        raise _refuse("closes_at", _("结束办公时间应晚于开始办公时间"))
    if (center.break_start is None) != (center.break_end is None) or (
        center.break_start is not None
        and center.break_end is not None
        and not center.opens_at < center.break_start < center.break_end < center.closes_at
    ):
        raise _refuse("break_start", _("午休应在办公时间之内，且开始早于结束"))
    if center.slot_minutes < 5 or center.slot_capacity < 1:
        raise _refuse("slot_minutes", _("预约时段至少 5 分钟，每时段至少可约 1 人"))
    _checked_save(center)
    return center


@transaction.atomic
def window_upsert(
    *, code: str, section_code: str, fields: Mapping[str, Any], matters: list[str] | None = None
) -> Window:
    """Create or update a window of a section; ``matters`` (codes) limits what it takes."""
    _unknown(fields, WINDOW_FIELDS)
    section = Section.objects.filter(code=section_code).first()
    if section is None:
        raise _refuse("section", _("板块不存在：%(code)s") % {"code": section_code})
    window = Window.objects.filter(code=code).first() or Window(code=code)
    window.section = section
    for name, value in fields.items():
        setattr(window, name, value)
    _checked_save(window)
    if matters is not None:
        found = list(Matter.objects.filter(code__in=matters, section=section))
        missing = sorted(set(matters) - {m.code for m in found})
        if missing:
            raise _refuse(
                "matters",
                _("这些事项不属于该板块：%(codes)s") % {"codes": ", ".join(missing)},
            )
        window.matters.set(found)
    return window


@transaction.atomic
def window_assignment_ensure(
    *, window_code: str, clerk: User, day: date | None = None
) -> WindowAssignment:
    """``clerk`` staffs the window on ``day`` (every working day when None); idempotent."""
    window = Window.objects.filter(code=window_code).first()
    if window is None:
        raise _refuse("window", _("窗口不存在：%(code)s") % {"code": window_code})
    assignment, _created = WindowAssignment.objects.get_or_create(
        window=window, clerk=clerk, date=day
    )
    return assignment


@transaction.atomic
def negative_list_upsert(*, matter_code: str, fields: Mapping[str, Any]) -> NegativeListEntry:
    """Put a matter on the negative list (不进驻中心) with its reason and where it is handled."""
    _unknown(fields, NEGATIVE_LIST_FIELDS)
    matter = Matter.objects.filter(code=matter_code).first()
    if matter is None:
        raise _refuse("matter", _("事项不存在：%(code)s") % {"code": matter_code})
    entry = NegativeListEntry.objects.filter(matter=matter).first() or NegativeListEntry(
        matter=matter
    )
    for name, value in fields.items():
        setattr(entry, name, value)
    _checked_save(entry)
    return entry
