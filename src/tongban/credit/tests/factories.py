"""Factories for credit records and import sheets, built through the services."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.credit.choices import CreditList, SubjectType
from tongban.credit.models import CreditRecord
from tongban.credit.services import IMPORT_COLUMNS, credit_record_create

DAY = dt.date(2026, 6, 1)


def record_kwargs(**overrides: Any) -> dict[str, Any]:
    """Arguments of a valid record: the cast enterprise, level A from market, open-ended."""
    values: dict[str, Any] = {
        "subject_type": SubjectType.ENTERPRISE,
        "subject": ENTERPRISE_USCC,
        "subject_name": "上海通办示范科技有限公司",
        "list_kind": CreditList.NONE,
        "level": "A",
        "source_code": "market",
        "reason": "年度评价",
        "legal_basis": "",
        "valid_from": dt.date(2026, 1, 1),
        "valid_until": None,
    }
    values.update(overrides)
    return values


def make_record(**overrides: Any) -> CreditRecord:
    return credit_record_create(actor=None, **record_kwargs(**overrides))


def make_person_record(**overrides: Any) -> CreditRecord:
    values = {
        "subject_type": SubjectType.PERSON,
        "subject": APPLICANT_ID_NUMBER,
        "subject_name": "张三",
        **overrides,
    }
    return make_record(**values)


HEADERS = [label for label, _name in IMPORT_COLUMNS]

GOOD_ROWS: list[list[Any]] = [
    ["法人", ENTERPRISE_USCC, "上海通办示范科技有限公司", "守信红名单", "A", "market",
     "纳税信用A级", "《纳税信用管理办法》", "2026-01-01", ""],
    ["自然人", APPLICANT_ID_NUMBER, "张三", "失信联合惩戒黑名单", "D", "police",
     "失信被执行人", "《关于对失信被执行人实施联合惩戒的合作备忘录》", dt.date(2026, 2, 1),
     dt.date(2029, 1, 31)],
    ["enterprise", ENTERPRISE_USCC, "上海通办示范科技有限公司", "key_supervision", "", "market",
     "行政处罚", "", "2026/03/01", "2027年2月28日"],
]  # fmt: skip


def xlsx(rows: list[list[Any]], headers: list[str] | None = None) -> bytes:
    """An .xlsx file with ``headers`` (the template's by default) and ``rows``."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS if headers is None else headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
