"""The 政务信息资源目录's writes: data resources and their data items (信息项).

``catalogue_upsert`` is the one writer of DataResource and DataField: the demo
loader, the Excel import (``exchange.catalogue_xlsx``) and tests all go
through it, so the same rules hold for each (codes, provider departments,
share types, field codes unique per resource).  Every write is
all-or-nothing: a bad entry anywhere means nothing is saved.  The records
of the local registries and imported e-licences are written by
``exchange.registries``; reads of the catalogue live in ``exchange.selectors``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from tongban.catalog.models import Department
from tongban.core.errors import FieldError, ValidationFailed
from tongban.exchange.choices import (
    DataType,
    OpenType,
    ResourceFormat,
    ShareType,
    SubjectKind,
    UpdateCycle,
)
from tongban.exchange.models import DataField, DataResource

RESOURCE_CODE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9_]*$")
FIELD_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
ADAPTER_KEY = re.compile(r"^[a-z][a-z0-9_-]*$")

#: Defaults of the optional resource columns.
RESOURCE_DEFAULTS: dict[str, Any] = {
    "name_en": "",
    "description": "",
    "share_condition": "",
    "open_type": OpenType.NONE.value,
    "update_cycle": UpdateCycle.DAILY.value,
    "format": ResourceFormat.API.value,
    "adapter": "local",
    "adapter_config": {},
}

#: Choice columns: key → the TextChoices whose values (or Chinese labels) are accepted.
CHOICE_FIELDS: dict[str, Any] = {
    "share_type": ShareType,
    "open_type": OpenType,
    "update_cycle": UpdateCycle,
    "format": ResourceFormat,
    "subject_kind": SubjectKind,
}

MAX_LENGTHS = {
    "code": 80,
    "name": 200,
    "name_en": 200,
    "share_condition": 300,
    "adapter": 40,
}
FIELD_MAX_LENGTHS = {"code": 60, "name": 200, "name_en": 200, "description": 300}

_RESOURCE_ATTRS = (
    "name",
    "name_en",
    "description",
    "share_type",
    "share_condition",
    "open_type",
    "update_cycle",
    "format",
    "subject_kind",
    "adapter",
    "adapter_config",
)
_FIELD_ATTRS = ("name", "name_en", "data_type", "description", "sensitive", "order")


@dataclass(frozen=True)
class CatalogueSummary:
    """What a catalogue write found and changed."""

    resources: int
    fields: int
    resources_created: int = 0
    resources_updated: int = 0
    fields_created: int = 0
    fields_updated: int = 0
    fields_deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.resources_created
            + self.resources_updated
            + self.fields_created
            + self.fields_updated
            + self.fields_deleted
        )


#: A problem at (resource index, field index or None, key).
Problem = tuple[int, int | None, str, str]


# --- validation -----------------------------------------------------------------------------


def choice_value(choices: Any, raw: object) -> str | None:
    """The choice value of ``raw`` given as value or as Chinese label; None when invalid."""
    text = str(raw).strip() if raw is not None else ""
    with translation.override("zh-hans"):
        for value, label in choices.choices:
            if text in (value, str(label)):
                return str(value)
    return None


def _validate(resources: list[dict[str, Any]], departments: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen_codes: dict[str, int] = {}
    for i, item in enumerate(resources):
        if not isinstance(item, dict):
            problems.append((i, None, "", _("应为对象")))
            continue
        code = item.get("code")
        if not isinstance(code, str) or not RESOURCE_CODE.match(code):
            problems.append(
                (i, None, "code", _("资源代码须为“部门代码.资源名”，如 market.business_licence"))
            )
        elif len(code) > MAX_LENGTHS["code"]:
            problems.append((i, None, "code", _("资源代码不能超过80个字符")))
        elif code in seen_codes:
            problems.append((i, None, "code", _("资源代码 %(code)s 重复出现") % {"code": code}))
        else:
            seen_codes[code] = i
        provider = item.get("provider")
        if not isinstance(provider, str) or provider not in departments:
            problems.append(
                (i, None, "provider", _("未知的部门代码 '%(value)s'") % {"value": provider})
            )
        elif isinstance(code, str) and RESOURCE_CODE.match(code) and code.split(".")[0] != provider:
            problems.append(
                (i, None, "code", _("资源代码须以提供部门代码 %(dept)s 开头") % {"dept": provider})
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append((i, None, "name", _("资源名称不能为空")))
        for key, limit in MAX_LENGTHS.items():
            value = item.get(key)
            if key != "code" and isinstance(value, str) and len(value) > limit:
                problems.append((i, None, key, _("不能超过%(n)s个字符") % {"n": limit}))
        for key, choices in CHOICE_FIELDS.items():
            value = item.get(key, RESOURCE_DEFAULTS.get(key))
            if value is None or choice_value(choices, value) != value:
                allowed = "、".join(str(v) for v in choices.values)
                problems.append(
                    (
                        i,
                        None,
                        key,
                        _("无效取值 '%(value)s'（可选：%(allowed)s）")
                        % {"value": value, "allowed": allowed},
                    )
                )
        if (
            item.get("share_type") == ShareType.CONDITIONAL
            and not str(item.get("share_condition", "")).strip()
        ):
            problems.append((i, None, "share_condition", _("有条件共享的资源须写明共享条件")))
        adapter = item.get("adapter", RESOURCE_DEFAULTS["adapter"])
        if not isinstance(adapter, str) or not ADAPTER_KEY.match(adapter):
            problems.append((i, None, "adapter", _("接入方式须为小写字母组成的代码")))
        config = item.get("adapter_config", {})
        if not isinstance(config, dict):
            problems.append((i, None, "adapter_config", _("接入配置须为 JSON 对象")))
        elif adapter == "elicence" and not config.get("licence_type"):
            problems.append(
                (i, None, "adapter_config", _("电子证照资源须在接入配置中写明 licence_type"))
            )
        items = item.get("fields")
        if not isinstance(items, list) or not items:
            problems.append((i, None, "fields", _("资源至少要有一个信息项")))
            continue
        problems.extend(_validate_fields(i, items))
    return problems


def _validate_fields(i: int, items: list[Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for j, spec in enumerate(items):
        if not isinstance(spec, dict):
            problems.append((i, j, "", _("应为对象")))
            continue
        code = spec.get("code")
        if not isinstance(code, str) or not FIELD_CODE.match(code):
            problems.append((i, j, "code", _("信息项代码须为小写字母、数字和下划线，以字母开头")))
        elif len(code) > FIELD_MAX_LENGTHS["code"]:
            problems.append((i, j, "code", _("信息项代码不能超过60个字符")))
        elif code in seen:
            problems.append(
                (i, j, "code", _("信息项代码 %(code)s 在本资源中重复") % {"code": code})
            )
        else:
            seen.add(code)
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append((i, j, "name", _("信息项名称不能为空")))
        data_type = spec.get("data_type")
        if data_type not in DataType.values:
            problems.append(
                (
                    i,
                    j,
                    "data_type",
                    _("无效取值 '%(value)s'（可选：%(allowed)s）")
                    % {"value": data_type, "allowed": "、".join(DataType.values)},
                )
            )
        for key, limit in FIELD_MAX_LENGTHS.items():
            value = spec.get(key)
            if key != "code" and isinstance(value, str) and len(value) > limit:
                problems.append((i, j, key, _("不能超过%(n)s个字符") % {"n": limit}))
        if not isinstance(spec.get("sensitive", False), bool):
            problems.append((i, j, "sensitive", _("须为是或否")))
    return problems


def _path(problem: Problem) -> FieldError:
    i, j, key, message = problem
    path = f"resources[{i}]" if j is None else f"resources[{i}].fields[{j}]"
    return FieldError(f"{path}.{key}" if key else path, message)


# --- upsert ---------------------------------------------------------------------------------

#: Names where a problem was found: a path in the input, a cell of a sheet …
Locate = Callable[[Problem], FieldError]


@transaction.atomic
def catalogue_upsert(
    *, resources: list[dict[str, Any]], locate: Locate | None = None
) -> CatalogueSummary:
    """Create or update resources and their fields; a second run with the same input writes nothing.

    The fields given replace the resource's fields: a field left out is deleted.
    Resources not named are left alone.  Errors name paths like
    ``resources[3].fields[7].code``, or what ``locate`` makes of a problem.
    """
    locate = locate or _path
    departments = dict(Department.objects.values_list("code", "id"))
    problems = _validate(resources, set(departments))
    if problems:
        raise ValidationFailed(
            _("数据资源目录有误，未保存任何内容"), errors=[locate(p) for p in problems]
        )

    existing = {
        r.code: r for r in DataResource.objects.filter(code__in=[r["code"] for r in resources])
    }
    to_create: list[DataResource] = []
    to_update: list[DataResource] = []
    for item in resources:
        values = {k: item.get(k, RESOURCE_DEFAULTS.get(k)) for k in _RESOURCE_ATTRS}
        values["provider_id"] = departments[item["provider"]]
        resource = existing.get(item["code"])
        if resource is None:
            to_create.append(DataResource(code=item["code"], is_active=True, **values))
            continue
        if any(getattr(resource, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(resource, k, v)
            to_update.append(resource)
    DataResource.objects.bulk_create(to_create)
    if to_update:
        DataResource.objects.bulk_update(to_update, [*_RESOURCE_ATTRS, "provider_id"])
    ids = dict(
        DataResource.objects.filter(code__in=[r["code"] for r in resources]).values_list(
            "code", "id"
        )
    )

    current: dict[tuple[int, str], DataField] = {
        (f.resource_id, f.code): f for f in DataField.objects.filter(resource_id__in=ids.values())
    }
    wanted: set[tuple[int, str]] = set()
    new_fields: list[DataField] = []
    changed_fields: list[DataField] = []
    for item in resources:
        resource_id = ids[item["code"]]
        for order, spec in enumerate(item["fields"], start=1):
            key = (resource_id, spec["code"])
            wanted.add(key)
            values = {
                "name": spec["name"],
                "name_en": spec.get("name_en", "") or "",
                "data_type": spec["data_type"],
                "description": spec.get("description", "") or "",
                "sensitive": bool(spec.get("sensitive", False)),
                "order": order,
            }
            field = current.get(key)
            if field is None:
                new_fields.append(DataField(resource_id=resource_id, code=spec["code"], **values))
            elif any(getattr(field, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(field, k, v)
                changed_fields.append(field)
    stale = [f.pk for key, f in current.items() if key not in wanted]
    if stale:
        DataField.objects.filter(pk__in=stale).delete()
    DataField.objects.bulk_create(new_fields, batch_size=500)
    if changed_fields:
        DataField.objects.bulk_update(changed_fields, list(_FIELD_ATTRS), batch_size=500)
    return CatalogueSummary(
        resources=len(resources),
        fields=sum(len(r["fields"]) for r in resources),
        resources_created=len(to_create),
        resources_updated=len(to_update),
        fields_created=len(new_fields),
        fields_updated=len(changed_fields),
        fields_deleted=len(stale),
    )
