"""What both dashboards (portal's public one, workbench's internal one) hand to dashboard.js.

The page apps are siblings that never import each other; the chart spec and the "as of" label
they share live here, beside the selectors whose figures they show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from tongban.workflow.calendar import SHANGHAI


def chart(
    kind: str,
    categories: list[str],
    series: list[dict[str, Any]],
    unit: str = "count",
    **extra: Any,
) -> dict[str, Any]:
    """One chart spec for static/portal/js/dashboard.js (see the comment at its top)."""
    return {"type": kind, "categories": categories, "series": series, "unit": unit, **extra}


def as_of_label(value: Any) -> str:
    """The overview's ``as_of`` (datetime or ISO text) as Shanghai local time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(SHANGHAI)
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value or "")
