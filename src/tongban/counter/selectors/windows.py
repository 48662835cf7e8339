"""Reads of the center's windows for the public pages: where a matter is taken."""

from __future__ import annotations

from django.db.models import Q

from tongban.catalog.models import Matter
from tongban.counter.choices import WindowKind
from tongban.counter.models import Window


def windows_for_matter(*, matter: Matter) -> list[Window]:
    """The active windows that accept ``matter``: its own, or its section's taking every matter."""
    return list(
        Window.objects.filter(is_active=True, section_id=matter.section_id)
        .exclude(kind=WindowKind.OUTPUT)
        .filter(Q(matters=matter) | Q(matters__isnull=True))
        .distinct()
        .order_by("order", "code")
    )
