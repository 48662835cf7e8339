"""The data provider interface and its registry.

A data provider answers ``fetch(resource, subject)`` for every resource whose
``DataResource.adapter`` is its code.  A district plugs in its own with
``@data_providers.register("code")`` in a module listed in ``settings.TONGBAN_PLUGINS``
(or from its app's ``ready()``, as credit does).  Built in, registered when
``ExchangeConfig.ready()`` imports them: ``local`` (registry tables in this database),
``elicence`` (the e-licence library) and ``http`` (a department's REST endpoint, signed,
with timeout, retries and a circuit breaker).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import DomainError
from tongban.core.plugins import PluginError, Registry

if TYPE_CHECKING:
    from tongban.exchange.models import DataResource

logger = logging.getLogger(__name__)


class ProviderUnavailable(DomainError):
    """The provider did not answer usably (down, slow, error, garbage, circuit open)."""

    status = 503
    type_slug = "provider-unavailable"
    default_title = "数据提供方不可用"


@runtime_checkable
class Provider(Protocol):
    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        """The record about ``subject`` (field code → value), or None when there is none."""
        ...


data_providers = Registry[Provider](name="data provider", label="数据提供方", protocol=Provider)


def provider_for(resource: DataResource) -> Provider:
    """The provider of ``resource``; ProviderUnavailable when its adapter is not registered."""
    try:
        return data_providers.get(resource.adapter)
    except PluginError as exc:
        # The applicant and the clerk see a 503; the operator finds the known codes in the log.
        logger.error("data resource %s: %s", resource.code, exc)
        raise ProviderUnavailable(
            _("数据提供方未配置（接入方式 %(adapter)s）") % {"adapter": resource.adapter}
        ) from exc
