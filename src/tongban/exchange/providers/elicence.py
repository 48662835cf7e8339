"""``elicence``: the e-licence library (电子证照库) — the holder's valid licence of one type."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.exchange.choices import LicenceStatus
from tongban.exchange.models import DataResource, ELicence
from tongban.exchange.providers import ProviderUnavailable, data_providers


def _valid(licence_type: str, subject: str) -> QuerySet[ELicence]:
    today = timezone.localdate()
    return ELicence.objects.filter(
        licence_type=licence_type,
        holder_subject=subject,
        status=LicenceStatus.VALID,
        issued_on__lte=today,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))


@data_providers.register("elicence")
class ELicenceProvider:
    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        licence_type = (resource.adapter_config or {}).get("licence_type")
        if not isinstance(licence_type, str) or not licence_type:
            raise ProviderUnavailable(_("数据资源未配置证照类型（licence_type）"))
        licence = (
            _valid(licence_type, subject)
            .select_related("issuer")
            .order_by("-issued_on", "-id")
            .first()
        )
        if licence is None:
            return None
        record: dict[str, Any] = dict(licence.data or {})
        record.update(
            {
                "number": licence.number,
                "holder_name": licence.holder_name,
                "issuer": licence.issuer.name,
                "issued_on": licence.issued_on.isoformat(),
                "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
            }
        )
        return record

    def has_record(self, *, resource: DataResource, subject: str) -> bool:
        """Whether ``subject`` holds a valid licence of the resource's type."""
        licence_type = (resource.adapter_config or {}).get("licence_type")
        if not isinstance(licence_type, str) or not licence_type:
            return False
        return _valid(licence_type, subject).exists()
