"""Display helpers of the workbench templates."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.filter
def absolute(value: int | None) -> int | None:
    """``{{ -3|absolute }}`` → 3 (days overdue are shown as a positive count)."""
    return None if value is None else abs(value)


@register.filter
def get(mapping: dict[str, str] | None, key: str) -> str:
    """``{{ field_errors|get:"days" }}``: a service's message for one field, or ""."""
    return (mapping or {}).get(key, "")


#: What each timeline action code means, for the staff's view of the process.
ACTION_LABELS = {
    "created": _("创建"),
    "submitted": _("提交申请"),
    "accepted": _("受理"),
    "deemed_accepted": _("逾期视为受理"),
    "rejected": _("不予受理"),
    "supplement_requested": _("一次性告知补正"),
    "supplement_answered": _("申请人补正"),
    "review_pass": _("审查通过"),
    "review_fail": _("审查不通过"),
    "approved": _("准予许可"),
    "denied": _("不予许可"),
    "completed": _("办结"),
    "extended": _("延期"),
    "withdrawn": _("申请人撤回"),
}


@register.filter
def action_label(action: str, step: str = "") -> str:
    """The Chinese name of a timeline action, else the step it was recorded under."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else (step or action)
