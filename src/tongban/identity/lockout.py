"""The sign-in lockout (django-axes) that a stranger cannot turn against a citizen.

Failures are counted per username *and* client address (settings.TRUSTED_PROXIES decides the
address): a stranger elsewhere who types a citizen's username locks out only themselves.  An
address that fails across many usernames (password spraying) is held at a ceiling,
``AXES_IP_FAILURE_LIMIT``.  Both locks end after the cool-off (``AXES_COOLOFF_TIME``); there
is no CAPTCHA.  A successful sign-in clears only that username's failures at that address, so
an attacker cannot reset the ceiling by signing in to an account of their own.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest

#: settings.AXES_LOCKOUT_PARAMETERS, in this order: the pair first, then the address alone.
LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"]]


def _failures(attempts: QuerySet[Any]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        groups = self.get_user_attempts(request, credentials)
        pair = _failures(groups[0]) if groups else 0
        per_address = _failures(groups[1]) if len(groups) > 1 else 0
        if per_address >= int(settings.AXES_IP_FAILURE_LIMIT):
            return max(pair, int(get_failure_limit(request, credentials)))
        return pair

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        groups = self.filter_user_attempts(request, credentials)
        if not groups:
            return 0
        count, _ = groups[0].delete()
        return int(count)
