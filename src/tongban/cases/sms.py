"""SMS providers (短信服务): a small interface a district plugs its own gateway into.

``settings.SMS_PROVIDER`` names the provider class by dotted path; it is built with no
arguments (read credentials from settings/the environment in ``__init__``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider could not take the message; the send task retries it."""


@runtime_checkable
class SmsProvider(Protocol):
    def send(self, *, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the provider's message id or raise SmsError."""
        ...


class LogSmsProvider:
    """Development provider: writes the message to the log instead of sending it."""

    def send(self, *, phone: str, text: str) -> str:
        message_id = f"log-{uuid.uuid4().hex[:16]}"
        logger.info("SMS to %s (%s): %s", phone, message_id, text)
        return message_id


class OutboxOnlySmsProvider:
    """No gateway: the message stays readable in the notification outbox only."""

    def send(self, *, phone: str, text: str) -> str:
        return f"outbox-{uuid.uuid4().hex[:16]}"


def sms_provider() -> SmsProvider:
    """The configured provider (settings.SMS_PROVIDER)."""
    path = settings.SMS_PROVIDER
    try:
        provider_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SMS_PROVIDER {path!r} cannot be imported: {exc}") from exc
    provider = provider_class()
    if not isinstance(provider, SmsProvider):
        raise ImproperlyConfigured(f"SMS_PROVIDER {path!r} has no send(*, phone, text) method")
    return provider
