"""The pure reads of a case, each rule written once (cases.rules)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tongban.cases import rules
from tongban.cases.models import Case
from tongban.catalog.models import MatterVersion


def _case(guide: dict[str, Any]) -> Case:
    return Case(matter_version=MatterVersion(guide=guide))


@pytest.mark.parametrize(
    ("fee", "expected"),
    [
        (None, "0.00"),
        ("", "0.00"),
        ("0", "0.00"),
        (80, "80.00"),
        ("80.5", "80.50"),
        ("12.345", "12.35"),  # 四舍五入 to the fen, not banker's rounding
        ("12.325", "12.33"),
        ("-5", "0.00"),
        ("Infinity", "0.00"),
        ("NaN", "0.00"),
        ("八十元", "0.00"),
        ([1], "0.00"),
    ],
)
def test_the_fee_is_yuan_to_the_fen_and_zero_when_free_or_unreadable(
    fee: object, expected: str
) -> None:
    result = rules.case_fee(case=_case({"fee": fee}))
    assert result == Decimal(expected)
    assert str(result) == expected


def test_a_case_without_a_guide_is_free() -> None:
    assert rules.case_fee(case=Case()) == Decimal("0.00")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (None, "accept"),
        ({}, "accept"),
        ({"payment_at": "decide"}, "decide"),
        ({"payment_at": "accept"}, "accept"),
        ({"payment_at": "whenever"}, "accept"),
        ("decide", "accept"),
    ],
)
def test_the_fee_is_charged_at_acceptance_unless_the_process_says_decide(
    params: object, expected: str
) -> None:
    assert rules.case_payment_step(case=_case({"process_params": params})) == expected


def test_a_matter_case_is_checked_against_its_own_form_schema() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    assert rules.case_form_schema(_case({"form_schema": schema})) == schema
    assert rules.case_form_schema(_case({})) == {"type": "object", "properties": {}}


def test_the_certificate_type_code_is_read_from_the_guide() -> None:
    assert rules.case_certificate_type_code(_case({"certificate_type": {"code": "x"}})) == "x"
    assert rules.case_certificate_type_code(_case({"certificate_type": "x"})) == ""
    assert rules.case_certificate_type_code(_case({})) == ""
