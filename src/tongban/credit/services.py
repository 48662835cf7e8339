"""Credit records: entering one, ending one early, importing a sheet of them from Excel."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tongban.catalog.models import Department
from tongban.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from tongban.core.zipguard import ZipLimitExceeded, zip_limits_check
from tongban.credit.choices import (
    LIST_ALIASES,
    SUBJECT_TYPE_ALIASES,
    CreditLevel,
    CreditList,
    SubjectType,
)
from tongban.credit.models import CreditRecord
from tongban.credit.selectors import credit_manager_is, subject_normalize
from tongban.identity.models import User
from tongban.identity.validators import resident_id_problem, uscc_problem

#: An import larger than this is refused before it is parsed.
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 5000
#: Stop listing row errors after this many; the sheet is refused either way.
IMPORT_MAX_ERRORS = 50


def _actor_check(actor: User | None) -> None:
    # actor None is the system itself (the demo loader, a migration), never a web request.
    if actor is not None and not credit_manager_is(user=actor):
        raise PermissionDenied(_("只有中心管理员可以维护信用记录"))


def _record_problems(
    *,
    subject_type: str,
    subject: str,
    subject_name: str,
    list_kind: str,
    level: str,
    source_code: str,
    reason: str,
    legal_basis: str,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
) -> dict[str, str]:
    """Field name → why the value is refused; empty when the record may be entered."""
    problems: dict[str, str] = {}
    if subject_type not in SubjectType.values:
        problems["subject_type"] = _("主体类型应为自然人或法人")
    elif not subject.strip():
        problems["subject"] = _("请填写主体标识")
    elif subject_type == SubjectType.PERSON:
        if problem := resident_id_problem(subject):
            problems["subject"] = problem
    elif problem := uscc_problem(subject):
        problems["subject"] = problem
    if not subject_name.strip():
        problems["subject_name"] = _("请填写主体名称")
    elif len(subject_name.strip()) > 200:
        problems["subject_name"] = _("主体名称不能超过200个字")
    if list_kind not in CreditList.values:
        problems["list_kind"] = _("未知的名单：%(value)s") % {"value": list_kind}
    if level and level not in CreditLevel.values:
        problems["level"] = _("信用等级应为 A、B、C、D 之一")
    if list_kind == CreditList.NONE and not level and "list_kind" not in problems:
        problems["level"] = _("记录须列入名单或给出信用等级")
    if not source_code.strip():
        problems["source_code"] = _("请填写来源部门")
    elif not Department.objects.filter(code=source_code.strip()).exists():
        problems["source_code"] = _("来源部门不存在：%(code)s") % {"code": source_code}
    if list_kind == CreditList.BLACK and not legal_basis.strip():
        problems["legal_basis"] = _("列入失信联合惩戒黑名单须注明依据")
    elif len(legal_basis.strip()) > 300:
        problems["legal_basis"] = _("依据不能超过300个字")
    if valid_from is None:
        problems["valid_from"] = _("请填写生效日期")
    elif valid_until is not None and valid_until < valid_from:
        problems["valid_until"] = _("有效期至不能早于生效日期")
    del reason  # free text; any length the column holds
    return problems


def _refusal(problems: dict[str, str]) -> ValidationFailed:
    return ValidationFailed(
        _("信用记录有误"), errors=[FieldError(name, msg) for name, msg in problems.items()]
    )


def _record_build(
    *,
    actor: User | None,
    subject_type: str,
    subject: str,
    subject_name: str,
    list_kind: str,
    level: str,
    source_code: str,
    reason: str,
    legal_basis: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
) -> CreditRecord:
    return CreditRecord(
        subject_type=subject_type,
        subject=subject_normalize(subject),
        subject_name=subject_name.strip(),
        list_kind=list_kind,
        level=level,
        source=Department.objects.get(code=source_code.strip()),
        reason=reason.strip(),
        legal_basis=legal_basis.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=actor,
    )


@transaction.atomic
def credit_record_create(
    *,
    actor: User | None,
    subject_type: str,
    subject: str,
    subject_name: str,
    list_kind: str = CreditList.NONE,
    level: str = "",
    source_code: str,
    reason: str = "",
    legal_basis: str = "",
    valid_from: dt.date,
    valid_until: dt.date | None = None,
) -> CreditRecord:
    """Enter one credit record about a person or an enterprise."""
    _actor_check(actor)
    values: dict[str, Any] = {
        "subject_type": subject_type,
        "subject": subject,
        "subject_name": subject_name,
        "list_kind": list_kind,
        "level": level,
        "source_code": source_code,
        "reason": reason,
        "legal_basis": legal_basis,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    problems = _record_problems(**values)
    if problems:
        raise _refusal(problems)
    record = _record_build(actor=actor, **values)
    record.save()
    return record


@transaction.atomic
def credit_record_end(
    *, actor: User | None, record: CreditRecord, on: dt.date, reason: str
) -> CreditRecord:
    """End a record's validity from ``on`` (信用修复, 移出名单); the record itself stays on file."""
    _actor_check(actor)
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if record.ended_on is not None:
        raise Conflict(_("该信用记录已于 %(day)s 终止") % {"day": record.ended_on.isoformat()})
    if record.valid_until is not None and record.valid_until < on:
        raise Conflict(_("该信用记录已过有效期，无需终止"))
    problems: dict[str, str] = {}
    if not reason.strip():
        problems["reason"] = _("请填写终止原因")
    if on < record.valid_from:
        problems["on"] = _("终止日期不能早于生效日期")
    if problems:
        raise _refusal(problems)
    record.ended_on = on
    record.end_reason = reason.strip()
    record.ended_by = actor
    record.save(update_fields=["ended_on", "end_reason", "ended_by", "updated_at"])
    return record


# --- Excel import ----------------------------------------------------------------------------

#: Columns of the import sheet, in template order: (header, record field).
IMPORT_COLUMNS: list[tuple[str, str]] = [
    ("主体类型", "subject_type"),
    ("主体标识", "subject"),
    ("主体名称", "subject_name"),
    ("名单", "list_kind"),
    ("信用等级", "level"),
    ("来源部门", "source_code"),
    ("事由", "reason"),
    ("依据", "legal_basis"),
    ("生效日期", "valid_from"),
    ("有效期至", "valid_until"),
]


@dataclass(frozen=True)
class ImportResult:
    created: int


class _CellError(Exception):
    pass


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _choice(value: object, choices: Any, aliases: Mapping[str, str], message: str) -> str:
    text = _text(value)
    if text in choices.values:
        return text
    if text.lower() in choices.values:
        return text.lower()
    for choice_value, label in choices.choices:
        if text == str(label):
            return str(choice_value)
    if text in aliases:
        return str(aliases[text])
    raise _CellError(message % {"value": text})


def _level(value: object) -> str:
    text = _text(value).upper().replace(" ", "")
    if text in ("", "无"):
        return ""
    text = text.removesuffix("级") if len(text) == 2 else text
    for choice_value, label in CreditLevel.choices:
        if text in (choice_value, str(label).replace(" ", "")):
            return str(choice_value)
    raise _CellError(_("信用等级应为 A、B、C、D 之一，而不是“%(value)s”") % {"value": _text(value)})


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def _date(value: object, *, required: bool) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        if required:
            raise _CellError(_("请填写日期"))
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _CellError(_("日期“%(value)s”无效，应为 YYYY-MM-DD") % {"value": text})


def _cell_value(name: str, raw: object) -> object:
    if name == "subject_type":
        return _choice(raw, SubjectType, SUBJECT_TYPE_ALIASES, _("未知的主体类型：“%(value)s”"))
    if name == "list_kind":
        return _choice(raw, CreditList, LIST_ALIASES, _("未知的名单：“%(value)s”"))
    if name == "level":
        return _level(raw)
    if name in ("valid_from", "valid_until"):
        return _date(raw, required=name == "valid_from")
    return _text(raw)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _where(row: int, index: int, header: str) -> str:
    return _("第%(row)d行 %(col)s列（%(header)s）") % {
        "row": row,
        "col": _column_letter(index),
        "header": header,
    }


def _read_bytes(file: Any) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if hasattr(file, "size") and file.size is not None and file.size > IMPORT_MAX_BYTES:
        raise ValidationFailed(_("文件过大"), errors=[FieldError("file", _("文件不能超过 5 MB"))])
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(IMPORT_MAX_BYTES + 1)
    return bytes(data)


def _sheet_rows(data: bytes) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationFailed(_("文件过大"), errors=[FieldError("file", _("文件不能超过 5 MB"))])
    try:
        zip_limits_check(io.BytesIO(data))
    except ZipLimitExceeded as exc:
        raise ValidationFailed(_("无法读取文件"), errors=[FieldError("file", str(exc))]) from exc
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise ValidationFailed(
            _("无法读取文件"), errors=[FieldError("file", _("不是有效的 Excel（.xlsx）文件"))]
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[object, ...]] = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(tuple(row))
            if len(rows) > IMPORT_MAX_ROWS + 1:
                raise ValidationFailed(
                    _("行数过多"),
                    errors=[
                        FieldError("file", _("一次最多导入 %(n)d 行") % {"n": IMPORT_MAX_ROWS})
                    ],
                )
        return rows
    finally:
        workbook.close()


def _header_map(header: tuple[object, ...]) -> dict[str, int]:
    """Record field → column index, refusing a sheet that lacks a column."""
    found = {_text(cell): index for index, cell in enumerate(header) if _text(cell)}
    columns: dict[str, int] = {}
    errors: list[FieldError] = []
    for label, name in IMPORT_COLUMNS:
        if label in found:
            columns[name] = found[label]
        else:
            errors.append(FieldError("file", _("第1行：缺少“%(label)s”列") % {"label": label}))
    if errors:
        raise ValidationFailed(_("表头不完整，请使用导入模板"), errors=errors)
    return columns


@transaction.atomic
def credit_import_xlsx(*, actor: User | None, file: Any) -> ImportResult:
    """Import credit records from the first sheet of an .xlsx file: every row or none."""
    _actor_check(actor)
    rows = _sheet_rows(_read_bytes(file))
    if not rows:
        raise ValidationFailed(_("文件是空的"), errors=[FieldError("file", _("文件中没有表头"))])
    columns = _header_map(rows[0])
    labels = {name: label for label, name in IMPORT_COLUMNS}
    errors: list[FieldError] = []
    pending: list[dict[str, Any]] = []
    for row_number, row in enumerate(rows[1:], start=2):
        if all(_text(cell) == "" for cell in row):
            continue
        values: dict[str, Any] = {}
        bad_cells: set[str] = set()
        for name, index in columns.items():
            raw = row[index] if index < len(row) else None
            try:
                values[name] = _cell_value(name, raw)
            except _CellError as exc:
                bad_cells.add(name)
                where = _where(row_number, index, labels[name])
                errors.append(FieldError(f"{_column_letter(index)}{row_number}", f"{where}：{exc}"))
        if not bad_cells:
            for name, message in _record_problems(**values).items():
                index = columns[name]
                where = _where(row_number, index, labels[name])
                errors.append(
                    FieldError(f"{_column_letter(index)}{row_number}", f"{where}：{message}")
                )
            pending.append(values)
        if len(errors) >= IMPORT_MAX_ERRORS:
            break
    if errors:
        raise ValidationFailed(
            _("导入文件有 %(n)d 处错误，未导入任何记录") % {"n": len(errors)}, errors=errors
        )
    if not pending:
        raise ValidationFailed(
            _("文件中没有数据行"), errors=[FieldError("file", _("文件中没有数据行"))]
        )
    CreditRecord.objects.bulk_create([_record_build(actor=actor, **v) for v in pending])
    return ImportResult(created=len(pending))


def credit_template_xlsx() -> bytes:
    """An empty import sheet with the column headers, drop-down lists and an instructions sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = _("信用记录")
    sheet.append([label for label, _name in IMPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [10, 22, 30, 20, 10, 14, 30, 40, 14, 14]
    for index, width in enumerate(widths):
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = width
    # 18-digit numbers lose their last digits as Excel numbers: keep the identifier as text.
    for row in range(2, 1002):
        sheet.cell(row=row, column=2).number_format = "@"
    dropdowns = {
        "A": [str(label) for _v, label in SubjectType.choices],
        "D": [str(label) for _v, label in CreditList.choices],
        "E": [str(v) for v in CreditLevel.values],
    }
    for letter, options in dropdowns.items():
        validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"')
        validation.add(f"{letter}2:{letter}1001")
        sheet.add_data_validation(validation)
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("列"), _("说明")])
    notes.append([_("主体类型"), _("自然人 或 法人")])
    notes.append([_("主体标识"), _("自然人填身份证号，法人填统一社会信用代码（文本格式）")])
    notes.append([_("名单"), _("守信红名单 / 失信联合惩戒黑名单 / 重点关注名单 / 未列入名单")])
    notes.append([_("信用等级"), _("A、B、C、D（D 最差），可空；名单与等级至少填一项")])
    notes.append([_("来源部门"), _("部门代码，例如 market、tax")])
    notes.append([_("依据"), _("列入失信联合惩戒黑名单时必填")])
    notes.append([_("生效日期 / 有效期至"), _("YYYY-MM-DD；有效期至可空（长期有效）")])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 70
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
