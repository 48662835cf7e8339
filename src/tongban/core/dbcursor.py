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
other backends. Either way the statement is written with ``%s`` placeholders: on SQLite, whose
own ``sqlite3`` cursor takes ``?``, the text is rewritten as Django's wrapper does, once per
text rather than with a regular expression on each call.
"""

from __future__ import annotations

from functools import lru_cache
from types import TracebackType
from typing import Any

from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

#: Backends whose connection's own DB-API cursor runs compiled statements.
_DIRECT_VENDORS = frozenset({"sqlite", "postgresql"})


class _Kept:
    """The DB-API cursor kept for one connection, and whether a statement holds it now."""

    __slots__ = ("busy", "cursor", "raw")

    def __init__(self, raw: Any, cursor: Any) -> None:
        self.raw, self.cursor, self.busy = raw, cursor, False


def _direct(db: Any) -> tuple[Any, _Kept | None] | None:
    """(the connection's own DB-API cursor, its keeper when it is the kept one), or None when
    Django's cursor must run the statement."""
    if db.vendor not in _DIRECT_VENDORS:
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
        return _QmarkCursor(raw.cursor()), None
    kept: _Kept | None = db.__dict__.get("_tongban_cursor")
    if kept is None or kept.raw is not raw:
        # A new connection (the old one closed, or reopened): its own cursor, made by Django.
        kept = _Kept(raw, db.create_cursor())
        db.__dict__["_tongban_cursor"] = kept
    if kept.busy:
        # A statement run while another's cursor is still open (its rows maybe unread): a
        # cursor of its own, closed after.
        return db.create_cursor(), None
    kept.busy = True
    return kept.cursor, kept


class statement_cursor:  # a lower-case name: used like Django's ``connection.cursor()``
    """``with statement_cursor(db) as cursor:`` — the cursor to run one statement on (``%s``
    placeholders), the connection's own or Django's."""

    __slots__ = ("_cursor", "_db", "_django", "_errors", "_kept")

    def __init__(self, db: Any) -> None:
        self._db = db
        self._django: Any = None
        self._errors: Any = None
        self._cursor: Any = None
        self._kept: _Kept | None = None

    def __enter__(self) -> Any:
        db = self._db
        found = _direct(db)
        if found is None:
            self._django = db.cursor()
            return self._django
        self._cursor, self._kept = found
        try:
            db.validate_no_broken_transaction()
        except BaseException:
            self._release()
            raise
        self._errors = db.wrap_database_errors
        self._errors.__enter__()
        return self._cursor

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
            self._release()

    def _release(self) -> None:
        if self._kept is not None:
            self._kept.busy = False
        else:
            self._cursor.close()  # one of its own (SQLite's, or a nested one)


class _QmarkCursor:
    """A ``sqlite3`` cursor that takes ``%s`` placeholders, as Django's cursor does."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Any = None) -> Any:
        if params is None:
            return self._cursor.execute(sql)
        return self._cursor.execute(_qmark(sql), params)

    def __getattr__(self, name: str) -> Any:  # fetchone, fetchall, rowcount, lastrowid, close
        return getattr(self._cursor, name)


@lru_cache(maxsize=1024)
def _qmark(sql: str) -> str:
    # What Django's SQLite cursor wrapper does to a statement with parameters (convert_query).
    return str(FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%"))
