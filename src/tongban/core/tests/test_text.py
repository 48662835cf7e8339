"""The object of an application compares the same however it was typed."""

from __future__ import annotations

import pytest

from tongban.core.text import OBJECT_KEY_MAX, object_key_normalize


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("上海嘉定示范科技有限公司", "上海嘉定示范科技有限公司"),
        ("上海嘉定示范科技有限责任公司", "上海嘉定示范科技有限公司"),
        (
            "上海嘉定 示范科技　有限公司",
            "上海嘉定示范科技有限公司",
        ),  # a space, an ideographic space
        ("上海嘉定ＡＢＣ科技有限公司", "上海嘉定abc科技有限公司"),  # full-width Latin, any case
        ("上海嘉定示范股份有限公司", "上海嘉定示范股份公司"),
        ("沪（2024）嘉字不动产权第001234号", "沪(2024)嘉字不动产权第001234号"),
    ],
)
def test_variants_of_one_object_give_one_key(typed: str, same_as: str) -> None:
    assert object_key_normalize(typed) == object_key_normalize(same_as)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("上海嘉定示范科技有限公司", "上海嘉定示范贸易有限公司"),
        ("上海嘉定示范科技有限公司", "上海嘉定示范科技股份有限公司"),
        ("沪(2024)嘉字不动产权第001234号", "沪(2024)嘉字不动产权第001235号"),
    ],
)
def test_different_objects_keep_different_keys(one: str, other: str) -> None:
    assert object_key_normalize(one) != object_key_normalize(other)


def test_the_key_fits_its_column() -> None:
    assert len(object_key_normalize("名" * 500)) == OBJECT_KEY_MAX
    assert object_key_normalize("   ") == ""
