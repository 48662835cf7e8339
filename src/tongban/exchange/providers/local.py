"""``local``: registry tables in this database (population, legal entities, real estate …)."""

from __future__ import annotations

from typing import Any

from tongban.exchange.models import DataResource, RegistryRecord
from tongban.exchange.providers import data_providers


@data_providers.register("local")
class LocalProvider:
    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        # (resource, subject) is unique: at most one row, no ordering needed.
        found = list(
            RegistryRecord.objects.filter(resource_id=resource.pk, subject=subject).values_list(
                "data", flat=True
            )[:1]
        )
        return dict(found[0]) if found and isinstance(found[0], dict) else None

    def has_record(self, *, resource: DataResource, subject: str) -> bool:
        """Whether the registry holds a record about ``subject`` (nothing of it is read)."""
        return RegistryRecord.objects.filter(resource_id=resource.pk, subject=subject).exists()
