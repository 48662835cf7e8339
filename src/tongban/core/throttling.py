"""Request throttles whose rate is a setting, read at each request (tests and admins may change it).

Counts live in Django's cache: per process with the default local-memory cache, shared
by every web process when ``CACHE_BACKEND`` names a shared cache.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from tongban.core.clientip import client_ip


class SettingRateThrottle(SimpleRateThrottle):
    """Throttle by client address at the rate named by the setting ``setting`` ("20/m")."""

    def __init__(self, *, scope: str, setting: str) -> None:
        self.scope = scope
        self.setting = setting
        self.rate = None
        self.num_requests, self.duration = None, None

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = str(getattr(settings, self.setting))
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_ident(self, request: HttpRequest) -> str:
        # ninja's own rule trusts any X-Forwarded-For: a client could dodge the throttle.
        return client_ip(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
