"""What makes a start unsafe for production: core's own settings and what apps register."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tongban.core.production import (
    production_check_register,
    production_check_remove,
    production_problems,
)

pytestmark = pytest.mark.django_db

STRONG_KEY = "k" * 40


def _flagged() -> list[str]:
    return ["the flag is up"]


@pytest.fixture
def flag() -> Iterator[None]:
    production_check_register(_flagged)
    yield
    production_check_remove(_flagged)


def test_a_default_secret_key_is_a_problem(settings: object) -> None:
    with override_settings(SECRET_KEY="short"):
        assert any("SECRET_KEY" in p for p in production_problems())


def test_a_strong_secret_key_is_not(settings: object) -> None:
    with override_settings(SECRET_KEY=STRONG_KEY):
        assert not any("SECRET_KEY" in p for p in production_problems())


def test_problems_of_a_registered_check_are_reported_once(flag: None) -> None:
    production_check_register(_flagged)
    assert production_problems().count("the flag is up") == 1


def test_a_removed_check_is_no_longer_asked(flag: None) -> None:
    production_check_remove(_flagged)
    assert "the flag is up" not in production_problems()
