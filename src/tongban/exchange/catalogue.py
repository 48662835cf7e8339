"""The 政务信息资源目录 as data: upsert, Excel export and import, registry records, e-licences.

``catalogue_upsert`` is the one writer of DataResource and DataField: the demo
loader, the Excel import and tests all go through it, so the same rules hold
for each (codes, provider departments, share types, field codes unique per
resource).  Every write is all-or-nothing: a bad entry anywhere means nothing
is saved.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tongban.catalog.models import Department
from tongban.core.errors import FieldError, ValidationFailed
from tongban.exchange.choices import (
    LicenceSource,
    LicenceStatus,
    OpenType,
    ResourceFormat,
    ShareType,
    SubjectKind,
    UpdateCycle,
)
from tongban.exchange.data.build import DATA_TYPES
from tongban.exchange.models import DataField, DataResource, ELicence, RegistryRecord

RESOURCE_CODE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9_]*$")
FIELD_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
ADAPTER_KEY = re.compile(r"^[a-z][a-z0-9_-]*$")

#: Resource columns: key, header (Chinese, as in the sheet), required.
RESOURCE_COLUMNS: list[tuple[str, str, bool]] = [
    ("code", "资源代码", True),
    ("name", "资源名称", True),
    ("name_en", "英文名称", False),
    ("provider", "提供部门代码", True),
    ("description", "摘要", False),
    ("share_type", "共享类型", True),
    ("share_condition", "共享条件", False),
    ("open_type", "开放类型", False),
    ("update_cycle", "更新周期", False),
    ("format", "资源格式", False),
    ("subject_kind", "查询主体", True),
    ("adapter", "接入方式", False),
    ("adapter_config", "接入配置", False),
]

FIELD_COLUMNS: list[tuple[str, str, bool]] = [
    ("resource", "资源代码", True),
    ("code", "信息项代码", True),
    ("data_type", "数据类型", True),
    ("name", "信息项名称", True),
    ("name_en", "英文名称", False),
    ("description", "说明", False),
    ("sensitive", "是否敏感", False),
]

RESOURCE_SHEET = "资源"
FIELD_SHEET = "信息项"

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


@dataclass(frozen=True)
class RecordSummary:
    """What a registry-record or e-licence write found and changed."""

    records: int
    created: int = 0
    updated: int = 0


#: A problem at (resource index, field index or None, key).
Problem = tuple[int, int | None, str, str]


# --- validation -----------------------------------------------------------------------------


def _choice_value(choices: Any, raw: object) -> str | None:
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
            if value is None or _choice_value(choices, value) != value:
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
        if data_type not in DATA_TYPES:
            problems.append(
                (
                    i,
                    j,
                    "data_type",
                    _("无效取值 '%(value)s'（可选：%(allowed)s）")
                    % {"value": data_type, "allowed": "、".join(DATA_TYPES)},
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


@transaction.atomic
def catalogue_upsert(*, resources: list[dict[str, Any]]) -> CatalogueSummary:
    """Create or update resources and their fields; a second run with the same input writes nothing.

    The fields given replace the resource's fields: a field left out is deleted.
    Resources not named are left alone.  Errors name paths like
    ``resources[3].fields[7].code``.
    """
    return _catalogue_write(resources, _path)


def _catalogue_write(
    resources: list[dict[str, Any]], locate: Callable[[Problem], FieldError]
) -> CatalogueSummary:
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


# --- Excel ----------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def catalogue_export_xlsx() -> bytes:
    """The whole catalogue as an Excel workbook: sheet 资源 and sheet 信息项."""
    # The sheet is a Chinese government form: labels stay Chinese under any locale.
    with translation.override("zh-hans"):
        return _export()


def _export() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    fields_sheet = workbook.create_sheet(FIELD_SHEET)
    _header(sheet, [h for _, h, _ in RESOURCE_COLUMNS])
    _header(fields_sheet, [h for _, h, _ in FIELD_COLUMNS])
    resources = DataResource.objects.select_related("provider").order_by("provider__order", "code")
    for resource in resources:
        sheet.append(
            [
                resource.code,
                resource.name,
                resource.name_en,
                resource.provider.code,
                resource.description,
                str(ShareType(resource.share_type).label),
                resource.share_condition,
                str(OpenType(resource.open_type).label),
                str(UpdateCycle(resource.update_cycle).label),
                str(ResourceFormat(resource.format).label),
                str(SubjectKind(resource.subject_kind).label),
                resource.adapter,
                json.dumps(resource.adapter_config, ensure_ascii=False)
                if resource.adapter_config
                else "",
            ]
        )
    rows = DataField.objects.select_related("resource").order_by(
        "resource__provider__order", "resource__code", "order", "id"
    )
    for field in rows:
        fields_sheet.append(
            [
                field.resource.code,
                field.code,
                field.data_type,
                field.name,
                field.name_en,
                field.description,
                "是" if field.sensitive else "否",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header(sheet: Any, headers: list[str]) -> None:
    sheet.append(headers)
    fill = PatternFill("solid", fgColor="DCE6F7")
    for index, _header_text in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = fill
        sheet.column_dimensions[get_column_letter(index)].width = 18
    sheet.freeze_panes = "A2"


@dataclass
class _Located:
    """Where an imported value came from, to name the cell at fault."""

    resource_rows: list[int]
    field_rows: dict[tuple[int, int], int]
    resource_columns: dict[str, str]
    field_columns: dict[str, str]


def _cell_error(sheet: str, row: int, column: str | None, header: str, message: str) -> FieldError:
    if column is None:
        where = _("%(sheet)s 第%(row)s行") % {"sheet": sheet, "row": row}
        return FieldError(f"{sheet}!{row}", f"{where}：{message}")
    where = _("%(sheet)s 第%(row)s行 %(col)s列（%(header)s）") % {
        "sheet": sheet,
        "row": row,
        "col": column,
        "header": header,
    }
    return FieldError(f"{sheet}!{column}{row}", f"{where}：{message}")


def _columns(
    sheet: Any, name: str, spec: list[tuple[str, str, bool]], errors: list[FieldError]
) -> dict[str, int]:
    """Column index (0-based) of each key, found by its header in row 1."""
    header_row = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    headers = {_cell_text(v): index for index, v in enumerate(header_row) if _cell_text(v)}
    found: dict[str, int] = {}
    for key, header, required in spec:
        if header in headers:
            found[key] = headers[header]
        elif required:
            errors.append(
                FieldError(
                    f"{name}!1",
                    _("%(sheet)s 第1行：缺少列“%(header)s”") % {"sheet": name, "header": header},
                )
            )
    return found


def _rows(sheet: Any) -> Iterable[tuple[int, tuple[Any, ...]]]:
    for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if any(_cell_text(v) for v in row):
            yield number, row


@transaction.atomic
def catalogue_import_xlsx(*, file: IO[bytes] | bytes) -> CatalogueSummary:
    """Upsert the resources of an Excel workbook (as exported); one bad cell refuses all of it."""
    data = file if isinstance(file, bytes) else file.read()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not .xlsx
        raise ValidationFailed(
            _("文件不是有效的 Excel（.xlsx）文件"), errors=[FieldError("file", str(exc)[:200])]
        ) from exc
    errors: list[FieldError] = []
    for name in (RESOURCE_SHEET, FIELD_SHEET):
        if name not in workbook.sheetnames:
            errors.append(FieldError("file", _("缺少工作表“%(sheet)s”") % {"sheet": name}))
    if errors:
        raise ValidationFailed(_("导入文件格式有误，未保存任何内容"), errors=errors)
    resource_sheet = workbook[RESOURCE_SHEET]
    field_sheet = workbook[FIELD_SHEET]
    rcols = _columns(resource_sheet, RESOURCE_SHEET, RESOURCE_COLUMNS, errors)
    fcols = _columns(field_sheet, FIELD_SHEET, FIELD_COLUMNS, errors)
    if errors:
        raise ValidationFailed(_("导入文件格式有误，未保存任何内容"), errors=errors)

    rletters = {k: get_column_letter(i + 1) for k, i in rcols.items()}
    fletters = {k: get_column_letter(i + 1) for k, i in fcols.items()}
    rheaders = {k: h for k, h, _ in RESOURCE_COLUMNS}
    fheaders = {k: h for k, h, _ in FIELD_COLUMNS}

    resources: list[dict[str, Any]] = []
    located = _Located([], {}, rletters, fletters)
    index_by_code: dict[str, int] = {}
    for number, row in _rows(resource_sheet):
        item: dict[str, Any] = {"fields": []}
        for key, column in rcols.items():
            text = _cell_text(row[column] if column < len(row) else None)
            if key in CHOICE_FIELDS:
                if text == "" and key in RESOURCE_DEFAULTS:
                    item[key] = RESOURCE_DEFAULTS[key]
                    continue
                value = _choice_value(CHOICE_FIELDS[key], text)
                if value is None:
                    errors.append(
                        _cell_error(
                            RESOURCE_SHEET,
                            number,
                            rletters[key],
                            rheaders[key],
                            _("无效取值 '%(value)s'") % {"value": text},
                        )
                    )
                    continue
                item[key] = value
            elif key == "adapter_config":
                if text == "":
                    item[key] = {}
                    continue
                try:
                    config = json.loads(text)
                except ValueError:
                    config = None
                if not isinstance(config, dict):
                    errors.append(
                        _cell_error(
                            RESOURCE_SHEET,
                            number,
                            rletters[key],
                            rheaders[key],
                            _('须为 JSON 对象，如 {"licence_type": "business-licence"}'),
                        )
                    )
                    continue
                item[key] = config
            elif key == "adapter" and text == "":
                item[key] = RESOURCE_DEFAULTS["adapter"]
            else:
                item[key] = text
        code = item.get("code", "")
        if code and code not in index_by_code:
            index_by_code[code] = len(resources)
        resources.append(item)
        located.resource_rows.append(number)

    for number, row in _rows(field_sheet):
        spec: dict[str, Any] = {}
        for key, column in fcols.items():
            text = _cell_text(row[column] if column < len(row) else None)
            if key == "sensitive":
                if text in ("", "否", "false", "False", "0", "FALSE"):
                    spec[key] = False
                elif text in ("是", "true", "True", "1", "TRUE"):
                    spec[key] = True
                else:
                    errors.append(
                        _cell_error(
                            FIELD_SHEET,
                            number,
                            fletters[key],
                            fheaders[key],
                            _("无效取值 '%(value)s'（应为 是 或 否）") % {"value": text},
                        )
                    )
            elif key == "data_type" and text not in DATA_TYPES:
                errors.append(
                    _cell_error(
                        FIELD_SHEET,
                        number,
                        fletters[key],
                        fheaders[key],
                        _("无效取值 '%(value)s'") % {"value": text},
                    )
                )
            else:
                spec[key] = text
        owner = spec.pop("resource", "")
        if owner not in index_by_code:
            errors.append(
                _cell_error(
                    FIELD_SHEET,
                    number,
                    fletters["resource"],
                    fheaders["resource"],
                    _("资源代码 '%(value)s' 不在“资源”工作表中") % {"value": owner},
                )
            )
            continue
        i = index_by_code[owner]
        located.field_rows[(i, len(resources[i]["fields"]))] = number
        resources[i]["fields"].append(spec)
    if errors:
        raise ValidationFailed(_("导入文件有误，未保存任何内容"), errors=errors)

    def locate(problem: Problem) -> FieldError:
        i, j, key, message = problem
        if j is None:
            row = located.resource_rows[i]
            letter = located.resource_columns.get(key)
            if key == "fields":
                return _cell_error(
                    RESOURCE_SHEET, row, None, "", _("资源在“信息项”工作表中没有信息项")
                )
            return _cell_error(RESOURCE_SHEET, row, letter, rheaders.get(key, ""), message)
        row = located.field_rows[(i, j)]
        return _cell_error(
            FIELD_SHEET, row, located.field_columns.get(key), fheaders.get(key, ""), message
        )

    return _catalogue_write(resources, locate)


# --- registry records and imported e-licences -------------------------------------------------


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


# --- reads for the public catalogue page ------------------------------------------------------


@dataclass(frozen=True)
class DepartmentCount:
    code: str
    name: str
    resources: int
    fields: int


def catalogue_department_counts() -> list[DepartmentCount]:
    """Active resources and their data items per providing department, in department order."""
    from django.db.models import Count, Q

    departments = (
        Department.objects.annotate(
            resource_count=Count(
                "data_resources", filter=Q(data_resources__is_active=True), distinct=True
            )
        )
        .filter(resource_count__gt=0)
        .order_by("order", "code")
    )
    field_counts = dict(
        DataField.objects.filter(resource__is_active=True)
        .values_list("resource__provider__code")
        .annotate(n=Count("id"))
        .values_list("resource__provider__code", "n")
    )
    return [
        DepartmentCount(
            code=d.code,
            name=d.display_name,
            resources=d.resource_count,
            fields=field_counts.get(d.code, 0),
        )
        for d in departments
    ]


def catalogue_resource_list(
    *, department: str | None = None, share_type: str | None = None, query: str = ""
) -> list[DataResource]:
    """Active resources filtered by provider, share type and words in names or data items."""
    from django.db.models import Count, Q

    errors: list[FieldError] = []
    if department and not Department.objects.filter(code=department).exists():
        errors.append(
            FieldError("department", _("未知的部门代码 '%(value)s'") % {"value": department})
        )
    if share_type and share_type not in ShareType.values:
        errors.append(
            FieldError("share_type", _("无效的共享类型 '%(value)s'") % {"value": share_type})
        )
    if len(query) > 50:
        errors.append(FieldError("q", _("搜索内容不能超过50个字")))
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors=errors)
    resources = DataResource.objects.filter(is_active=True).select_related("provider")
    if department:
        resources = resources.filter(provider__code=department)
    if share_type:
        resources = resources.filter(share_type=share_type)
    for word in query.split():
        matching = DataField.objects.filter(name__icontains=word).values("resource_id")
        resources = resources.filter(
            Q(name__icontains=word)
            | Q(code__icontains=word)
            | Q(description__icontains=word)
            | Q(id__in=matching)
        )
    return list(resources.annotate(field_count=Count("fields")).order_by("provider__order", "code"))


def catalogue_resource_get(*, code: str) -> DataResource:
    """One active resource with its provider; NotFound otherwise."""
    from tongban.core.errors import NotFound

    resource = (
        DataResource.objects.filter(code=code, is_active=True).select_related("provider").first()
    )
    if resource is None:
        raise NotFound(_("数据资源 %(code)s 不存在") % {"code": code})
    return resource
