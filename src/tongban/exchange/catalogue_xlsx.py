"""The 政务信息资源目录 as an Excel workbook: export, and import through ``catalogue_upsert``.

The workbook has a sheet 资源 (one resource a row) and a sheet 信息项 (one
data item a row, naming its resource's code); an import names the sheet,
row and column of every bad cell and saves nothing then.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tongban.core.errors import FieldError, ValidationFailed
from tongban.exchange.catalogue import (
    CHOICE_FIELDS,
    RESOURCE_DEFAULTS,
    CatalogueSummary,
    Problem,
    catalogue_upsert,
    choice_value,
)
from tongban.exchange.choices import (
    DataType,
    OpenType,
    ResourceFormat,
    ShareType,
    SubjectKind,
    UpdateCycle,
)
from tongban.exchange.models import DataField, DataResource

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
                value = choice_value(CHOICE_FIELDS[key], text)
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
            elif key == "data_type" and text not in DataType.values:
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

    return catalogue_upsert(resources=resources, locate=locate)
