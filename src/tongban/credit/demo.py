"""Credit records of the demo district; the demo loader calls ``credit_demo_load``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from tongban.credit.choices import CreditLevel, CreditList, SubjectType
from tongban.credit.models import CreditRecord
from tongban.credit.services import credit_record_create

JOINT_PUNISHMENT_MEMO = "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）"


def _person(name: str) -> dict[str, Any]:
    from tongban.demo.data.people import PEOPLE

    return next(p for p in PEOPLE if p["name"] == name)


def _enterprise(name: str) -> dict[str, Any]:
    from tongban.demo.data.people import ENTERPRISES

    return next(e for e in ENTERPRISES if e["name"] == name)


def credit_demo_records() -> list[dict[str, Any]]:
    """The demo credit records, as keyword arguments of ``credit_record_create``."""
    from tongban.demo.data.people import DEMO_ENTERPRISE_USCC

    jiatong = _enterprise("上海嘉通餐饮管理有限公司")
    assert jiatong["uscc"] == DEMO_ENTERPRISE_USCC
    liucheng = _enterprise("上海疁城文化传播有限公司")
    huijia = _enterprise("上海汇嘉医药连锁有限公司")
    liu = _person("刘洋")
    return [
        {
            "subject_type": SubjectType.ENTERPRISE,
            "subject": jiatong["uscc"],
            "subject_name": jiatong["name"],
            "list_kind": CreditList.NONE,
            "level": CreditLevel.A,
            "source_code": "development",
            "reason": "2025年度公共信用综合评价",
            "legal_basis": "《上海市社会信用条例》",
            "valid_from": dt.date(2025, 4, 1),
            "valid_until": dt.date(2029, 3, 31),
        },
        {
            "subject_type": SubjectType.ENTERPRISE,
            "subject": jiatong["uscc"],
            "subject_name": jiatong["name"],
            "list_kind": CreditList.RED,
            "level": "",
            "source_code": "tax",
            "reason": "纳税信用A级纳税人",
            "legal_basis": "《纳税信用管理办法（试行）》",
            "valid_from": dt.date(2025, 4, 1),
            "valid_until": dt.date(2029, 3, 31),
        },
        {
            "subject_type": SubjectType.ENTERPRISE,
            "subject": huijia["uscc"],
            "subject_name": huijia["name"],
            "list_kind": CreditList.NONE,
            "level": CreditLevel.B,
            "source_code": "development",
            "reason": "2025年度公共信用综合评价",
            "legal_basis": "《上海市社会信用条例》",
            "valid_from": dt.date(2025, 4, 1),
            "valid_until": dt.date(2029, 3, 31),
        },
        {
            "subject_type": SubjectType.ENTERPRISE,
            "subject": liucheng["uscc"],
            "subject_name": liucheng["name"],
            "list_kind": CreditList.KEY_SUPERVISION,
            "level": CreditLevel.C,
            "source_code": "culture",
            "reason": "营业性演出未按规定报送演出内容，受到行政处罚",
            "legal_basis": "《营业性演出管理条例》第四十四条",
            "valid_from": dt.date(2025, 9, 1),
            "valid_until": dt.date(2028, 8, 31),
        },
        {
            "subject_type": SubjectType.PERSON,
            "subject": liu["id_number"],
            "subject_name": liu["name"],
            "list_kind": CreditList.BLACK,
            "level": CreditLevel.D,
            "source_code": "development",
            "reason": "失信被执行人：有履行能力而拒不履行生效法律文书确定的义务",
            "legal_basis": JOINT_PUNISHMENT_MEMO,
            "valid_from": dt.date(2025, 3, 15),
            "valid_until": dt.date(2029, 3, 14),
        },
    ]


@transaction.atomic
def credit_demo_load() -> int:
    """Enter the demo credit records that are missing; returns how many were created."""
    created = 0
    for item in credit_demo_records():
        exists = CreditRecord.objects.filter(
            subject=item["subject"],
            list_kind=item["list_kind"],
            level=item["level"],
            source__code=item["source_code"],
            valid_from=item["valid_from"],
        ).exists()
        if not exists:
            credit_record_create(actor=None, **item)
            created += 1
    return created
