from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.catalog.models import Department
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.core.errors import PermissionDenied, ValidationFailed
from tongban.credit.models import CreditRecord
from tongban.credit.selectors import credit_status
from tongban.credit.services import credit_import_xlsx, credit_template_xlsx
from tongban.credit.tests.factories import GOOD_ROWS, HEADERS, xlsx
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


def _refusal(data: bytes, actor: User | None = None) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        credit_import_xlsx(actor=actor, file=SimpleUploadedFile("credit.xlsx", data))
    assert CreditRecord.objects.count() == 0
    return [str(e.message) for e in caught.value.errors]


def _with(row: int, column: int, value: Any) -> list[list[Any]]:
    rows = [list(r) for r in GOOD_ROWS]
    rows[row][column] = value
    return rows


def test_a_center_admin_imports_a_good_sheet(
    departments: dict[str, Department], center_admin: User
) -> None:
    result = credit_import_xlsx(
        actor=center_admin, file=SimpleUploadedFile("c.xlsx", xlsx(GOOD_ROWS))
    )
    assert result.created == 3
    person = CreditRecord.objects.get(subject=APPLICANT_ID_NUMBER)
    assert person.list_kind == "black"
    assert person.valid_until == dt.date(2029, 1, 31)
    assert person.created_by == center_admin
    supervised = CreditRecord.objects.get(list_kind="key_supervision")
    assert supervised.valid_from == dt.date(2026, 3, 1)
    assert supervised.valid_until == dt.date(2027, 2, 28)
    status = credit_status(subject=ENTERPRISE_USCC, today=dt.date(2026, 6, 1))
    assert status.lists == {"red", "key_supervision"}
    assert status.level == "A"


def test_the_template_with_rows_added_imports(departments: dict[str, Department]) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(credit_template_xlsx()))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    sheet.append(GOOD_ROWS[0])
    out = io.BytesIO()
    workbook.save(out)
    assert credit_import_xlsx(actor=None, file=out.getvalue()).created == 1


def test_blank_rows_are_skipped(departments: dict[str, Department]) -> None:
    rows = [GOOD_ROWS[0], [None] * 10, GOOD_ROWS[1]]
    assert credit_import_xlsx(actor=None, file=xlsx(rows)).created == 2


def test_it_refuses_a_clerk(departments: dict[str, Department], clerk: User) -> None:
    with pytest.raises(PermissionDenied):
        credit_import_xlsx(actor=clerk, file=xlsx(GOOD_ROWS))
    assert CreditRecord.objects.count() == 0


def test_it_refuses_a_bad_credit_code_naming_row_and_column(
    departments: dict[str, Department],
) -> None:
    bad = ENTERPRISE_USCC[:-1] + ("0" if ENTERPRISE_USCC[-1] != "0" else "1")
    messages = _refusal(xlsx(_with(0, 1, bad)))
    assert messages == ["第2行 B列（主体标识）：统一社会信用代码校验码错误"]


def test_it_refuses_a_bad_date_naming_row_and_column(departments: dict[str, Department]) -> None:
    messages = _refusal(xlsx(_with(1, 8, "2026-13-45")))
    assert messages == ["第3行 I列（生效日期）：日期“2026-13-45”无效，应为 YYYY-MM-DD"]


def test_it_refuses_a_missing_start_date(departments: dict[str, Department]) -> None:
    messages = _refusal(xlsx(_with(2, 8, None)))
    assert messages == ["第4行 I列（生效日期）：请填写日期"]


def test_it_refuses_an_unknown_list(departments: dict[str, Department]) -> None:
    messages = _refusal(xlsx(_with(0, 3, "灰名单")))
    assert messages == ["第2行 D列（名单）：未知的名单：“灰名单”"]


def test_it_refuses_an_unknown_level(departments: dict[str, Department]) -> None:
    messages = _refusal(xlsx(_with(0, 4, "AAA")))
    assert messages == ["第2行 E列（信用等级）：信用等级应为 A、B、C、D 之一，而不是“AAA”"]


def test_it_refuses_an_unknown_subject_type(departments: dict[str, Department]) -> None:
    messages = _refusal(xlsx(_with(0, 0, "机器人")))
    assert messages == ["第2行 A列（主体类型）：未知的主体类型：“机器人”"]


def test_it_refuses_an_unknown_department(departments: dict[str, Department]) -> None:
    messages = _refusal(xlsx(_with(1, 5, "court")))
    assert messages == ["第3行 F列（来源部门）：来源部门不存在：court"]


def test_it_refuses_a_black_list_row_without_legal_basis(
    departments: dict[str, Department],
) -> None:
    messages = _refusal(xlsx(_with(1, 7, "")))
    assert messages == ["第3行 H列（依据）：列入失信联合惩戒黑名单须注明依据"]


def test_it_refuses_an_end_before_the_start(departments: dict[str, Department]) -> None:
    messages = _refusal(xlsx(_with(1, 9, "2025-01-01")))
    assert messages == ["第3行 J列（有效期至）：有效期至不能早于生效日期"]


def test_it_lists_every_bad_row(departments: dict[str, Department]) -> None:
    rows = _with(0, 3, "灰名单")
    rows[2][8] = "昨天"
    messages = _refusal(xlsx(rows))
    assert [m.split("：")[0] for m in messages] == ["第2行 D列（名单）", "第4行 I列（生效日期）"]


def test_it_refuses_a_missing_column(departments: dict[str, Department]) -> None:
    headers = [h for h in HEADERS if h != "来源部门"]
    rows = [[v for i, v in enumerate(r) if i != 5] for r in GOOD_ROWS]
    assert _refusal(xlsx(rows, headers=headers)) == ["第1行：缺少“来源部门”列"]


def test_columns_may_come_in_any_order(departments: dict[str, Department]) -> None:
    headers = list(reversed(HEADERS))
    rows = [list(reversed(r)) for r in GOOD_ROWS]
    assert credit_import_xlsx(actor=None, file=xlsx(rows, headers=headers)).created == 3


def test_it_refuses_a_file_that_is_not_excel(departments: dict[str, Department]) -> None:
    assert _refusal(b"subject,name\n1,2\n") == ["不是有效的 Excel（.xlsx）文件"]


def test_it_refuses_a_sheet_without_data_rows(departments: dict[str, Department]) -> None:
    assert _refusal(xlsx([])) == ["文件中没有数据行"]


def test_it_refuses_a_file_over_the_size_limit(
    departments: dict[str, Department], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tongban.credit.services.IMPORT_MAX_BYTES", 100)
    assert _refusal(xlsx(GOOD_ROWS)) == ["文件不能超过 5 MB"]


def test_it_refuses_too_many_rows(
    departments: dict[str, Department], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tongban.credit.services.IMPORT_MAX_ROWS", 2)
    assert _refusal(xlsx(GOOD_ROWS)) == ["一次最多导入 2 行"]


def test_it_stops_listing_after_fifty_errors(departments: dict[str, Department]) -> None:
    rows = [list(GOOD_ROWS[0]) for _ in range(80)]
    for row in rows:
        row[3] = "灰名单"
    assert len(_refusal(xlsx(rows))) == 50
