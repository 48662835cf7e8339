"""Start-up checks: a production start refuses unsafe configuration.

Registered as an ordinary (not only ``--deploy``) check, so every entry point that runs
Django's system checks refuses to start in production with the default secret or the demo
accounts: ``serve`` (which also says why), ``worker``, ``migrate``, ``simulate``, ``demo``,
``stats rebuild`` … Before the first migration the accounts cannot be looked up, and only the
secret counts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from tongban.core import production


@register(Tags.security)
def production_safety(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production, the default secret and the demo accounts are fatal."""
    if not settings.PRODUCTION:
        return []
    problems = production.production_problems()
    return [Error(p, id="tongban.E001") for p in problems]
