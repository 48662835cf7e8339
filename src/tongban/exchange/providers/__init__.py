"""Data providers: how the exchange reaches the department that holds a resource.

The interface and the registry are in ``base``; the built-in providers (``local``,
``elicence``, ``http``) register themselves when ``ExchangeConfig.ready()`` imports them.
"""

from tongban.exchange.providers.base import (
    Provider,
    ProviderUnavailable,
    data_providers,
    provider_for,
)

__all__ = ["Provider", "ProviderUnavailable", "data_providers", "provider_for"]
