import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from tongban.identity.numbers import org_code_check_char, resident_id_make, uscc_make
from tongban.identity.validators import (
    USCC_ALPHABET,
    resident_id_problem,
    uscc_problem,
    validate_resident_id,
    validate_uscc,
)

# The worked examples printed in GB 11643-1999 and GB 32100-2015.
GB11643_EXAMPLE = "11010519491231002X"
GB32100_EXAMPLE = "91350100M000100Y43"


def test_it_accepts_the_gb_11643_example() -> None:
    assert resident_id_problem(GB11643_EXAMPLE) is None
    validate_resident_id(GB11643_EXAMPLE)


def test_it_accepts_the_gb_32100_example() -> None:
    assert uscc_problem(GB32100_EXAMPLE) is None
    validate_uscc(GB32100_EXAMPLE)


def test_it_accepts_a_lower_case_x_check_character() -> None:
    assert resident_id_problem(GB11643_EXAMPLE.lower()) is None


def test_it_refuses_a_wrong_resident_id_check_digit() -> None:
    assert resident_id_problem("110105194912310021") == "身份证号校验码错误"
    with pytest.raises(ValidationError):
        validate_resident_id("110105194912310021")


def test_it_refuses_february_the_thirtieth() -> None:
    first17 = "11010519490230002"
    from tongban.identity.validators import resident_id_check_char

    assert resident_id_problem(first17 + resident_id_check_char(first17)) == (
        "身份证号中的出生日期无效"
    )


def test_it_refuses_a_birth_date_in_the_future() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    number = resident_id_make(area="310101", birth=tomorrow, sequence=1)
    assert resident_id_problem(number) == "身份证号中的出生日期无效"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "身份证号应为18位"),
        ("11010519491231002", "身份证号应为18位"),
        ("1101051949123100XX", "身份证号前17位应为数字，末位为数字或X"),
        ("01010519491231002X", "身份证号的地区码无效"),
    ],
)
def test_it_refuses_malformed_resident_ids(number: str, reason: str) -> None:
    assert resident_id_problem(number) == reason


def test_it_refuses_a_wrong_credit_code_check_character() -> None:
    assert uscc_problem("91350100M000100Y44") == "统一社会信用代码校验码错误"
    with pytest.raises(ValidationError):
        validate_uscc("91350100M000100Y44")


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_it_refuses_letters_the_credit_code_never_uses(letter: str) -> None:
    number = "91350100M000100" + letter + "43"
    assert uscc_problem(number) == "统一社会信用代码含有无效字符（不使用I、O、Z、S、V）"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("91350100M000100Y4", "统一社会信用代码应为18位"),
        ("X1350100M000100Y43", "统一社会信用代码的登记管理部门码无效"),
        ("9135A100M000100Y43", "统一社会信用代码的行政区划码应为6位数字"),
    ],
)
def test_it_refuses_malformed_credit_codes(number: str, reason: str) -> None:
    assert uscc_problem(number) == reason


def test_the_makers_reproduce_the_published_examples() -> None:
    assert resident_id_make(area="110105", birth=dt.date(1949, 12, 31), sequence=2) == (
        GB11643_EXAMPLE
    )
    assert org_code_check_char("M000100Y") == "4"
    assert uscc_make(area="350100", org="M000100Y") == GB32100_EXAMPLE


def test_the_maker_refuses_an_impossible_sequence() -> None:
    with pytest.raises(ValueError, match="sequence"):
        resident_id_make(area="310101", birth=dt.date(1990, 1, 1), sequence=1000)


areas = st.sampled_from(["110105", "310101", "310114", "440305", "510107", "650102"])
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31))
sequences = st.integers(min_value=0, max_value=999)
org_bodies = st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8)


@given(area=areas, birth=births, sequence=sequences)
def test_every_made_resident_id_is_valid(area: str, birth: dt.date, sequence: int) -> None:
    assert resident_id_problem(resident_id_make(area=area, birth=birth, sequence=sequence)) is None


@given(authority=st.sampled_from(sorted("159Y")), area=areas, org=org_bodies, data=st.data())
def test_every_made_credit_code_is_valid(
    authority: str, area: str, org: str, data: st.DataObject
) -> None:
    org9 = org + data.draw(st.sampled_from(USCC_ALPHABET))
    assert uscc_problem(uscc_make(authority=authority, area=area, org=org9)) is None


@given(area=areas, birth=births, sequence=sequences, data=st.data())
def test_changing_one_character_of_a_resident_id_is_refused(
    area: str, birth: dt.date, sequence: int, data: st.DataObject
) -> None:
    number = resident_id_make(area=area, birth=birth, sequence=sequence)
    position = data.draw(st.integers(min_value=0, max_value=17))
    allowed = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in allowed if c != number[position]]))
    corrupted = number[:position] + replacement + number[position + 1 :]
    assert resident_id_problem(corrupted) is not None


@given(area=areas, org=org_bodies, data=st.data())
def test_changing_one_character_of_a_credit_code_is_refused(
    area: str, org: str, data: st.DataObject
) -> None:
    number = uscc_make(area=area, org=org)
    position = data.draw(st.integers(min_value=0, max_value=17))
    replacement = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != number[position]]))
    corrupted = number[:position] + replacement + number[position + 1 :]
    assert uscc_problem(corrupted) is not None
