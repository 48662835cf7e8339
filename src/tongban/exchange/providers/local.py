"""``local``: registry tables in this database (population, legal entities, real estate …)."""

from __future__ import annotations

from typing import Any

from tongban.core.prepared import Param, PreparedRows
from tongban.exchange.models import DataResource, RegistryRecord
from tongban.exchange.providers import data_providers


@data_providers.register("local")
class LocalProvider:
    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        # (resource, subject) is unique: at most one row, no ordering needed.
        found = [data for (data,) in _RECORD_DATA.all(resource=resource.pk, subject=subject)]
        return dict(found[0]) if found and isinstance(found[0], dict) else None

    def has_record(self, *, resource: DataResource, subject: str) -> bool:
        """Whether the registry holds a record about ``subject`` (nothing of it is read)."""
        return RegistryRecord.objects.filter(resource_id=resource.pk, subject=subject).exists()


#: Every shared material is one look-up: compiled once (core/prepared.py).
_RECORD_DATA = PreparedRows(
    lambda: RegistryRecord.objects.filter(
        resource_id=Param("resource", DataResource._meta.pk), subject=Param("subject")
    ).values_list("data")[:1]
)
