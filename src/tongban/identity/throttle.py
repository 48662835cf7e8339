"""Throttling of lookups by a guessable secret, per client IP, in the Django cache.

Like the sign-in lockout (django-axes): failures are counted per client address,
and once ``limit`` failures fall within ``cool_off_seconds`` every further try
from that address is refused until the period ends.  With several processes the
cache must be shared (``CACHE_BACKEND``), as the catalogue search cache is.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tongban.core import clientip
from tongban.core.errors import TooManyAttempts


def client_ip(request: HttpRequest) -> str:
    """The client address as the sign-in lockout sees it (settings.TRUSTED_PROXIES)."""
    return clientip.client_ip(request)


@dataclass(frozen=True)
class FailureThrottle:
    """Refuse a client after ``limit`` failures within ``cool_off_seconds``."""

    scope: str
    limit: int
    cool_off_seconds: int

    def _key(self, client: str) -> str:
        digest = hashlib.sha256(client.encode("utf-8", "replace")).hexdigest()[:32]
        return f"throttle:{self.scope}:{digest}"

    def check(self, *, client: str, message: str = "") -> None:
        """Raise TooManyAttempts (429) while ``client`` is over the limit.

        ``message`` (with ``%(minutes)d``) says what was refused; by default a failed query.
        """
        if int(cache.get(self._key(client), 0)) >= self.limit:
            minutes = max(1, math.ceil(self.cool_off_seconds / 60))
            template = message or _("查询失败次数过多，请在 %(minutes)d 分钟后再试")
            raise TooManyAttempts(template % {"minutes": minutes})

    def fail(self, *, client: str) -> None:
        """Count one failure of ``client``; the period starts at its first failure."""
        key = self._key(client)
        if not cache.add(key, 1, self.cool_off_seconds):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, self.cool_off_seconds)


def micro_query_throttle() -> FailureThrottle:
    """微查询: a case by its number and the applicant's ID, guessed at most this often."""
    return FailureThrottle(
        scope="micro-query",
        limit=settings.MICRO_QUERY_FAILURE_LIMIT,
        cool_off_seconds=settings.MICRO_QUERY_COOLOFF_MINUTES * 60,
    )
