"""Provider adapters: how the exchange reaches the department that holds a resource.

A district plugs in its own provider with ``provider_register("key", factory)``
(typically from its app's ``ready()``) and names the key in
``DataResource.adapter``.  Built in: ``local`` (registry tables in this
database), ``elicence`` (the e-licence library) and ``http`` (a department's
REST endpoint, signed, with timeout, retries and a circuit breaker).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import DomainError

if TYPE_CHECKING:
    from tongban.exchange.models import DataResource


class ProviderUnavailable(DomainError):
    """The provider did not answer usably (down, slow, error, garbage, circuit open)."""

    status = 503
    type_slug = "provider-unavailable"
    default_title = "数据提供方不可用"


class Provider(Protocol):
    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        """The record about ``subject`` (field code → value), or None when there is none."""
        ...


ProviderFactory = Callable[[], Provider]

# Code, not data: the table of adapter classes, filled at import time by each app.
_FACTORIES: dict[str, ProviderFactory] = {}


def provider_register(key: str, factory: ProviderFactory) -> None:
    """Make ``factory`` the provider of every resource whose ``adapter`` is ``key``."""
    _FACTORIES[key] = factory


def provider_keys() -> list[str]:
    """The registered adapter keys, sorted."""
    return sorted(_FACTORIES)


def provider_for(resource: DataResource) -> Provider:
    """The provider of ``resource``; ProviderUnavailable when its adapter is not registered."""
    factory = _FACTORIES.get(resource.adapter)
    if factory is None:
        raise ProviderUnavailable(
            _("数据提供方未配置（接入方式 %(adapter)s）") % {"adapter": resource.adapter}
        )
    return factory()


def _register_builtins() -> None:
    from tongban.exchange.providers.elicence import ELicenceProvider
    from tongban.exchange.providers.http import HttpProvider
    from tongban.exchange.providers.local import LocalProvider

    provider_register("local", LocalProvider)
    provider_register("elicence", ELicenceProvider)
    provider_register("http", HttpProvider)


_register_builtins()
