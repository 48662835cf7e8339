"""Matters (事项) with their guides and materials; publishing immutable versions."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from tongban.catalog.choices import Channel
from tongban.catalog.models import (
    CertificateType,
    Department,
    MaterialRequirement,
    Matter,
    MatterVersion,
    SearchToken,
    Section,
)
from tongban.catalog.search import (
    keywords_normalize,
    matter_sort_key,
    matter_tokens,
    search_cache_invalidate,
    search_fields,
)
from tongban.catalog.services.common import (
    django_field_errors,
    editable_fields,
    fields_assign,
    form_schema_check,
    form_schema_ordered,
    instance_clean,
)
from tongban.core.errors import FieldError, ValidationFailed

#: Fields of Matter that are computed, never given.
_MATTER_COMPUTED = {
    "id",
    "code",
    "version",
    "search_text",
    "search_name",
    "search_keywords",
    "created_at",
    "updated_at",
}
_MATERIAL_FIELDS = {
    "code",
    "name",
    "name_en",
    "required",
    "key",
    "copies",
    "form",
    "source",
    "shared_resource",
    "description",
    "description_en",
    "order",
}


# --- matters -------------------------------------------------------------------------------


def _ref(obj: Department | Section | CertificateType | None) -> dict[str, str] | None:
    if obj is None:
        return None
    return {"code": obj.code, "name": obj.name, "name_en": obj.name_en}


def _fee(value: Decimal | int | str) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def matter_guide_snapshot(*, matter: Matter) -> dict[str, Any]:
    """The whole guide as JSON-serialisable values: what a version records and the API shows."""
    materials = [
        {
            "code": m.code,
            "name": m.name,
            "name_en": m.name_en,
            "description": m.description,
            "description_en": m.description_en,
            "required": m.required,
            "key": m.key,
            "copies": m.copies,
            "form": m.form,
            "source": m.source,
            "shared_resource": m.shared_resource or None,
            "order": m.order,
        }
        # .all() so a prefetch is used; the model orders materials by (order, id).
        for m in matter.materials.all()
    ]
    return {
        "code": matter.code,
        "name": matter.name,
        "name_en": matter.name_en,
        "kind": matter.kind,
        "audience": matter.audience,
        "department": _ref(matter.department),
        "section": _ref(matter.section),
        "summary": matter.summary,
        "summary_en": matter.summary_en,
        "legal_basis": matter.legal_basis,
        "legal_basis_en": matter.legal_basis_en,
        "conditions": matter.conditions,
        "conditions_en": matter.conditions_en,
        "materials": materials,
        "legal_limit_days": matter.legal_limit_days,
        "promised_limit_days": matter.promised_limit_days,
        "max_visits": matter.max_visits,
        "online_depth": matter.online_depth,
        "channels": list(matter.channels),
        "fee": _fee(matter.fee),
        "fee_basis": matter.fee_basis,
        "fee_basis_en": matter.fee_basis_en,
        "form_schema": matter.form_schema,
        "process": matter.process,
        "process_params": matter.process_params,
        "certificate_type": _ref(matter.certificate_type),
        "keywords": matter.keywords,
        "commitment_eligible": matter.commitment_eligible,
        "window_address": matter.window_address,
        "window_address_en": matter.window_address_en,
        "consult_phone": matter.consult_phone,
    }


def matter_search_text_refresh(*, matter: Matter) -> None:
    """Rebuild the search columns and words of a matter (after its name, keywords, materials)."""
    values = search_fields(matter)
    if any(getattr(matter, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(matter, name, value)
        Matter.objects.filter(pk=matter.pk).update(**values)
    # Inactive matters are left out of the index, so search needs no is_active join.
    tokens = matter_tokens(matter) if matter.is_active else {}
    key = matter_sort_key(matter)
    wanted = {token: (weight, key) for token, weight in tokens.items()}
    rows = SearchToken.objects.filter(matter=matter).values_list("token", "weight", "sort_key")
    if {token: (weight, sort) for token, weight, sort in rows} != wanted:
        transaction.on_commit(search_cache_invalidate)
        SearchToken.objects.filter(matter=matter).delete()
        SearchToken.objects.bulk_create(
            SearchToken(matter=matter, token=token, weight=weight, sort_key=key)
            for token, weight in tokens.items()
        )


@transaction.atomic
def matter_publish(*, matter: Matter, published_by: str = "") -> MatterVersion:
    """Snapshot the current guide as a new, immutable version."""
    return _matter_version_create(matter=matter, published_by=published_by, refresh_search=True)


def _matter_version_create(
    *, matter: Matter, published_by: str, refresh_search: bool
) -> MatterVersion:
    # The row lock serialises two editors publishing the same matter at once.
    locked = Matter.objects.select_for_update().get(pk=matter.pk)
    if refresh_search:
        matter_search_text_refresh(matter=matter)
    number = locked.version + 1
    version = MatterVersion.objects.create(
        matter=matter,
        version=number,
        published_by=published_by,
        guide=matter_guide_snapshot(matter=matter),
    )
    Matter.objects.filter(pk=matter.pk).update(version=number)
    matter.version = number
    transaction.on_commit(search_cache_invalidate)
    return version


@transaction.atomic
def matter_publish_if_changed(*, matter: Matter, published_by: str = "") -> MatterVersion | None:
    """Publish a new version only when the guide differs from the latest one."""
    matter_search_text_refresh(matter=matter)
    latest = matter.versions.order_by("-version").first()
    if latest is not None and latest.guide == matter_guide_snapshot(matter=matter):
        return None
    # The search words were refreshed above: segmenting the guide again would only cost time.
    return _matter_version_create(matter=matter, published_by=published_by, refresh_search=False)


def matter_validate(instance: Matter) -> list[FieldError]:
    """Domain rules of a guide beyond single field values (shared by services, admin, import)."""
    errors: list[FieldError] = []
    try:
        form_schema_check(schema=instance.form_schema)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    channels = instance.channels
    if not isinstance(channels, list) or not all(
        isinstance(c, str) and c in Channel.values for c in channels
    ):
        errors.append(
            FieldError(
                field="channels",
                message=_("办理渠道只能是以下值的列表：%(values)s")
                % {"values": "、".join(Channel.values)},
            )
        )
    legal, promised = instance.legal_limit_days, instance.promised_limit_days
    if isinstance(legal, int) and isinstance(promised, int) and promised > legal:
        errors.append(
            FieldError(
                field="promised_limit_days",
                message=_("承诺时限（%(promised)s 个工作日）不能超过法定时限（%(legal)s 个工作日）")
                % {"promised": promised, "legal": legal},
            )
        )
    return errors


@transaction.atomic
def matter_upsert(
    *,
    code: str,
    fields: Mapping[str, Any],
    materials: list[dict[str, Any]],
    published_by: str = "",
) -> Matter:
    """Create or update a matter and its materials; publish a version when the guide changed."""
    errors: list[FieldError] = []
    matter = Matter.objects.filter(code=code).first() or Matter(code=code)
    values = dict(fields)
    if isinstance(values.get("keywords"), list | tuple):
        values["keywords"] = ",".join(str(k) for k in values["keywords"])
    if isinstance(values.get("keywords"), str):
        values["keywords"] = keywords_normalize(values["keywords"])
    allowed = editable_fields(Matter, _MATTER_COMPUTED)
    foreign: dict[str, tuple[type[models.Model], str]] = {
        "department": (Department, _("部门")),
        "section": (Section, _("板块")),
        "certificate_type": (CertificateType, _("证照类型")),
    }
    failed = fields_assign(matter, values, allowed=allowed, foreign=foreign, errors=errors)
    try:
        matter.clean_fields(exclude=list(failed))
    except DjangoValidationError as exc:
        failed.update(exc.message_dict)
        errors.extend(django_field_errors(exc))
    errors.extend(e for e in matter_validate(matter) if e.field not in failed)

    rows = _materials_check(materials, errors)
    if errors:
        raise ValidationFailed(_("事项“%(code)s”的办事指南有误") % {"code": code}, errors=errors)

    matter.form_schema = form_schema_ordered(matter.form_schema)
    matter.save()
    transaction.on_commit(search_cache_invalidate)
    _materials_sync(matter, rows)
    matter_publish_if_changed(matter=matter, published_by=published_by)
    return matter


def _materials_check(
    materials: list[dict[str, Any]], errors: list[FieldError]
) -> list[MaterialRequirement]:
    rows: list[MaterialRequirement] = []
    seen: set[str] = set()
    allowed = editable_fields(MaterialRequirement, {"id", "matter", "created_at", "updated_at"})
    for index, item in enumerate(materials):
        prefix = f"materials[{index}]."
        if not isinstance(item, Mapping):
            errors.append(FieldError(field=prefix.rstrip("."), message=_("材料必须是对象")))
            continue
        row = MaterialRequirement()
        values = {"order": index, **item}
        failed = fields_assign(
            row, values, allowed=allowed, foreign={}, errors=errors, prefix=prefix
        )
        if row.shared_resource is None:
            row.shared_resource = ""
        instance_clean(row, failed | {"matter"}, errors, prefix)
        if row.code in seen:
            errors.append(
                FieldError(
                    field=f"{prefix}code",
                    message=_("材料编码“%(code)s”重复") % {"code": row.code},
                )
            )
        seen.add(row.code)
        rows.append(row)
    return rows


def _materials_sync(matter: Matter, rows: list[MaterialRequirement]) -> None:
    # Update by code rather than replace, so a case's reference to a
    # requirement survives an edit of the guide.
    existing = {m.code: m for m in matter.materials.all()}
    for row in rows:
        current = existing.pop(row.code, None)
        if current is None:
            row.matter = matter
            row.save()
            continue
        changed = False
        for name in _MATERIAL_FIELDS:
            if getattr(current, name) != getattr(row, name):
                setattr(current, name, getattr(row, name))
                changed = True
        if changed:
            current.save()
    if existing:
        MaterialRequirement.objects.filter(pk__in=[m.pk for m in existing.values()]).delete()


@transaction.atomic
def search_index_rebuild() -> int:
    """Rebuild every matter's search words (after the user dictionary changed); return the count."""
    count = 0
    for matter in Matter.objects.select_related("department").prefetch_related("materials"):
        matter_search_text_refresh(matter=matter)
        count += 1
    return count
