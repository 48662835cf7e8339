"""Resources, records, grants and licences for the exchange tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tongban.catalog.models import Department
from tongban.exchange.choices import GrantStatus, LicenceSource, ShareType, SubjectKind
from tongban.exchange.models import DataField, DataResource, RegistryRecord, ShareGrant
from tongban.identity.models import User


def resource_make(
    *,
    code: str,
    provider: str,
    share_type: str = ShareType.UNCONDITIONAL,
    fields: list[str] | None = None,
    adapter: str = "local",
    adapter_config: dict[str, Any] | None = None,
    subject_kind: str = SubjectKind.PERSON,
    name: str = "",
) -> DataResource:
    resource = DataResource.objects.create(
        code=code,
        name=name or code,
        provider=Department.objects.get(code=provider),
        share_type=share_type,
        subject_kind=subject_kind,
        adapter=adapter,
        adapter_config=adapter_config or {},
    )
    for order, field_code in enumerate(fields or ["name"]):
        DataField.objects.create(resource=resource, code=field_code, name=field_code, order=order)
    return resource


def record_make(*, resource: DataResource, subject: str, data: dict[str, Any]) -> RegistryRecord:
    return RegistryRecord.objects.create(resource=resource, subject=subject, data=data)


def grant_make(
    *,
    resource: DataResource,
    department: str,
    requested_by: User,
    status: str = GrantStatus.APPROVED,
    matter: Any = None,
    valid_until: dt.date | None = None,
) -> ShareGrant:
    """A grant written straight to the table (the services have their own tests)."""
    return ShareGrant.objects.create(
        resource=resource,
        department=Department.objects.get(code=department),
        matter=matter,
        reason="办件核验需要",
        status=status,
        requested_by=requested_by,
        decided_at=timezone.now() if status != GrantStatus.REQUESTED else None,
        valid_until=valid_until,
    )


LICENCE_DEFAULTS: dict[str, Any] = {
    "licence_type": "business-licence",
    "holder_name": "上海通办示范科技有限公司",
    "issuer_code": "market",
    "source": LicenceSource.IMPORTED,
}
