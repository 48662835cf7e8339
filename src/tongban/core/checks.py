"""Start-up checks: a production start refuses unsafe configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from tongban.core import production


@register(Tags.security, deploy=True)
def production_safety(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production, the default secret and the demo accounts are fatal."""
    if not settings.PRODUCTION:
        return []
    try:
        problems = production.production_problems()
    except DatabaseError:
        return []
    return [Error(p, id="tongban.E001") for p in problems]
