"""Compiled statements on the connection's own cursor (core/dbcursor.py) keep what Django's
cursor guarantees: Django's errors, no statement in a transaction marked for rollback, every
statement seen by query logging and execute wrappers; the cursor is kept per connection."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from tongban.catalog.models import Department
from tongban.core.dbcursor import statement_cursor
from tongban.core.prepared import Param, Prepared, PreparedSave

pytestmark = pytest.mark.django_db

_BY_CODE = Prepared(lambda: Department.objects.filter(code=Param("code")))
_SAVE = PreparedSave(Department)


def _department(code: str) -> Department:
    return _SAVE.create(code=code, name=f"部门{code}", name_en=f"Department {code}")


def test_a_compiled_read_runs_on_the_connections_own_cursor_and_finds_the_row() -> None:
    saved = _department("dc-one")
    connection.ensure_connection()
    with statement_cursor(connection) as cursor:
        # An open connection, nothing logging: the connection's own, not Django's CursorWrapper.
        assert not isinstance(cursor, CursorWrapper)
    [found] = _BY_CODE.all(code="dc-one")
    assert found.pk == saved.pk and found.name == "部门dc-one"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's")
def test_the_cursor_is_kept_per_connection_and_a_new_connection_gets_its_own() -> None:
    connection.ensure_connection()
    with statement_cursor(connection) as first:
        pass
    with statement_cursor(connection) as second:
        pass
    assert first is second
    assert first.connection is connection.connection


def test_a_duplicate_raises_djangos_integrity_error_and_the_transaction_refuses_more() -> None:
    _department("dc-dup")
    with transaction.atomic():
        with pytest.raises(IntegrityError) as caught, transaction.atomic():
            _department("dc-dup")
        # Django's class (django.db.utils), as its own cursor raises, not the driver's.
        assert type(caught.value).__module__ == "django.db.utils"
        assert _BY_CODE.all(code="dc-dup")  # the savepoint rolled back; the transaction goes on
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            _BY_CODE.all(code="dc-dup")


def test_a_broken_statement_raises_djangos_database_error() -> None:
    connection.ensure_connection()
    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        statement_cursor(connection) as cursor,
    ):
        cursor.execute("SELECT 1 FROM no_such_table WHERE %s = %s", [1, 1])
    assert type(caught.value).__module__ == "django.db.utils"


def test_query_logging_and_execute_wrappers_see_every_compiled_statement() -> None:
    _department("dc-seen")
    with CaptureQueriesContext(connection) as captured:
        _BY_CODE.all(code="dc-seen")
        _department("dc-seen-2")
    statements = [q["sql"] for q in captured]
    assert statements[0].startswith("SELECT") and "catalog_department" in statements[0]
    assert any(s.startswith("INSERT") and "catalog_department" in s for s in statements)

    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        _BY_CODE.all(code="dc-seen")
    assert len(seen) == 1 and "catalog_department" in seen[0]


def test_placeholders_are_djangos_on_every_backend_and_a_literal_percent_stays() -> None:
    connection.ensure_connection()
    with statement_cursor(connection) as cursor:
        assert not isinstance(cursor, CursorWrapper)
        cursor.execute("SELECT %s, '100%%'", ["甲"])
        assert tuple(cursor.fetchone()) == ("甲", "100%")
    with CaptureQueriesContext(connection), statement_cursor(connection) as cursor:
        assert isinstance(cursor, CursorWrapper)  # Django's own, when queries are logged
        cursor.execute("SELECT %s, '100%%'", ["乙"])
        assert tuple(cursor.fetchone()) == ("乙", "100%")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's")
def test_a_statement_inside_another_gets_a_cursor_of_its_own() -> None:
    connection.ensure_connection()
    with statement_cursor(connection) as outer:
        outer.execute("SELECT %s UNION ALL SELECT %s", [1, 2])
        with statement_cursor(connection) as inner:
            assert inner is not outer
            inner.execute("SELECT %s", [3])
            assert inner.fetchall() == [(3,)]
        assert outer.fetchall() == [(1,), (2,)]  # its rows were not replaced
    assert inner.closed
    with statement_cursor(connection) as again:
        assert again is outer  # the kept one, free again
