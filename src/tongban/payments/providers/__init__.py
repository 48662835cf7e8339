"""Payment providers by code: ``payment_provider()`` is the one settings.PAYMENT_PROVIDER names.

The interface and the registry are in ``base``; providers live outside this package and
register themselves (the sandbox's in ``tongban.sandbox.payments``, a district's in a module
listed in ``settings.TONGBAN_PLUGINS``).
"""

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
    payment_provider,
    payment_providers,
    provider_get,
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
    "payment_providers",
    "provider_get",
]
