"""What every catalogue upsert shares: form-schema checks, field assignment, error mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from tongban.catalog.search import (
    search_cache_invalidate,
)
from tongban.core.errors import FieldError, ValidationFailed

ModelT = TypeVar("ModelT", bound=models.Model)


# --- form schema ---------------------------------------------------------------------------


#: The case's own delivery choice (Case.delivery_method): never a field of a matter's form.
RESERVED_DELIVERY_FIELD = "delivery_method"


def form_schema_check(*, schema: Any, field: str = "form_schema") -> None:
    """Refuse anything but a valid JSON Schema (draft 2020-12) describing an object."""
    if not isinstance(schema, dict):
        raise schema_refused(field, _("表单结构必须是 JSON 对象"))
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = exc.json_path if exc.path else "$"
        raise schema_refused(
            field,
            _("表单结构不是有效的 JSON Schema（draft 2020-12）：位置 %(where)s，%(problem)s")
            % {"where": where, "problem": exc.message},
        ) from None
    if schema.get("type") != "object":
        raise schema_refused(field, _("表单结构的 type 必须是 “object”"))
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        raise schema_refused(field, _("表单结构必须包含 properties 对象，列出表单的各个字段"))
    if RESERVED_DELIVERY_FIELD in properties:
        # Delivery is chosen once, on the case (in the application and on its page), and the
        # same choice is shown everywhere: a form field would be a second, disagreeing answer.
        raise schema_refused(
            field,
            _("表单不能包含领证方式字段 %(name)s：领证方式在办件上选择一次")
            % {"name": RESERVED_DELIVERY_FIELD},
        )
    order = schema.get("x-order", [])
    if not isinstance(order, list) or not all(isinstance(k, str) for k in order):
        raise schema_refused(field, _("表单结构的 x-order 必须是字段名的列表"))
    missing = [name for name in schema.get("required", []) if name not in properties]
    if missing:
        raise schema_refused(
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


def schema_refused(field: str, message: str) -> ValidationFailed:
    """A field error about a form schema, as ValidationFailed."""
    return ValidationFailed(_("表单结构无效"), errors=[FieldError(field=field, message=message)])


# --- helpers -------------------------------------------------------------------------------


def django_field_errors(exc: DjangoValidationError, prefix: str = "") -> list[FieldError]:
    """Django's model validation errors as field errors (with a prefix for nested rows)."""
    out: list[FieldError] = []
    for name, messages in exc.message_dict.items():
        field = f"{prefix}{name}" if name != "__all__" else (prefix.rstrip(".") or "__all__")
        out.extend(FieldError(field=field, message=str(m)) for m in messages)
    return out


def editable_fields(model: type[models.Model], computed: set[str]) -> dict[str, models.Field]:
    """The fields of ``model`` an upsert may set (computed ones left out)."""
    return {
        f.name: f
        for f in model._meta.concrete_fields
        if f.name not in computed and not f.primary_key and f.editable
    }


def code_resolve(
    model: type[ModelT], value: Any, field: str, label: str, errors: list[FieldError]
) -> ModelT | None:
    """The row a code refers to (a department, a section …); else None and a field error."""
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


def fields_assign(
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
            obj = code_resolve(model, value, f"{prefix}{name}", label, errors)
            if obj is None and value not in (None, ""):
                failed.add(name)
                continue
            setattr(instance, name, obj)
            continue
        if value is None and not allowed[name].null:
            value = allowed[name].get_default()
        setattr(instance, name, value)
    return failed


def instance_clean(
    instance: models.Model, failed: set[str], errors: list[FieldError], prefix: str = ""
) -> None:
    """Run Django's model validation and collect its errors as field errors."""
    try:
        instance.clean_fields(exclude=list(failed))
    except DjangoValidationError as exc:
        errors.extend(django_field_errors(exc, prefix))


def field_values(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of an instance (to compare before saving)."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def simple_upsert(
    model: type[ModelT],
    lookup: dict[str, Any],
    values: Mapping[str, Any],
    *,
    foreign: dict[str, tuple[type[models.Model], str]] | None = None,
    label: str,
) -> ModelT:
    """Create or update a row by its code; nothing is written when any value is wrong."""
    foreign = foreign or {}
    instance = model._default_manager.filter(**lookup).first() or model(**lookup)
    before = field_values(instance) if instance.pk else None
    errors: list[FieldError] = []
    allowed = editable_fields(model, {"id", "created_at", "updated_at", *lookup})
    failed = fields_assign(instance, values, allowed=allowed, foreign=foreign, errors=errors)
    instance_clean(instance, failed, errors)
    if errors:
        raise ValidationFailed(_("%(label)s信息有误") % {"label": label}, errors=errors)
    if before is None or before != field_values(instance):
        instance.save()
        transaction.on_commit(search_cache_invalidate)
    return instance
