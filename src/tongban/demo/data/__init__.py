"""The demo district's data: plain dicts, loaded by tongban.demo.loader."""

from __future__ import annotations

from typing import Any

from tongban.demo.data import matters_commerce, matters_construction, matters_social
from tongban.demo.data.organisation import CERTIFICATE_TYPES, DEPARTMENTS, SECTIONS
from tongban.demo.data.people import DEMO_ENTERPRISE_USCC, ENTERPRISES, PEOPLE
from tongban.demo.data.resources import SHARED_RESOURCES
from tongban.demo.data.themes import SYNONYMS, THEMES

MATTERS: list[dict[str, Any]] = [
    *matters_commerce.MATTERS,
    *matters_construction.MATTERS,
    *matters_social.MATTERS,
]

__all__ = [
    "CERTIFICATE_TYPES",
    "DEMO_ENTERPRISE_USCC",
    "DEPARTMENTS",
    "ENTERPRISES",
    "MATTERS",
    "PEOPLE",
    "SECTIONS",
    "SHARED_RESOURCES",
    "SYNONYMS",
    "THEMES",
]
