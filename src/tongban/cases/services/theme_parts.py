"""The parts of a theme application: its matters, its children, their forms, and submitting one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tongban.cases.choices import (
    CaseStatus,
    MaterialStatus,
)
from tongban.cases.models import Case
from tongban.cases.rules import (
    case_guide,
)
from tongban.cases.services.matter import (
    matter_case_submit,
)
from tongban.catalog.models import Theme, ThemeMatter, localized
from tongban.core.errors import FieldError, ValidationFailed
from tongban.identity.models import User

#: Statuses of a child that has ended well (its result is, or will be, issued).
SUCCESS_STATUSES = frozenset({CaseStatus.ISSUED, CaseStatus.COMPLETED})
#: Statuses of a child that has ended without a result.
FAILURE_STATUSES = frozenset({CaseStatus.REJECTED, CaseStatus.DENIED, CaseStatus.WITHDRAWN})
#: Material statuses that count as provided on the parent and are copied to the children.
PROVIDED_STATUSES = frozenset(
    {MaterialStatus.PROVIDED, MaterialStatus.VERIFIED, MaterialStatus.DEFERRED}
)
#: Fields of the parent's material copied to a child's (the same stored file).
COPIED_FIELDS = (
    "file",
    "content_type",
    "size",
    "sha256",
    "original_name",
    "uploaded_at",
    "status",
    "origin",
    "deferred_until",
    "review_note",
)


# --- helpers ---------------------------------------------------------------------------------


def theme_links(theme: Theme) -> list[ThemeMatter]:
    """The theme's matters in their order, with their departments."""
    return list(
        theme.theme_matters.select_related("matter", "matter__department").order_by("order", "id")
    )


def child_matter_name(case: Case) -> str:
    """The name of a child's matter in the active language."""
    return localized(case.matter, "name") if case.matter is not None else str(case)


def theme_children(parent: Case) -> list[Case]:
    """The children of a theme parent, by stage."""
    return list(
        Case.objects.filter(parent=parent)
        .select_related("matter", "matter_version", "department")
        .order_by("stage", "id")
    )


def child_form(form: Mapping[str, Any], child: Case) -> dict[str, Any]:
    """The fields of the one form that a child's own matter asks for."""
    schema = case_guide(child).get("form_schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    return {name: value for name, value in form.items() if name in properties}


def child_submit(
    child: Case, actor: User, now: datetime, commitment: Mapping[str, Any] | None
) -> None:
    """Submit one child of a theme; its errors name its matter."""
    try:
        matter_case_submit(child, actor, now, None, commitment)
    except ValidationFailed as exc:
        name = child_matter_name(child)
        raise ValidationFailed(
            f"{name}：{exc.detail}",
            errors=[FieldError(field=e.field, message=f"{name}：{e.message}") for e in exc.errors],
        ) from exc
