"""Helpers for reading the JSON Schema application forms of matters and themes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

# A JSON-Schema annotation next to "title": the field's English title.
TITLE_EN = "x-title-en"


def schema_field_title(prop: Any, fallback: str = "") -> str:
    """A form field's title in the active language: ``x-title-en`` under English, else ``title``."""
    if not isinstance(prop, dict):
        return fallback
    if (get_language() or "").startswith("en"):
        english = prop.get(TITLE_EN)
        if isinstance(english, str) and english:
            return english
    title = prop.get("title")
    if isinstance(title, str) and title:
        return title
    return fallback
