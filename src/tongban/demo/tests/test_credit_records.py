"""The demo district's credit records, entered through ``credit_record_create``."""

from __future__ import annotations

import pytest

from tongban.catalog.models import Department
from tongban.credit.models import CreditRecord
from tongban.credit.selectors import credit_status
from tongban.demo.district import district_read
from tongban.demo.loader import demo_credit_records_load

pytestmark = pytest.mark.django_db

DISTRICT = district_read()
DEMO_ENTERPRISE_USCC = DISTRICT.demo_enterprise["uscc"]
JOINT_PUNISHMENT_MEMO = "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）"


@pytest.fixture
def demo_departments(db: None) -> None:
    for code in {r["source_code"] for r in DISTRICT.credit_records}:
        Department.objects.get_or_create(code=code, defaults={"name": code})


def test_the_demo_records_load_once(demo_departments: None) -> None:
    created = demo_credit_records_load(DISTRICT.credit_records)
    assert created == len(DISTRICT.credit_records)
    assert demo_credit_records_load(DISTRICT.credit_records) == 0
    assert CreditRecord.objects.count() == created


def test_the_demo_enterprise_is_level_a_on_the_red_list(demo_departments: None) -> None:
    demo_credit_records_load(DISTRICT.credit_records)
    status = credit_status(subject=DEMO_ENTERPRISE_USCC)
    assert status.level == "A"
    assert status.lists == {"red"}
    assert status.joint_punishment is False


def test_one_demo_enterprise_is_under_key_supervision(demo_departments: None) -> None:
    demo_credit_records_load(DISTRICT.credit_records)
    supervised = [
        e
        for e in DISTRICT.enterprises
        if "key_supervision" in credit_status(subject=e["uscc"]).lists
    ]
    assert len(supervised) == 1
    assert supervised[0]["uscc"] != DEMO_ENTERPRISE_USCC


def test_one_demo_person_is_under_joint_punishment(demo_departments: None) -> None:
    demo_credit_records_load(DISTRICT.credit_records)
    punished = [
        p for p in DISTRICT.people if credit_status(subject=p["id_number"]).joint_punishment
    ]
    assert [p["name"] for p in punished] == ["刘洋"]
    assert credit_status(subject=punished[0]["id_number"]).legal_bases == [JOINT_PUNISHMENT_MEMO]
    # No demo account is punished, so the demo's own walk-throughs are not refused.
    assert punished[0]["username"] == ""
