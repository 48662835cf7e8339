from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tongban.catalog.models import Department
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongban.credit.models import CreditRecord
from tongban.credit.services import credit_record_create, credit_record_end
from tongban.credit.tests.factories import DAY, make_record, record_kwargs
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


def _refused_fields(**overrides: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        credit_record_create(actor=None, **record_kwargs(**overrides))
    assert CreditRecord.objects.count() == 0
    return [e.field for e in caught.value.errors]


def test_a_center_admin_enters_a_record(
    departments: dict[str, Department], center_admin: User
) -> None:
    record = credit_record_create(
        actor=center_admin, **record_kwargs(subject=ENTERPRISE_USCC.lower() + " ")
    )
    assert record.subject == ENTERPRISE_USCC
    assert record.created_by == center_admin
    assert record.source.code == "market"


def test_it_refuses_a_clerk(departments: dict[str, Department], clerk: User) -> None:
    with pytest.raises(PermissionDenied):
        credit_record_create(actor=clerk, **record_kwargs())
    assert CreditRecord.objects.count() == 0


def test_it_refuses_an_unknown_subject_type(departments: dict[str, Department]) -> None:
    assert _refused_fields(subject_type="robot") == ["subject_type"]


def test_it_refuses_a_credit_code_with_a_wrong_check_digit(
    departments: dict[str, Department],
) -> None:
    bad = ENTERPRISE_USCC[:-1] + ("0" if ENTERPRISE_USCC[-1] != "0" else "1")
    assert _refused_fields(subject=bad) == ["subject"]


def test_it_refuses_a_resident_id_given_for_an_enterprise(
    departments: dict[str, Department],
) -> None:
    assert _refused_fields(subject=APPLICANT_ID_NUMBER) == ["subject"]


def test_it_refuses_a_bad_resident_id_for_a_person(departments: dict[str, Department]) -> None:
    bad = APPLICANT_ID_NUMBER[:-1] + ("1" if APPLICANT_ID_NUMBER[-1] != "1" else "2")
    assert _refused_fields(subject_type="person", subject=bad) == ["subject"]


def test_it_refuses_an_empty_subject(departments: dict[str, Department]) -> None:
    assert _refused_fields(subject="  ") == ["subject"]


def test_it_refuses_an_empty_name(departments: dict[str, Department]) -> None:
    assert _refused_fields(subject_name=" ") == ["subject_name"]


def test_it_refuses_an_overlong_name(departments: dict[str, Department]) -> None:
    assert _refused_fields(subject_name="名" * 201) == ["subject_name"]


def test_it_refuses_an_unknown_list(departments: dict[str, Department]) -> None:
    assert _refused_fields(list_kind="grey") == ["list_kind"]


def test_it_refuses_an_unknown_level(departments: dict[str, Department]) -> None:
    assert _refused_fields(level="E") == ["level"]


def test_it_refuses_a_record_with_neither_list_nor_level(
    departments: dict[str, Department],
) -> None:
    assert _refused_fields(list_kind="none", level="") == ["level"]


def test_it_refuses_an_unknown_source_department(departments: dict[str, Department]) -> None:
    assert _refused_fields(source_code="court") == ["source_code"]


def test_it_refuses_an_empty_source_department(departments: dict[str, Department]) -> None:
    assert _refused_fields(source_code="") == ["source_code"]


def test_it_refuses_a_black_list_entry_without_legal_basis(
    departments: dict[str, Department],
) -> None:
    assert _refused_fields(list_kind="black", legal_basis=" ") == ["legal_basis"]


def test_it_refuses_an_overlong_legal_basis(departments: dict[str, Department]) -> None:
    assert _refused_fields(legal_basis="依" * 301) == ["legal_basis"]


def test_it_refuses_a_validity_that_ends_before_it_starts(
    departments: dict[str, Department],
) -> None:
    fields = _refused_fields(valid_from=dt.date(2026, 5, 1), valid_until=dt.date(2026, 4, 30))
    assert fields == ["valid_until"]


def test_it_reports_every_bad_field_at_once(departments: dict[str, Department]) -> None:
    fields = _refused_fields(subject="X", subject_name="", source_code="court", level="Z")
    assert set(fields) == {"subject", "subject_name", "source_code", "level"}


def test_ending_a_record_keeps_it_with_who_and_why(
    departments: dict[str, Department], center_admin: User
) -> None:
    record = make_record()
    ended = credit_record_end(actor=center_admin, record=record, on=DAY, reason="信用修复")
    assert ended.ended_on == DAY
    assert ended.ended_by == center_admin
    assert ended.end_reason == "信用修复"
    assert CreditRecord.objects.count() == 1


def test_ending_refuses_a_clerk(departments: dict[str, Department], clerk: User) -> None:
    record = make_record()
    with pytest.raises(PermissionDenied):
        credit_record_end(actor=clerk, record=record, on=DAY, reason="信用修复")
    record.refresh_from_db()
    assert record.ended_on is None


def test_ending_refuses_an_empty_reason(departments: dict[str, Department]) -> None:
    record = make_record()
    with pytest.raises(ValidationFailed) as caught:
        credit_record_end(actor=None, record=record, on=DAY, reason=" ")
    assert [e.field for e in caught.value.errors] == ["reason"]
    record.refresh_from_db()
    assert record.ended_on is None


def test_ending_refuses_a_day_before_the_record_starts(
    departments: dict[str, Department],
) -> None:
    record = make_record(valid_from=DAY)
    with pytest.raises(ValidationFailed) as caught:
        credit_record_end(actor=None, record=record, on=DAY - dt.timedelta(days=1), reason="错录")
    assert [e.field for e in caught.value.errors] == ["on"]


def test_ending_refuses_a_record_ended_already(departments: dict[str, Department]) -> None:
    record = make_record()
    credit_record_end(actor=None, record=record, on=DAY, reason="信用修复")
    with pytest.raises(Conflict):
        credit_record_end(actor=None, record=record, on=DAY, reason="再次")


def test_ending_refuses_a_record_that_has_expired(departments: dict[str, Department]) -> None:
    record = make_record(valid_until=dt.date(2026, 3, 1))
    with pytest.raises(Conflict):
        credit_record_end(actor=None, record=record, on=DAY, reason="信用修复")
