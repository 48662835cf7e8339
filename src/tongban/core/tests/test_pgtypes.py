"""``timestamptz`` values read through psycopg's C loader equal what Django's loader gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

from tongban.core.pgtypes import TimestamptzLoader, timestamptz_loader_register

pytestmark = pytest.mark.django_db

VALUES = [
    "2026-12-05 12:34:56.123456+00",
    "2026-12-05 20:34:56+08",
    "2026-03-29 01:59:59.999999-05:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2000-02-29 00:00:00.5+14",
]


def _postgresql() -> Any:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (TEST_POSTGRES=1)")
    connection.ensure_connection()
    return connection.connection


def test_each_new_connection_reads_timestamps_through_it() -> None:
    raw = _postgresql()
    loader = raw.adapters.get_loader(1184, 0)
    assert issubclass(loader, TimestamptzLoader)
    assert loader.timezone is connection.timezone


@pytest.mark.parametrize("text", VALUES)
def test_the_same_datetime_as_djangos_loader(text: str) -> None:
    raw = _postgresql()

    class Django(BaseTzLoader):
        timezone = connection.timezone

    ours = raw.adapters.get_loader(1184, 0)(1184, raw).load(text.encode())
    theirs = Django(1184, raw).load(text.encode())
    assert ours == theirs
    assert ours.tzinfo is theirs.tzinfo


def test_rows_read_by_the_orm_and_a_cursor_are_aware_utc() -> None:
    _postgresql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, now()", ["2026-12-05 20:00:00+08"])
        value, now = cursor.fetchone()
    assert value == datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert value.tzinfo is connection.timezone
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=5)


def test_another_timezone_on_the_connection_is_kept() -> None:
    raw = _postgresql()
    plus8 = timezone(timedelta(hours=8))

    class Fake:
        vendor = "postgresql"
        timezone = plus8

    Fake.connection = raw  # type: ignore[attr-defined]
    try:
        timestamptz_loader_register(connection=Fake())
        value = raw.adapters.get_loader(1184, 0)(1184, raw).load(b"2026-12-05 12:00:00+00")
        assert value.tzinfo is plus8
    finally:
        timestamptz_loader_register(connection=connection)


def test_sqlite_connections_are_left_alone() -> None:
    class Fake:
        vendor = "sqlite"
        connection = object()
        timezone = UTC

    timestamptz_loader_register(connection=Fake())  # no psycopg connection: nothing to do
