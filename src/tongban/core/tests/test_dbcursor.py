"""Compiled statements on the connection's own cursor (core/dbcursor.py) keep what Django's
cursor guarantees: Django's errors, no statement in a transaction marked for rollback, every
statement seen by query logging and execute wrappers; the cursor is kept per connection."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from tongban.catalog.models import Department
from tongban.core.dbcursor import direct_sql, statement_cursor
from tongban.core.prepared import Param, Prepared, PreparedSave

pytestmark = pytest.mark.django_db

_BY_CODE = Prepared(lambda: Department.objects.filter(code=Param("code")))
_SAVE = PreparedSave(Department)


def _department(code: str) -> Department:
    return _SAVE.create(code=code, name=f"部门{code}", name_en=f"Department {code}")


def test_a_compiled_read_runs_on_the_connections_own_cursor_and_finds_the_row() -> None:
    saved = _department("dc-one")
    connection.ensure_connection()
    with statement_cursor(connection) as (cursor, direct):
        assert direct  # open connection, nothing logging: the connection's own cursor
        assert not hasattr(cursor, "db")  # not Django's CursorWrapper
    [found] = _BY_CODE.all(code="dc-one")
    assert found.pk == saved.pk and found.name == "部门dc-one"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's")
def test_the_cursor_is_kept_per_connection_and_a_new_connection_gets_its_own() -> None:
    connection.ensure_connection()
    with statement_cursor(connection) as (first, _direct):
        pass
    with statement_cursor(connection) as (second, _direct):
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
        statement_cursor(connection) as (cursor, direct),
    ):
        sql = "SELECT 1 FROM no_such_table WHERE %s = %s"
        cursor.execute(direct_sql(connection, sql) if direct else sql, [1, 1])
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


def test_sqlite_takes_question_marks_on_its_own_cursor_and_a_literal_percent_stays() -> None:
    sql = "SELECT %s, '100%%'"
    if connection.vendor == "sqlite":
        assert direct_sql(connection, sql) == "SELECT ?, '100%'"
    else:
        assert direct_sql(connection, sql) == sql
    connection.ensure_connection()
    with statement_cursor(connection) as (cursor, direct):
        cursor.execute(direct_sql(connection, sql) if direct else sql, ["甲"])
        assert tuple(cursor.fetchone()) == ("甲", "100%")
