"""The Content-Security-Policy header, built once per process when nothing varies per response.

django-csp rebuilds the policy string from ``settings.CONTENT_SECURITY_POLICY`` for every
response (twice: the policy and the report-only policy), about as costly as a cached guide's
whole view. Almost every response carries exactly that policy: no nonce was asked for and no
view changed it (``csp_update`` / ``csp_replace`` / ``csp_exempt``, or ``_csp_*`` set on the
response as core/files.py does). For those the header is the same string every time, so it is
built once per process and set with the same rules as django-csp's own ``process_response``;
everything else goes through django-csp unchanged. A settings change (tests) rebuilds it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

#: Response attributes through which a view changes or drops the policy (django-csp 4).
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


@lru_cache(maxsize=1)
def settings_policies() -> tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]:
    """(policy, excluded URL prefixes) for the header and for the report-only header, as
    django-csp builds them from the settings for a response with no nonce and no override."""
    out = []
    for report_only, name in (
        (False, "CONTENT_SECURITY_POLICY"),
        (True, "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
    ):
        config = getattr(settings, name, None) or {}
        prefixes = tuple(config.get("EXCLUDE_URL_PREFIXES", None) or ())
        out.append((build_policy(report_only=report_only), prefixes))
    return out[0], out[1]


@receiver(setting_changed)
def _policy_settings_changed(*, setting: str, **_: Any) -> None:
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        settings_policies.cache_clear()


class CachedPolicyCSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware with the settings' policy built once (see the module docstring).

    With DEBUG on (its debug pages carry no policy), a nonce or a view's own policy, django-csp
    builds the header as it always does."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        (policy, prefixes), (policy_ro, prefixes_ro) = settings_policies()
        path = request.path_info
        if policy and HEADER not in response and not path.startswith(prefixes):
            response[HEADER] = policy
        if policy_ro and HEADER_REPORT_ONLY not in response and not path.startswith(prefixes_ro):
            response[HEADER_REPORT_ONLY] = policy_ro
        # As django-csp: a nonce asked for after the header is written is an error, not a
        # nonce missing from the policy.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
