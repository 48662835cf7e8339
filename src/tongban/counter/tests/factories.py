"""Factories of the service center: sections with hours, windows with their clerks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tongban.catalog.models import Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.counter.choices import WindowKind
from tongban.counter.models import CenterSection, Window, WindowAssignment
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI

#: Tuesday 15 September 2026: a working day.
WORKDAY = dt.date(2026, 9, 15)


def at(hour: int, minute: int = 0, day: dt.date = WORKDAY) -> dt.datetime:
    """A moment of ``day`` (default the working day above) in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def center_section(code: str, letter: str, **fields: Any) -> CenterSection:
    """A catalogue section run by the center, 09:00–17:00 unless told otherwise."""
    section = section_upsert(code=code, fields={"name": fields.pop("name", code)})
    center, _created = CenterSection.objects.update_or_create(
        section=section, defaults={"letter": letter, **fields}
    )
    return center


def window(
    code: str,
    center: CenterSection,
    *,
    clerk: User | None = None,
    day: dt.date | None = None,
    kind: str = WindowKind.COMPREHENSIVE,
    matters: list[Matter] | None = None,
) -> Window:
    """A window of the section, staffed by ``clerk`` on ``day`` (every working day when None)."""
    made = Window.objects.create(code=code, section=center.section, name=f"{code}号窗口", kind=kind)
    if matters:
        made.matters.set(matters)
    if clerk is not None:
        WindowAssignment.objects.create(window=made, clerk=clerk, date=day)
    return made


def section_matter(
    code: str, center: CenterSection, department: str = "market", **params: Any
) -> Matter:
    """An active matter of ``center``'s section."""
    return matter_upsert(
        code=code,
        fields={
            "name": code,
            "kind": "licence",
            "audience": "both",
            "department": department,
            "section": center.section.code,
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": {"type": "object", "properties": {}},
            "process": "standard_approval",
            "process_params": params,
        },
        materials=[],
    )
