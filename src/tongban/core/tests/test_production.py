"""What makes a start unsafe for production: core's own settings and what apps register."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from tongban import cli
from tongban.core.production import (
    production_check_register,
    production_check_remove,
    production_command_problems,
    production_problems,
)

pytestmark = pytest.mark.django_db

STRONG_KEY = "k" * 40
DEFAULT_SECRET_KEY = django_settings.DEFAULT_SECRET_KEY


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


# --- every production entry point refuses, not only `serve` -----------------------------------

ENTRY_POINTS = ["worker", "migrate", "simulate", "demo", "sla", "payments", "createsuperuser"]


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_a_production_command_refuses_the_default_secret(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        override_settings(PRODUCTION=True, SECRET_KEY=DEFAULT_SECRET_KEY),
        pytest.raises(SystemExit) as stopped,
    ):
        cli.main(["tongban", command])
    assert stopped.value.code == 2
    assert "refusing to run in production" in capsys.readouterr().err


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_a_production_command_refuses_what_an_app_flags(
    command: str, flag: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        override_settings(PRODUCTION=True, SECRET_KEY=STRONG_KEY),
        pytest.raises(SystemExit) as stopped,
    ):
        cli.main(["tongban", command])
    assert stopped.value.code == 2
    assert "the flag is up" in capsys.readouterr().err


def test_repair_commands_and_development_are_let_through(flag: None) -> None:
    with override_settings(PRODUCTION=True, SECRET_KEY=DEFAULT_SECRET_KEY):
        assert production_command_problems("changepassword") == []
        assert production_command_problems("check") == []
        assert production_command_problems("--help") == []
    with override_settings(PRODUCTION=False, SECRET_KEY=DEFAULT_SECRET_KEY):
        assert production_command_problems("worker") == []


def test_a_safe_production_installation_runs_commands() -> None:
    with override_settings(PRODUCTION=True, SECRET_KEY=STRONG_KEY):
        assert production_command_problems("worker") == []
