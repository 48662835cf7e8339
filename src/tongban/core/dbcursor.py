"""The cursor a compiled statement runs on: the connection's own, kept, when nothing watches.

Every statement Django runs goes through its ``CursorWrapper`` on a new DB-API cursor. On
PostgreSQL (psycopg 3) a new cursor costs ~14 µs of this process's CPU (it builds its adapters'
transformer) and the wrapper ~17 µs, against ~30 µs for libpq's whole round trip; a case's
request runs 10–40 statements (ADR 0015, round 10). ``statement_cursor(db)`` gives the
statements compiled once (``core/prepared.py``, the certificate check) one DB-API cursor per
connection, made by Django (``create_cursor``: psycopg's server-side binding, the time zone's
loader), kept and reused (on SQLite a new ``sqlite3`` cursor, cheap), and keeps what Django's
wrapper guarantees around it:

- the health check of a reused connection (``CONN_HEALTH_CHECKS``) before its first statement
  of a request, and the thread check;
- no statement in a transaction already marked for rollback (``TransactionManagementError``);
- database errors raised as Django's (``IntegrityError`` …), and a connection whose error
  makes it unusable flagged for closing at the end of the request.

Django's own cursor still runs the statement when the connection is not open yet (it opens
it), when queries are logged (``DEBUG``, ``assertNumQueries``, ``CaptureQueriesContext``) or
execute wrappers are installed — so every statement is seen wherever Django's are — and on
other backends. On SQLite the connection's own ``sqlite3`` cursor takes ``?`` placeholders:
``direct_sql`` gives the text the direct cursor takes (Django's wrapper rewrites ``%s`` with a
regular expression on each call; here once per text).
"""

from __future__ import annotations

from functools import lru_cache
from types import TracebackType
from typing import Any

from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

#: Backends whose connection's own DB-API cursor runs compiled statements.
DIRECT_VENDORS = frozenset({"sqlite", "postgresql"})


def _direct(db: Any) -> Any | None:
    """The connection's own DB-API cursor, or None when Django's cursor must run it."""
    if db.vendor not in DIRECT_VENDORS:
        return None
    # What Django's cursor() does first: a reused connection is checked once per request.
    db.close_if_health_check_failed()
    raw = db.connection
    if raw is None or db.queries_logged or db.execute_wrappers:
        return None
    db.validate_thread_sharing()
    if db.vendor == "sqlite":
        # A new one each time (closed after): a sqlite3 cursor left with unread rows keeps its
        # statement, and the read it holds, open.
        return raw.cursor()
    kept = db.__dict__.get("_tongban_cursor")
    if kept is None or kept[0] is not raw:
        # A new connection (the old one closed, or reopened): its own cursor, made by Django.
        kept = (raw, db.create_cursor())
        db.__dict__["_tongban_cursor"] = kept
    return kept[1]


class statement_cursor:  # a lower-case name: used like Django's ``connection.cursor()``
    """``with statement_cursor(db) as (cursor, direct):`` — the cursor to run one statement on,
    and whether it is the connection's own (then give it ``direct_sql(db, sql)``)."""

    __slots__ = ("_db", "_django", "_errors", "_sqlite")

    def __init__(self, db: Any) -> None:
        self._db = db
        self._django: Any = None
        self._errors: Any = None
        self._sqlite: Any = None

    def __enter__(self) -> tuple[Any, bool]:
        db = self._db
        cursor = _direct(db)
        if cursor is None:
            self._django = db.cursor()
            return self._django, False
        db.validate_no_broken_transaction()
        if db.vendor == "sqlite":
            self._sqlite = cursor
        self._errors = db.wrap_database_errors
        self._errors.__enter__()
        return cursor, True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._django is not None:
            self._django.__exit__(exc_type, exc, traceback)
            return
        try:
            self._errors.__exit__(exc_type, exc, traceback)
        finally:
            if self._sqlite is not None:
                self._sqlite.close()


def direct_sql(db: Any, sql: str) -> str:
    """``sql`` as the connection's own cursor takes it (``?`` placeholders on SQLite)."""
    return _qmark(sql) if db.vendor == "sqlite" else sql


@lru_cache(maxsize=1024)
def _qmark(sql: str) -> str:
    # What Django's SQLite cursor wrapper does to every statement (convert_query).
    return str(FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%"))
