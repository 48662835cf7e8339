"""Display helpers of the workbench templates."""

from __future__ import annotations

from django import template

from tongban.cases.choices import TimelineAction

register = template.Library()


@register.filter
def absolute(value: int | None) -> int | None:
    """``{{ -3|absolute }}`` → 3 (days overdue are shown as a positive count)."""
    return None if value is None else abs(value)


@register.filter
def get(mapping: dict[str, str] | None, key: str) -> str:
    """``{{ field_errors|get:"days" }}``: a service's message for one field, or ""."""
    return (mapping or {}).get(key, "")


@register.filter
def action_label(action: str, step: str = "") -> str:
    """The Chinese name of a timeline action, else the step it was recorded under."""
    if action in TimelineAction.values:
        return str(TimelineAction(action).label)
    return step or action
