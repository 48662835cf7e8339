"""Catalogue operations: validate and write departments, matters, themes; publish versions.

Every upsert takes plain values (codes instead of objects) so the demo loader,
the admin import and tests share one path; it checks everything first and
writes nothing when any value is wrong.
"""

from __future__ import annotations

from tongban.catalog.services.common import (
    form_field_order,
    form_schema_check,
    form_schema_ordered,
)
from tongban.catalog.services.matters import (
    matter_guide_snapshot,
    matter_publish,
    matter_publish_if_changed,
    matter_search_text_refresh,
    matter_upsert,
    matter_validate,
    search_index_rebuild,
)
from tongban.catalog.services.organisation import (
    certificate_type_upsert,
    department_upsert,
    section_upsert,
    synonym_upsert,
)
from tongban.catalog.services.themes import theme_form_schema, theme_upsert

__all__ = [
    "certificate_type_upsert",
    "department_upsert",
    "form_field_order",
    "form_schema_check",
    "form_schema_ordered",
    "matter_guide_snapshot",
    "matter_publish",
    "matter_publish_if_changed",
    "matter_search_text_refresh",
    "matter_upsert",
    "matter_validate",
    "search_index_rebuild",
    "section_upsert",
    "synonym_upsert",
    "theme_form_schema",
    "theme_upsert",
]
