"""Payment providers by name: ``payment_provider()`` is the one settings.PAYMENT_PROVIDER names.

A district plugs in its gateway by naming a class in ``PAYMENT_PROVIDER_CLASSES``
(``name=dotted.path``, comma separated) or by calling ``provider_register`` from its
app's ``ready()``; the class is built without arguments and reads its own settings.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

from tongban.payments.providers.base import (
    CallbackData,
    CallbackRefused,
    PaymentOpened,
    PaymentProvider,
    PaymentState,
    ProviderRecord,
    ProviderRefused,
    ProviderUnavailable,
    RefundDone,
)

__all__ = [
    "CallbackData",
    "CallbackRefused",
    "PaymentOpened",
    "PaymentProvider",
    "PaymentState",
    "ProviderRecord",
    "ProviderRefused",
    "ProviderUnavailable",
    "RefundDone",
    "payment_provider",
    "provider_get",
    "provider_names",
    "provider_register",
]

#: Built-in providers; the class path is imported only when the provider is used.
_REGISTRY: dict[str, str | Callable[[], PaymentProvider]] = {
    "sandbox": "tongban.payments.providers.sandbox.SandboxProvider",
}


def provider_register(name: str, factory: str | Callable[[], PaymentProvider]) -> None:
    """Make a provider available under ``name`` (a dotted class path or a factory)."""
    _REGISTRY[name] = factory


def _configured() -> dict[str, str | Callable[[], PaymentProvider]]:
    extra: dict[str, str | Callable[[], PaymentProvider]] = {}
    for item in getattr(settings, "PAYMENT_PROVIDER_CLASSES", []):
        name, _sep, path = item.partition("=")
        if name.strip() and path.strip():
            extra[name.strip()] = path.strip()
    return {**_REGISTRY, **extra}


def provider_names() -> list[str]:
    return sorted(_configured())


def provider_get(name: str) -> PaymentProvider | None:
    """The provider registered under ``name``, or None when there is none."""
    factory = _configured().get(name)
    if factory is None:
        return None
    if isinstance(factory, str):
        factory = import_string(factory)
    provider: PaymentProvider = factory()
    return provider


def payment_provider() -> PaymentProvider:
    """The provider named by settings.PAYMENT_PROVIDER (a bad name is a configuration error)."""
    from django.core.exceptions import ImproperlyConfigured

    provider = provider_get(settings.PAYMENT_PROVIDER)
    if provider is None:
        raise ImproperlyConfigured(
            f"PAYMENT_PROVIDER={settings.PAYMENT_PROVIDER!r} is not one of {provider_names()}"
        )
    return provider
