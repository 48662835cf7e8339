"""Catalogue operations: validate and write departments, matters, themes; publish versions.

Every upsert takes plain values (codes instead of objects) so the demo loader,
the admin import and tests share one path; it checks everything first and
writes nothing when any value is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from tongban.catalog.choices import Channel
from tongban.catalog.models import (
    CertificateType,
    Department,
    MaterialRequirement,
    Matter,
    MatterVersion,
    SearchSynonym,
    SearchToken,
    Section,
    Theme,
    ThemeMatter,
)
from tongban.catalog.search import (
    keywords_normalize,
    matter_sort_key,
    matter_tokens,
    search_cache_invalidate,
    search_fields,
    split_keywords,
)
from tongban.core.errors import FieldError, ValidationFailed

ModelT = TypeVar("ModelT", bound=models.Model)

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
    "order",
}


# --- form schema ---------------------------------------------------------------------------


def form_schema_check(*, schema: Any, field: str = "form_schema") -> None:
    """Refuse anything but a valid JSON Schema (draft 2020-12) describing an object."""
    if not isinstance(schema, dict):
        raise _schema_refused(field, _("表单结构必须是 JSON 对象"))
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = exc.json_path if exc.path else "$"
        raise _schema_refused(
            field,
            _("表单结构不是有效的 JSON Schema（draft 2020-12）：位置 %(where)s，%(problem)s")
            % {"where": where, "problem": exc.message},
        ) from None
    if schema.get("type") != "object":
        raise _schema_refused(field, _("表单结构的 type 必须是 “object”"))
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        raise _schema_refused(field, _("表单结构必须包含 properties 对象，列出表单的各个字段"))
    order = schema.get("x-order", [])
    if not isinstance(order, list) or not all(isinstance(k, str) for k in order):
        raise _schema_refused(field, _("表单结构的 x-order 必须是字段名的列表"))
    missing = [name for name in schema.get("required", []) if name not in properties]
    if missing:
        raise _schema_refused(
            field,
            _("表单结构的 required 中有未在 properties 中定义的字段：%(names)s")
            % {"names": "、".join(missing)},
        )


def form_field_order(schema: Mapping[str, Any]) -> list[str]:
    """Property names in the order the form asks them.

    PostgreSQL's jsonb does not keep object key order, so the order is kept in
    ``x-order`` (written when a schema is saved); keys it misses come last.
    """
    properties = schema.get("properties") or {}
    listed = [k for k in schema.get("x-order") or [] if k in properties]
    return listed + [k for k in properties if k not in listed]


def form_schema_ordered(schema: Any) -> Any:
    """The schema with ``x-order`` recording its current field order."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return schema
    return {**schema, "x-order": form_field_order(schema)}


def _schema_refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("表单结构无效"), errors=[FieldError(field=field, message=message)])


# --- helpers -------------------------------------------------------------------------------


def _django_errors(exc: DjangoValidationError, prefix: str = "") -> list[FieldError]:
    out: list[FieldError] = []
    for name, messages in exc.message_dict.items():
        field = f"{prefix}{name}" if name != "__all__" else (prefix.rstrip(".") or "__all__")
        out.extend(FieldError(field=field, message=str(m)) for m in messages)
    return out


def _editable_fields(model: type[models.Model], computed: set[str]) -> dict[str, models.Field]:
    return {
        f.name: f
        for f in model._meta.concrete_fields
        if f.name not in computed and not f.primary_key and f.editable
    }


def _resolve_code(
    model: type[ModelT], value: Any, field: str, label: str, errors: list[FieldError]
) -> ModelT | None:
    if value in (None, ""):
        return None
    obj = model._default_manager.filter(code=str(value)).first()
    if obj is None:
        errors.append(
            FieldError(
                field=field,
                message=_("%(label)s代码“%(code)s”不存在") % {"label": label, "code": value},
            )
        )
    return obj


def _assign(
    instance: models.Model,
    values: Mapping[str, Any],
    *,
    allowed: dict[str, models.Field],
    foreign: dict[str, tuple[type[models.Model], str]],
    errors: list[FieldError],
    prefix: str = "",
) -> set[str]:
    """Set plain values on an unsaved instance; return the names that already failed."""
    failed: set[str] = set()
    for name, value in values.items():
        if name not in allowed:
            errors.append(FieldError(field=f"{prefix}{name}", message=_("未知字段")))
            failed.add(name)
            continue
        if name in foreign:
            model, label = foreign[name]
            obj = _resolve_code(model, value, f"{prefix}{name}", label, errors)
            if obj is None and value not in (None, ""):
                failed.add(name)
                continue
            setattr(instance, name, obj)
            continue
        if value is None and not allowed[name].null:
            value = allowed[name].get_default()
        setattr(instance, name, value)
    return failed


def _clean(
    instance: models.Model, failed: set[str], errors: list[FieldError], prefix: str = ""
) -> None:
    try:
        instance.clean_fields(exclude=list(failed))
    except DjangoValidationError as exc:
        errors.extend(_django_errors(exc, prefix))


def _field_values(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _simple_upsert(
    model: type[ModelT],
    lookup: dict[str, Any],
    values: Mapping[str, Any],
    *,
    foreign: dict[str, tuple[type[models.Model], str]] | None = None,
    label: str,
) -> ModelT:
    foreign = foreign or {}
    instance = model._default_manager.filter(**lookup).first() or model(**lookup)
    before = _field_values(instance) if instance.pk else None
    errors: list[FieldError] = []
    allowed = _editable_fields(model, {"id", "created_at", "updated_at", *lookup})
    failed = _assign(instance, values, allowed=allowed, foreign=foreign, errors=errors)
    _clean(instance, failed, errors)
    if errors:
        raise ValidationFailed(_("%(label)s信息有误") % {"label": label}, errors=errors)
    if before is None or before != _field_values(instance):
        instance.save()
        transaction.on_commit(search_cache_invalidate)
    return instance


# --- departments, sections, certificate types, synonyms ---------------------------------


@transaction.atomic
def department_upsert(
    *, code: str, fields: Mapping[str, Any] | None = None, **values: Any
) -> Department:
    """Create or update a department by code."""
    before = Department.objects.filter(code=code).values_list("order", flat=True).first()
    department = _simple_upsert(
        Department, {"code": code}, {**(fields or {}), **values}, label=_("部门")
    )
    if before is not None and before != department.order:
        # Search ranks ties by department order, copied into the index.
        for matter in department.matters.select_related("department"):
            matter_search_text_refresh(matter=matter)
    return department


@transaction.atomic
def section_upsert(*, code: str, fields: Mapping[str, Any] | None = None, **values: Any) -> Section:
    """Create or update a center section by code."""
    return _simple_upsert(Section, {"code": code}, {**(fields or {}), **values}, label=_("板块"))


@transaction.atomic
def certificate_type_upsert(
    *, code: str, fields: Mapping[str, Any] | None = None, **values: Any
) -> CertificateType:
    """Create or update a certificate type by code; ``department`` is a department code."""
    return _simple_upsert(
        CertificateType,
        {"code": code},
        {**(fields or {}), **values},
        foreign={"department": (Department, _("部门"))},
        label=_("证照类型"),
    )


@transaction.atomic
def synonym_upsert(*, term: str, expansions: str | Iterable[str]) -> SearchSynonym:
    """Map a word citizens use to the catalogue's words (space-separated)."""
    words = split_keywords(expansions) if isinstance(expansions, str) else list(expansions)
    errors = []
    if not term.strip():
        errors.append(FieldError(field="term", message=_("用语不能为空")))
    if not words:
        errors.append(FieldError(field="expansions", message=_("至少需要一个对应词")))
    if errors:
        raise ValidationFailed(_("搜索同义词有误"), errors=errors)
    return _simple_upsert(
        SearchSynonym,
        {"term": term.strip()},
        {"expansions": " ".join(words)},
        label=_("搜索同义词"),
    )


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
        "form_schema": matter.form_schema,
        "process": matter.process,
        "process_params": matter.process_params,
        "certificate_type": _ref(matter.certificate_type),
        "keywords": matter.keywords,
        "commitment_eligible": matter.commitment_eligible,
        "window_address": matter.window_address,
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
    allowed = _editable_fields(Matter, _MATTER_COMPUTED)
    foreign: dict[str, tuple[type[models.Model], str]] = {
        "department": (Department, _("部门")),
        "section": (Section, _("板块")),
        "certificate_type": (CertificateType, _("证照类型")),
    }
    failed = _assign(matter, values, allowed=allowed, foreign=foreign, errors=errors)
    try:
        matter.clean_fields(exclude=list(failed))
    except DjangoValidationError as exc:
        failed.update(exc.message_dict)
        errors.extend(_django_errors(exc))
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
    allowed = _editable_fields(MaterialRequirement, {"id", "matter", "created_at", "updated_at"})
    for index, item in enumerate(materials):
        prefix = f"materials[{index}]."
        if not isinstance(item, Mapping):
            errors.append(FieldError(field=prefix.rstrip("."), message=_("材料必须是对象")))
            continue
        row = MaterialRequirement()
        values = {"order": index, **item}
        failed = _assign(row, values, allowed=allowed, foreign={}, errors=errors, prefix=prefix)
        if row.shared_resource is None:
            row.shared_resource = ""
        _clean(row, failed | {"matter"}, errors, prefix)
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


# --- themes --------------------------------------------------------------------------------


@transaction.atomic
def theme_upsert(*, code: str, fields: Mapping[str, Any], matters: list[dict[str, Any]]) -> Theme:
    """Create or update a theme and its ordered matters."""
    errors: list[FieldError] = []
    theme = Theme.objects.filter(code=code).first() or Theme(code=code)
    allowed = _editable_fields(Theme, {"id", "code", "created_at", "updated_at"})
    foreign: dict[str, tuple[type[models.Model], str]] = {
        "section": (Section, _("板块")),
        "combined_certificate_type": (CertificateType, _("证照类型")),
    }
    values = dict(fields)
    if isinstance(values.get("keywords"), list | tuple):
        values["keywords"] = ",".join(str(k) for k in values["keywords"])
    failed = _assign(theme, values, allowed=allowed, foreign=foreign, errors=errors)
    _clean(theme, failed, errors)

    links: list[tuple[Matter, int, int]] = []
    seen: set[str] = set()
    if not matters:
        errors.append(FieldError(field="matters", message=_("主题至少包含一个事项")))
    for index, item in enumerate(matters):
        field = f"matters[{index}]"
        matter_code = str(item.get("matter", "")) if isinstance(item, Mapping) else ""
        if matter_code in seen:
            errors.append(
                FieldError(
                    field=field,
                    message=_("事项“%(code)s”重复") % {"code": matter_code},
                )
            )
            continue
        seen.add(matter_code)
        matter = Matter.objects.filter(code=matter_code).first()
        if matter is None:
            errors.append(
                FieldError(
                    field=field,
                    message=_("事项编码“%(code)s”不存在") % {"code": matter_code},
                )
            )
            continue
        try:
            order = int(item.get("order", index))
            stage = int(item.get("stage", 1))
        except (TypeError, ValueError):
            errors.append(FieldError(field=field, message=_("顺序和阶段必须是整数")))
            continue
        if order < 0 or stage < 1:
            errors.append(FieldError(field=field, message=_("顺序不能为负数，阶段从 1 开始")))
            continue
        links.append((matter, order, stage))
    if errors:
        raise ValidationFailed(_("主题“%(code)s”有误") % {"code": code}, errors=errors)

    theme.save()
    transaction.on_commit(search_cache_invalidate)
    existing = {link.matter_id: link for link in theme.theme_matters.all()}
    for matter, order, stage in links:
        link = existing.pop(matter.pk, None)
        if link is None:
            ThemeMatter.objects.create(theme=theme, matter=matter, order=order, stage=stage)
        elif (link.order, link.stage) != (order, stage):
            link.order, link.stage = order, stage
            link.save(update_fields=["order", "stage"])
    if existing:
        ThemeMatter.objects.filter(pk__in=[link.pk for link in existing.values()]).delete()
    return theme


def theme_form_schema(*, theme: Theme) -> dict[str, Any]:
    """One form for the whole theme: each field asked once, first definition wins."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    asked_by: dict[str, list[str]] = {}
    links = theme.theme_matters.select_related("matter").order_by("order", "id")
    for link in links:
        schema = link.matter.form_schema or {}
        matter_properties = schema.get("properties") or {}
        for name in form_field_order(schema):
            properties.setdefault(name, matter_properties[name])
            asked_by.setdefault(name, []).append(link.matter.code)
        for name in schema.get("required") or []:
            if name not in required:
                required.append(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "x-order": list(properties),
        "x-matters": asked_by,
    }
