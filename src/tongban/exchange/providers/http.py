"""``http``: a department's REST endpoint, called with a signed request.

The request is ``POST <adapter_config["url"]>`` with the JSON body
``{"resource", "subject", "nonce", "timestamp"}`` and the headers
``X-Tongban-Key-Id`` and ``X-Tongban-Signature`` (HMAC-SHA256 of the exact body
bytes, hex, with ``settings.EXCHANGE_HTTP_SECRET``).  The answer must be a JSON
object ``{"record": {...} | null}``.

A slow or failing department must not take the platform down with it: each
attempt has a timeout, timeouts / connection errors / 5xx are retried twice
with a short backoff, and after three failed queries in a row the circuit opens
for 30 seconds (state in ProviderCircuit, shared by every process), during
which queries fail at once without calling the department.  The first success
closes the circuit again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.exchange.models import DataResource, ProviderCircuit
from tongban.exchange.providers import ProviderUnavailable, data_providers

logger = logging.getLogger(__name__)

#: Failed queries in a row after which the circuit opens.
CIRCUIT_FAILURES = 3
#: Seconds an open circuit stays open.
CIRCUIT_OPEN_SECONDS = 30.0
DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 2
#: Seconds before the first retry; doubled for each further one.
BACKOFF_SECONDS = 0.1

SIGNATURE_HEADER = "X-Tongban-Signature"
KEY_ID_HEADER = "X-Tongban-Key-Id"


def request_sign(body: bytes, secret: str) -> str:
    """HMAC-SHA256 of ``body`` with ``secret``, hex: the X-Tongban-Signature header."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix (timeout, refused, 5xx)."""


def _unavailable() -> ProviderUnavailable:
    return ProviderUnavailable(_("数据提供方暂不可用"))


def _garbage() -> ProviderUnavailable:
    return ProviderUnavailable(_("数据提供方返回了无法识别的数据"))


# --- circuit breaker -----------------------------------------------------------------------


def circuit_check(*, resource_code: str) -> None:
    """Fail fast (ProviderUnavailable, nothing called) while the circuit is open."""
    open_until = (
        ProviderCircuit.objects.filter(resource_code=resource_code)
        .values_list("open_until", flat=True)
        .first()
    )
    if open_until is not None and open_until > timezone.now():
        raise _unavailable()


def circuit_success(*, resource_code: str) -> None:
    ProviderCircuit.objects.filter(resource_code=resource_code).exclude(
        failures=0, open_until__isnull=True
    ).update(failures=0, open_until=None, last_error="")


def circuit_failure(*, resource_code: str, error: str, open_seconds: float) -> None:
    ProviderCircuit.objects.get_or_create(resource_code=resource_code)
    # F(): concurrent failures in several processes all count.
    ProviderCircuit.objects.filter(resource_code=resource_code).update(
        failures=F("failures") + 1, last_error=error[:300]
    )
    ProviderCircuit.objects.filter(
        resource_code=resource_code, failures__gte=CIRCUIT_FAILURES
    ).update(open_until=timezone.now() + dt.timedelta(seconds=open_seconds))


# --- the provider --------------------------------------------------------------------------


def _number(config: dict[str, Any], key: str, default: float) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return default
    return float(value)


@data_providers.register("http")
class HttpProvider:
    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        config = resource.adapter_config or {}
        url = config.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ProviderUnavailable(_("数据资源未配置有效的接口地址"))
        secret = settings.EXCHANGE_HTTP_SECRET
        if not secret:
            raise ProviderUnavailable(_("未配置数据共享接口的签名密钥"))
        key_id = str(config.get("key_id") or settings.EXCHANGE_HTTP_KEY_ID)
        timeout = _number(config, "timeout", DEFAULT_TIMEOUT)
        retries = int(_number(config, "retries", DEFAULT_RETRIES))
        open_seconds = _number(config, "circuit_open_seconds", CIRCUIT_OPEN_SECONDS)

        circuit_check(resource_code=resource.code)
        error = ""
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            try:
                answer = self._call(
                    url=url,
                    resource_code=resource.code,
                    subject=subject,
                    key_id=key_id,
                    secret=secret,
                    timeout=timeout,
                )
            except _Retryable as exc:
                error = str(exc)
                continue
            except ProviderUnavailable as exc:
                circuit_failure(
                    resource_code=resource.code, error=str(exc.detail), open_seconds=open_seconds
                )
                raise
            circuit_success(resource_code=resource.code)
            return answer
        logger.warning("HTTP provider of %s failed: %s", resource.code, error)
        circuit_failure(resource_code=resource.code, error=error, open_seconds=open_seconds)
        raise _unavailable()

    def _call(
        self,
        *,
        url: str,
        resource_code: str,
        subject: str,
        key_id: str,
        secret: str,
        timeout: float,
    ) -> dict[str, Any] | None:
        body = json.dumps(
            {
                "resource": resource_code,
                "subject": subject,
                "nonce": secrets.token_hex(16),
                "timestamp": int(time.time()),
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310  (the scheme is checked above)
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                KEY_ID_HEADER: key_id,
                SIGNATURE_HEADER: request_sign(body, secret),
            },
        )
        # Departments are reached directly on the government network, never via an
        # environment proxy that would see the subjects' numbers.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=timeout) as response:
                raw = response.read(1024 * 1024 + 1)
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise _Retryable(f"HTTP {exc.code}") from exc
            raise ProviderUnavailable(
                _("数据提供方拒绝了请求（HTTP %(code)s）") % {"code": exc.code}
            ) from exc
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        if len(raw) > 1024 * 1024:
            raise _garbage()
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _garbage() from None
        if not isinstance(payload, dict) or "record" not in payload:
            raise _garbage()
        record = payload["record"]
        if record is None:
            return None
        if not isinstance(record, dict):
            raise _garbage()
        return record
