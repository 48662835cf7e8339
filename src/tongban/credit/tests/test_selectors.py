from __future__ import annotations

import datetime as dt

import pytest

from tongban.catalog.models import Department
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.credit.selectors import credit_records_for, credit_status
from tongban.credit.services import credit_record_end
from tongban.credit.tests.factories import DAY, make_person_record, make_record

pytestmark = pytest.mark.django_db


def test_a_subject_without_records_has_an_empty_status(departments: dict[str, Department]) -> None:
    status = credit_status(subject=ENTERPRISE_USCC, today=DAY)
    assert status.level == ""
    assert status.lists == set()
    assert status.joint_punishment is False
    assert status.records == []
    assert status.has_records is False


def test_the_worst_valid_level_wins(departments: dict[str, Department]) -> None:
    make_record(level="A")
    make_record(level="C", source_code="police")
    make_record(level="B")
    assert credit_status(subject=ENTERPRISE_USCC, today=DAY).level == "C"


def test_expired_and_future_records_are_ignored(departments: dict[str, Department]) -> None:
    make_record(level="A")
    make_record(level="D", valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2026, 5, 31))
    make_record(level="D", valid_from=dt.date(2026, 6, 2))
    status = credit_status(subject=ENTERPRISE_USCC, today=DAY)
    assert status.level == "A"
    assert len(status.records) == 1


def test_a_record_holds_on_its_first_and_last_day(departments: dict[str, Department]) -> None:
    make_record(level="B", valid_from=DAY, valid_until=DAY)
    assert credit_status(subject=ENTERPRISE_USCC, today=DAY).level == "B"
    assert credit_status(subject=ENTERPRISE_USCC, today=DAY + dt.timedelta(days=1)).level == ""
    assert credit_status(subject=ENTERPRISE_USCC, today=DAY - dt.timedelta(days=1)).level == ""


def test_the_black_list_brings_joint_punishment_and_its_legal_basis(
    departments: dict[str, Department],
) -> None:
    basis = "《关于对失信被执行人实施联合惩戒的合作备忘录》"
    make_person_record(list_kind="red", level="", legal_basis="《红名单办法》")
    make_person_record(
        list_kind="black", level="D", reason="失信被执行人", legal_basis=basis, source_code="police"
    )
    status = credit_status(subject=APPLICANT_ID_NUMBER.lower(), today=DAY)
    assert status.lists == {"red", "black"}
    assert status.joint_punishment is True
    assert status.level == "D"
    assert status.legal_bases[0] == basis
    assert "失信联合惩戒黑名单" in status.reasons[0]
    assert "失信被执行人" in status.reasons[0]
    assert basis in status.reasons[0]


def test_key_supervision_alone_is_no_joint_punishment(departments: dict[str, Department]) -> None:
    make_record(list_kind="key_supervision", level="")
    status = credit_status(subject=ENTERPRISE_USCC, today=DAY)
    assert status.lists == {"key_supervision"}
    assert status.joint_punishment is False
    assert status.reasons == ["列入重点关注名单（市场监管局）：年度评价"]


def test_an_ended_record_no_longer_counts_from_its_end_day(
    departments: dict[str, Department],
) -> None:
    record = make_record(list_kind="black", level="D", legal_basis="《备忘录》")
    credit_record_end(actor=None, record=record, on=DAY, reason="已履行义务，信用修复")
    assert credit_status(subject=ENTERPRISE_USCC, today=DAY).joint_punishment is False
    yesterday = DAY - dt.timedelta(days=1)
    assert credit_status(subject=ENTERPRISE_USCC, today=yesterday).joint_punishment is True
    assert list(credit_records_for(subject=ENTERPRISE_USCC)) == [record]
