"""Departments, sections, certificate types and search synonyms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tongban.catalog.models import (
    CertificateType,
    Department,
    SearchSynonym,
    Section,
)
from tongban.catalog.search import (
    split_keywords,
)
from tongban.catalog.services.common import simple_upsert
from tongban.catalog.services.matters import matter_search_text_refresh
from tongban.core.errors import FieldError, ValidationFailed

# --- departments, sections, certificate types, synonyms ---------------------------------


@transaction.atomic
def department_upsert(
    *, code: str, fields: Mapping[str, Any] | None = None, **values: Any
) -> Department:
    """Create or update a department by code."""
    before = Department.objects.filter(code=code).values_list("order", flat=True).first()
    department = simple_upsert(
        Department, {"code": code}, {**(fields or {}), **values}, label=_("部门")
    )
    if before is not None and before != department.order:
        # Search ranks ties by department order, copied into the index.
        for matter in department.matters.select_related("department"):
            matter_search_text_refresh(matter=matter)
    return department


@transaction.atomic
def section_upsert(*, code: str, fields: Mapping[str, Any] | None = None, **values: Any) -> Section:
    """Create or update a center section by code."""
    return simple_upsert(Section, {"code": code}, {**(fields or {}), **values}, label=_("板块"))


@transaction.atomic
def certificate_type_upsert(
    *, code: str, fields: Mapping[str, Any] | None = None, **values: Any
) -> CertificateType:
    """Create or update a certificate type by code; ``department`` is a department code."""
    return simple_upsert(
        CertificateType,
        {"code": code},
        {**(fields or {}), **values},
        foreign={"department": (Department, _("部门"))},
        label=_("证照类型"),
    )


@transaction.atomic
def synonym_upsert(*, term: str, expansions: str | Iterable[str]) -> SearchSynonym:
    """Map a word citizens use to the catalogue's words (space-separated)."""
    words = split_keywords(expansions) if isinstance(expansions, str) else list(expansions)
    errors = []
    if not term.strip():
        errors.append(FieldError(field="term", message=_("用语不能为空")))
    if not words:
        errors.append(FieldError(field="expansions", message=_("至少需要一个对应词")))
    if errors:
        raise ValidationFailed(_("搜索同义词有误"), errors=errors)
    return simple_upsert(
        SearchSynonym,
        {"term": term.strip()},
        {"expansions": " ".join(words)},
        label=_("搜索同义词"),
    )
