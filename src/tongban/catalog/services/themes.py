"""Themes (主题服务/一件事): a bundle of matters with one merged form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from tongban.catalog.models import (
    CertificateType,
    Matter,
    Section,
    Theme,
    ThemeMatter,
)
from tongban.catalog.search import (
    search_cache_invalidate,
)
from tongban.catalog.services.common import (
    editable_fields,
    fields_assign,
    form_field_order,
    instance_clean,
)
from tongban.core.errors import FieldError, ValidationFailed

# --- themes --------------------------------------------------------------------------------


@transaction.atomic
def theme_upsert(*, code: str, fields: Mapping[str, Any], matters: list[dict[str, Any]]) -> Theme:
    """Create or update a theme and its ordered matters."""
    errors: list[FieldError] = []
    theme = Theme.objects.filter(code=code).first() or Theme(code=code)
    allowed = editable_fields(Theme, {"id", "code", "created_at", "updated_at"})
    foreign: dict[str, tuple[type[models.Model], str]] = {
        "section": (Section, _("板块")),
        "combined_certificate_type": (CertificateType, _("证照类型")),
    }
    values = dict(fields)
    if isinstance(values.get("keywords"), list | tuple):
        values["keywords"] = ",".join(str(k) for k in values["keywords"])
    failed = fields_assign(theme, values, allowed=allowed, foreign=foreign, errors=errors)
    instance_clean(theme, failed, errors)

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
