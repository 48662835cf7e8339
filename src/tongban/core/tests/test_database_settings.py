"""The database options the settings derive from the environment (ADR 0015, round 8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.db import connection

_READ = (
    "import json; from tongban import settings as s; "
    "d = s.DATABASES['default']; "
    "print(json.dumps({'engine': d['ENGINE'], 'options': d.get('OPTIONS', {})}))"
)


def _database(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_SETTINGS"))
    }
    environ.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", _READ], env=environ, capture_output=True, text=True, check=False
    )


def _options(**env: str) -> dict[str, Any]:
    result = _database(**env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)["options"])


PG = "postgres://tongban@127.0.0.1:5432/tongban"


def test_postgresql_binds_parameters_on_the_server_and_prepares_repeated_statements() -> None:
    options = _options(DATABASE_URL=PG)
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5


@pytest.mark.parametrize("off", ["0", "false", "no", "off"])
def test_prepared_statements_can_be_switched_off_for_a_pooler(off: str) -> None:
    options = _options(DATABASE_URL=PG, DATABASE_PREPARED_STATEMENTS=off)
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


def test_sqlite_is_not_given_postgresql_options() -> None:
    options = _options(DATABASE_URL="sqlite:////tmp/tongban-settings-test.sqlite3")
    assert "server_side_binding" not in options
    assert options["transaction_mode"] == "IMMEDIATE"


def test_a_bad_switch_stops_the_start_with_its_name() -> None:
    result = _database(DATABASE_URL=PG, DATABASE_PREPARED_STATEMENTS="sometimes")
    assert result.returncode != 0
    assert "DATABASE_PREPARED_STATEMENTS must be a boolean" in result.stderr


@pytest.mark.django_db
def test_the_test_database_connection_uses_them_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (TEST_POSTGRES=1)")
    connection.ensure_connection()
    raw = connection.connection
    assert raw.prepare_threshold == 5
    assert raw.cursor_factory.__name__ == "ServerBindingCursor"
