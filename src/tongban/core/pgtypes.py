"""PostgreSQL ``timestamptz`` values parsed by psycopg's C loader, not in Python.

Django's psycopg backend reads every ``timestamptz`` through its own loader, a subclass of
psycopg's *Python* ``TimestamptzLoader`` (``django/db/backends/postgresql/psycopg_any.py``):
the subclass stops psycopg from using its C implementation, so each value is parsed by
Python code — 5.2 µs a value against 0.16 µs, ~2.5% of the web workers' CPU under
``bench/load.py`` (a case's rows carry many timestamps). The C class cannot be subclassed.

``TimestamptzLoader`` here keeps what Django's loader returns — the value converted by
psycopg, then given the connection's ``timezone`` object as its ``tzinfo`` (UTC with
``USE_TZ``) — but calls the C loader (``psycopg.adapters``' own, which is the Python one when
psycopg has no C extension) for the parsing. It is registered on each new PostgreSQL
connection (``connection_created``) with the connection's timezone, so Django's
``create_cursor`` finds the timezone it expects and registers nothing per cursor.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

import psycopg
from django.db.backends.signals import connection_created
from psycopg import abc
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = 1184


def _psycopg_loader() -> type[abc.Loader]:
    loader = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader is not None
    return loader


#: psycopg's own text loader of ``timestamptz``: its C class when the C extension is there.
_PARSER = _psycopg_loader()


class TimestamptzLoader(Loader):
    """A ``timestamptz`` in text form, parsed by psycopg's fastest loader, with ``timezone``."""

    timezone: tzinfo | None = None

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        # An instance per query result: it reads the connection's time zone when made.
        self._parse = _PARSER(oid, context).load

    def load(self, data: Any) -> datetime:
        value: datetime = self._parse(data)
        return value.replace(tzinfo=self.timezone)


@lru_cache(maxsize=8)
def _loader_in(timezone: tzinfo | None) -> type[TimestamptzLoader]:
    return type("TimestamptzLoaderIn", (TimestamptzLoader,), {"timezone": timezone})


def timestamptz_loader_register(*, connection: Any) -> None:
    """Register the loader on ``connection``'s psycopg connection (PostgreSQL only)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    connection.connection.adapters.register_loader("timestamptz", _loader_in(connection.timezone))


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    timestamptz_loader_register(connection=connection)


def timestamptz_loader_install() -> None:
    """Register the loader on every PostgreSQL connection opened from now on."""
    connection_created.connect(_on_connection_created, dispatch_uid="tongban-timestamptz")
