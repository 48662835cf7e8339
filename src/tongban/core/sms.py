"""SMS providers (短信服务): a small interface a district plugs its own gateway into.

A provider registers itself with ``@sms_providers.register("code")`` in a module listed
in ``settings.TONGBAN_PLUGINS`` and is built without arguments (it reads its credentials
from settings/the environment in ``__init__``); ``settings.SMS_PROVIDER`` names the code.
Built in: ``log`` (development: the message goes to the log) and ``outbox`` (no gateway:
the message stays readable in the notification outbox only).

The interface lives in ``core`` (it was ``tongban.cases.sms``) because both the case
notification outbox (``cases``) and the one-time codes of sign-up and password reset
(``identity``, below ``cases``) send through it; the outbox itself stays in ``cases``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from tongban.core.plugins import PluginError, Registry

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider could not take the message; the send task retries it."""


@runtime_checkable
class SmsProvider(Protocol):
    def send(self, *, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the provider's message id or raise SmsError."""
        ...


sms_providers = Registry[SmsProvider](
    name="SMS provider", label="短信服务", setting="SMS_PROVIDER", protocol=SmsProvider
)


@sms_providers.register("log")
class LogSmsProvider:
    """Development provider: writes the message to the log instead of sending it."""

    def send(self, *, phone: str, text: str) -> str:
        message_id = f"log-{uuid.uuid4().hex[:16]}"
        logger.info("SMS to %s (%s): %s", phone, message_id, text)
        return message_id


@sms_providers.register("outbox")
class OutboxOnlySmsProvider:
    """No gateway: the message stays readable in the notification outbox only."""

    def send(self, *, phone: str, text: str) -> str:
        return f"outbox-{uuid.uuid4().hex[:16]}"


#: The module's old dotted path: a SMS_PROVIDER set to a class path under it keeps working.
_MOVED_FROM = "tongban.cases.sms."


def sms_provider() -> SmsProvider:
    """The provider settings.SMS_PROVIDER names (a code; a dotted class path is still accepted)."""
    name = str(settings.SMS_PROVIDER)
    if name in sms_providers or "." not in name:
        return sms_providers.configured()
    # Before the registry, SMS_PROVIDER was a dotted class path; such settings keep working.
    if name.startswith(_MOVED_FROM):
        name = f"{__name__}.{name.removeprefix(_MOVED_FROM)}"
    try:
        provider_class = import_string(name)
    except ImportError as exc:
        raise PluginError(f"SMS_PROVIDER {name!r} cannot be imported: {exc}") from exc
    provider = provider_class()
    if not isinstance(provider, SmsProvider):
        raise PluginError(f"SMS_PROVIDER {name!r} has no send(*, phone, text) method")
    return provider
