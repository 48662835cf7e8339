"""API shapes of the catalogue: summaries for lists, the whole guide for one matter."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class RefOut(Schema):
    code: str
    name: str
    name_en: str = ""


class DepartmentOut(Schema):
    code: str
    name: str
    name_en: str
    short_name: str
    in_center: bool
    matter_count: int


class SectionOut(Schema):
    code: str
    name: str
    name_en: str
    description: str
    description_en: str
    matter_count: int


class MatterSummaryOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    audience: str
    department: RefOut
    section: RefOut
    summary: str
    online_depth: str
    max_visits: int
    legal_limit_days: int
    promised_limit_days: int
    commitment_eligible: bool


class ThemeHitOut(Schema):
    """A theme (一件事) found by a search; its guide is /api/v1/catalog/themes/{code}."""

    code: str
    name: str
    name_en: str
    summary: str
    summary_en: str
    audience: str
    section: RefOut
    promised_limit_days: int
    max_visits: int


class SearchSuggestionsOut(Schema):
    """What to try when a search finds nothing: the sections and the most asked services."""

    sections: list[RefOut]
    matters: list[MatterSummaryOut]


class MatterPageOut(Schema):
    items: list[MatterSummaryOut]
    total: int
    page: int
    pages: int
    page_size: int
    query: str
    #: Themes matching the query, best first, ranked before the matters (page 1 only).
    themes: list[ThemeHitOut] = []
    #: Filled only when the query found neither a matter nor a theme.
    suggestions: SearchSuggestionsOut | None = None


class GuideMaterialOut(Schema):
    code: str
    name: str
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    required: bool
    key: bool
    copies: int
    form: str
    source: str
    #: Code of the data resource that supplies this material, or null.
    shared_resource: str | None = None
    order: int = 0


class MatterGuideOut(Schema):
    code: str
    version: int
    name: str
    name_en: str = ""
    kind: str
    audience: str
    department: RefOut
    section: RefOut
    summary: str = ""
    summary_en: str = ""
    legal_basis: str = ""
    legal_basis_en: str = ""
    conditions: str = ""
    conditions_en: str = ""
    materials: list[GuideMaterialOut]
    legal_limit_days: int
    promised_limit_days: int
    max_visits: int
    online_depth: str
    channels: list[str]
    #: Fee in yuan as a decimal string ("0.00" = free of charge).
    fee: str
    fee_basis: str = ""
    fee_basis_en: str = ""
    form_schema: dict[str, Any]
    process: str = ""
    certificate_type: RefOut | None = None
    commitment_eligible: bool = False
    keywords: str = ""
    window_address: str = ""
    window_address_en: str = ""
    consult_phone: str = ""
    published_at: str | None = None


class ThemeMatterOut(Schema):
    code: str
    name: str
    name_en: str
    department: RefOut
    order: int
    stage: int
    promised_limit_days: int
    online_depth: str


class ThemeOut(Schema):
    code: str
    name: str
    name_en: str
    summary: str
    summary_en: str
    audience: str
    section: RefOut
    promised_limit_days: int
    max_visits: int
    combined_certificate_type: RefOut | None = None
    matters: list[ThemeMatterOut]


class ThemeDetailOut(ThemeOut):
    form_schema: dict[str, Any]
