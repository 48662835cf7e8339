"""The credit status as a shared data resource: the exchange's "credit" provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tongban.credit.selectors import credit_status
from tongban.exchange.providers import data_providers

if TYPE_CHECKING:
    from tongban.exchange.models import DataResource


@data_providers.register("credit")
class CreditProvider:
    """Answers a data resource with adapter "credit" from this database's credit records."""

    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        status = credit_status(subject=subject)
        if not status.has_records:
            return None
        return {
            "level": status.level,
            "lists": sorted(status.lists),
            "joint_punishment": status.joint_punishment,
            "reasons": status.reasons,
            "legal_bases": status.legal_bases,
        }
