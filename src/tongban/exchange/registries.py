"""What the local registries and the e-licence library hold: imports of records kept elsewhere.

Records are keyed by the catalogue's data items (``exchange.catalogue``
writes those), so a record can only carry what its resource declares.  Both
writes are all-or-nothing and idempotent: the same input a second time
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tongban.catalog.models import Department
from tongban.core.errors import FieldError, ValidationFailed
from tongban.exchange.choices import LicenceSource, LicenceStatus
from tongban.exchange.models import DataField, DataResource, ELicence, RegistryRecord


@dataclass(frozen=True)
class RecordSummary:
    """What a registry-record or e-licence write found and changed."""

    records: int
    created: int = 0
    updated: int = 0


@transaction.atomic
def registry_records_upsert(*, records: list[dict[str, Any]]) -> RecordSummary:
    """Create or update registry records ``{resource, subject, data}``; keys are field codes."""
    codes = {r.get("resource") for r in records if isinstance(r, dict)}
    resources = {r.code: r for r in DataResource.objects.filter(code__in=codes)}
    field_codes: dict[int, set[str]] = {}
    for resource_id, code in DataField.objects.filter(resource__in=resources.values()).values_list(
        "resource_id", "code"
    ):
        field_codes.setdefault(resource_id, set()).add(code)
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, record in enumerate(records):
        path = f"records[{i}]"
        if not isinstance(record, dict):
            errors.append(FieldError(path, _("应为对象")))
            continue
        resource = resources.get(record.get("resource", ""))
        if resource is None:
            errors.append(
                FieldError(
                    f"{path}.resource",
                    _("未知的数据资源 '%(value)s'") % {"value": record.get("resource")},
                )
            )
            continue
        subject = record.get("subject")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 40:
            errors.append(FieldError(f"{path}.subject", _("主体标识须为1至40个字符")))
        elif (resource.code, subject) in seen:
            errors.append(FieldError(f"{path}.subject", _("同一资源的主体重复出现")))
        else:
            seen.add((resource.code, subject))
        data = record.get("data")
        if not isinstance(data, dict) or not data:
            errors.append(FieldError(f"{path}.data", _("数据须为非空的对象")))
            continue
        unknown = sorted(set(data) - field_codes.get(resource.pk, set()))
        if unknown:
            errors.append(
                FieldError(
                    f"{path}.data",
                    _("资源 %(code)s 没有信息项：%(fields)s")
                    % {"code": resource.code, "fields": "、".join(unknown)},
                )
            )
    if errors:
        raise ValidationFailed(_("登记记录有误，未保存任何内容"), errors=errors)

    existing = {
        (r.resource_id, r.subject): r
        for r in RegistryRecord.objects.filter(resource__in=resources.values())
    }
    new: list[RegistryRecord] = []
    changed: list[RegistryRecord] = []
    for record in records:
        resource = resources[record["resource"]]
        current = existing.get((resource.pk, record["subject"]))
        if current is None:
            new.append(
                RegistryRecord(resource=resource, subject=record["subject"], data=record["data"])
            )
        elif current.data != record["data"]:
            current.data = record["data"]
            changed.append(current)
    RegistryRecord.objects.bulk_create(new, batch_size=500)
    if changed:
        RegistryRecord.objects.bulk_update(changed, ["data", "updated_at"], batch_size=500)
    return RecordSummary(records=len(records), created=len(new), updated=len(changed))


@transaction.atomic
def elicences_import(*, licences: list[dict[str, Any]]) -> RecordSummary:
    """Create or update imported e-licences (source 外部导入), keyed by type and number."""
    departments = dict(Department.objects.values_list("code", "id"))
    errors: list[FieldError] = []
    for i, item in enumerate(licences):
        path = f"licences[{i}]"
        for key in ("licence_type", "number", "holder_subject", "holder_name"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                errors.append(FieldError(f"{path}.{key}", _("不能为空")))
        if item.get("issuer") not in departments:
            errors.append(
                FieldError(
                    f"{path}.issuer",
                    _("未知的部门代码 '%(value)s'") % {"value": item.get("issuer")},
                )
            )
        if not isinstance(item.get("issued_on"), dt.date):
            errors.append(FieldError(f"{path}.issued_on", _("须为日期")))
    if errors:
        raise ValidationFailed(_("电子证照有误，未保存任何内容"), errors=errors)
    created = updated = 0
    for item in licences:
        values = {
            "holder_subject": item["holder_subject"],
            "holder_name": item["holder_name"],
            "issuer_id": departments[item["issuer"]],
            "issued_on": item["issued_on"],
            "valid_until": item.get("valid_until"),
            "status": item.get("status", LicenceStatus.VALID),
            "source": LicenceSource.IMPORTED,
            "data": item.get("data", {}),
        }
        licence = ELicence.objects.filter(
            licence_type=item["licence_type"], number=item["number"]
        ).first()
        if licence is None:
            ELicence.objects.create(
                licence_type=item["licence_type"], number=item["number"], **values
            )
            created += 1
        elif any(getattr(licence, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(licence, k, v)
            licence.save()
            updated += 1
    return RecordSummary(records=len(licences), created=created, updated=updated)
