"""Guides served by published version: the stamp a rendered guide is cached and validated under.

A guide page or API answer depends on the matter's published version and on things edited
outside a publication (its materials, department and section names, data-sharing grants and
resources, the negative list). Publication bumps ``Matter.version``; every change a guide may
show — a publication (a new ``MatterVersion``) included — also bumps the one-row
:class:`~tongban.catalog.models.GuideEpoch` (post-save/post-delete receivers, connected by the
apps that own those models, in the same transaction as the change).

Every guide request reads the epoch row first (the *generation*: its counter and the time of its
last bump): one prepared statement, the request's one round trip when nothing changed. A process
keeps the stamps it read under the generation it read them in, and forgets them all when the
generation differs, so every process sees a change at its next request while a rendered guide
is reused across requests (Django cache) and revalidated by clients (ETag, 304).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Field, Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.utils.translation import get_language
from psycopg import pq

from tongban.catalog.models import GuideEpoch, Matter, MatterVersion
from tongban.core.dbcursor import statement_cursor

_T = TypeVar("_T")

#: The one row of GuideEpoch.
EPOCH_PK = 1
#: Longest matter code looked up (the column's length): longer never matches, never queried.
_CODE_MAX = Matter._meta.get_field("code").max_length or 64
#: Most stamps a process keeps under one generation (the catalogue has a few thousand matters;
#: an unknown code is never kept, so made-up codes cannot fill it).
_KNOWN_MAX = 20_000
#: Most digests a stamp keeps (language × date × a page reader's variant).
_DIGESTS_MAX = 256


@dataclass(frozen=True)
class GuideStamp:
    """What one matter's rendered guide depends on, as read in one query."""

    matter_id: int
    code: str
    version: int
    updated_at: datetime
    published_at: datetime | None
    epoch: int
    epoch_at: datetime | None

    #: Digests already computed for this stamp, by (language, date, parts): a 304 computes none.
    _digests: dict[tuple[object, ...], str] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def key(self, *parts: object) -> str:
        """A cache key for one rendering of this guide (``parts``: the view's own variants).

        The language and today's date (share grants end on a date) are always part of it.
        """
        return "tongban:guide:" + self._digest(parts)

    def etag(self, *parts: object) -> str:
        """A strong ETag for one rendering (quoted, as the header carries it)."""
        return '"' + self._digest(parts)[:40] + '"'

    def _digest(self, parts: tuple[object, ...]) -> str:
        variant = (get_language(), timezone.localdate().isoformat(), *parts)
        digest = self._digests.get(variant)
        if digest is None:
            raw = repr(
                (
                    self.matter_id,
                    self.code,
                    self.version,
                    self.updated_at.isoformat(),
                    self.epoch,
                    *variant,
                )
            )
            digest = hashlib.sha256(raw.encode()).hexdigest()
            if len(self._digests) >= _DIGESTS_MAX:  # a page's parts name its reader
                self._digests.clear()
            self._digests[variant] = digest
        return digest

    @cached_property
    def http_last_modified(self) -> str:
        """``last_modified`` as the Last-Modified header carries it."""
        return http_date(self.last_modified.timestamp())

    @property
    def last_modified(self) -> datetime:
        """When the guide last changed: its publication, a matter edit or an epoch bump."""
        moments = [m for m in (self.published_at, self.updated_at, self.epoch_at) if m]
        return max(moments)


def guide_stamp(*, code: str) -> GuideStamp | None:
    """The stamp of an active matter's guide, or None when there is no such matter.

    Every guide request (and every 304) reads the generation (``_generation``: one prepared
    statement, also the request's connection health check); the matter's own row is read only
    when this process has not read it under that generation yet.
    """
    if not isinstance(code, str) or not code or len(code) > _CODE_MAX:
        return None
    generation = _checked(_generation)
    known = _known
    if generation is None:
        # No epoch row yet (nothing was ever bumped): nothing is kept, every request reads.
        known = _Known(None)
    elif known.generation != generation:
        known = _Known(generation)
        _remember(known)
    stamp = known.stamps.get(code)
    if stamp is not None:
        return stamp
    row = _checked(lambda: _stamp_fetch(code))
    if row is None:
        return None
    pk, found_code, version, updated_at, published, epoch_value, epoch_changed = row
    updated = _aware(updated_at)
    assert updated is not None
    stamp = GuideStamp(
        matter_id=pk,
        code=found_code,
        version=version,
        updated_at=updated,
        published_at=_aware(published),
        epoch=epoch_value or 0,
        epoch_at=_aware(epoch_changed),
    )
    # Read after the generation: at least as new as it, so right to keep under it. A thread
    # that meanwhile saw a newer generation replaced ``_known``: this goes to the old one.
    if generation is not None and len(known.stamps) < _KNOWN_MAX:
        known.stamps[code] = stamp
    return stamp


@dataclass
class _Known:
    """The stamps this process read under one generation of the guide epoch."""

    generation: str | None
    stamps: dict[str, GuideStamp] = field(default_factory=dict)


#: What this process knows (threads share it: a whole object is swapped, never emptied).
_known = _Known(None)


def _remember(known: _Known) -> None:
    global _known
    _known = known


def guide_stamps_forget() -> None:
    """Forget the stamps this process keeps (tests: switching to another process)."""
    _remember(_Known(None))


def _checked(read: Callable[[], _T]) -> _T:
    # With CONN_HEALTH_CHECKS, Django sends its own `SELECT 1` on a reused connection before
    # the first query of every request: a second round trip for a guide, whose only query is
    # the generation's. Here the request's first statement is that check: when it fails on a
    # connection that is no longer usable, the connection is closed and the statement run again
    # on a new one — what the check would have done, for one round trip instead of two. Any
    # other error is raised.
    db: Any = connection  # health_check_* are Django's, not in django-stubs
    own_check = (
        db.connection is not None
        and db.health_check_enabled
        and not db.health_check_done
        and not db.in_atomic_block
    )
    if own_check:
        db.health_check_done = True
    try:
        return read()
    except DatabaseError:
        if not own_check or db.is_usable():
            raise
    db.close()
    return read()


def _generation() -> str | None:
    """The guide epoch's counter and last bump as one text, or None without the row.

    The counter alone could repeat (a rolled-back bump, a restored or another database); with
    the bump's time it names one state of the catalogue. On PostgreSQL, outside a transaction
    and when nothing records queries (``DEBUG``, ``assertNumQueries``, execute wrappers), the
    statement is prepared once per connection and run through libpq directly (``_libpq_one``):
    ~25 µs of this process's CPU instead of ~170 µs through Django's cursor, and no parse and
    plan in the server. Otherwise Django's cursor runs the same SQL, so it is counted.
    """
    db: Any = connection
    sql = _generation_sql(db.vendor)
    if (
        db.vendor == "postgresql"
        and db.connection is not None
        and not db.in_atomic_block
        and not db.queries_logged
        and not db.execute_wrappers
    ):
        return _libpq_one(db, sql, str(EPOCH_PK))
    with statement_cursor(db) as cursor:
        cursor.execute(sql, [EPOCH_PK])
        row = cursor.fetchone()
    return None if row is None or row[0] is None else str(row[0])


@lru_cache(maxsize=4)
def _generation_sql(vendor: str) -> str:
    table = connection.ops.quote_name(GuideEpoch._meta.db_table)
    value, changed, pk = (_column(GuideEpoch, name) for name in ("value", "changed_at", "id"))
    return (
        f"SELECT CAST({value} AS TEXT) || '/' || COALESCE(CAST({changed} AS TEXT), '')"  # noqa: S608
        f" FROM {table} WHERE {pk} = %s"
    )


#: Name of the generation's prepared statement (psycopg's own are ``_pg3_<n>``).
_PREPARED_NAME = b"tongban_guide_generation"
#: psycopg connections the statement is prepared on (a new connection prepares it again).
_prepared_on: weakref.WeakSet[Any] = weakref.WeakSet()


#: SQLSTATE of "prepared statement … does not exist".
_NO_SUCH_STATEMENT = b"26000"


def _libpq_one(db: Any, sql: str, param: str) -> str | None:
    """The first column of the first row of ``sql`` (one ``%s`` parameter), as text, run as a
    prepared statement on the psycopg connection's libpq handle (autocommit, idle).

    The statement can vanish from a connection it was prepared on: after a rollback psycopg
    forgets the statements it prepared itself (``prepare_threshold``, ADR 0015) and sends
    ``DEALLOCATE ALL``, which drops this one too. It is then prepared again, once.
    """
    raw = db.connection
    pgconn = raw.pgconn

    def prepare() -> None:
        _libpq_check(db, pgconn.prepare(_PREPARED_NAME, sql.replace("%s", "$1").encode()))

    with db.wrap_database_errors:  # psycopg's own errors (a lost connection) as Django's
        if raw not in _prepared_on:
            prepare()
            _prepared_on.add(raw)
        result = pgconn.exec_prepared(_PREPARED_NAME, [param.encode()])
        if (
            result.status == pq.ExecStatus.FATAL_ERROR
            and result.error_field(pq.DiagnosticField.SQLSTATE) == _NO_SUCH_STATEMENT
        ):
            prepare()
            result = pgconn.exec_prepared(_PREPARED_NAME, [param.encode()])
    if result.status != pq.ExecStatus.TUPLES_OK:
        _prepared_on.discard(raw)
        _libpq_check(db, result)
    if result.ntuples == 0:
        return None
    value = result.get_value(0, 0)
    return None if value is None else bytes(value).decode()


def _libpq_check(db: Any, result: Any) -> None:
    """Raise Django's database error for a failed libpq result, as Django's cursor would."""
    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return
    message = (result.error_message or b"").decode(errors="replace").strip()
    db.errors_occurred = True
    if db.connection.pgconn.status != pq.ConnStatus.OK:
        raise OperationalError(message or "the connection to the database is broken")
    raise DatabaseError(message or "the guide generation could not be read")


def _stamp_fetch(code: str) -> tuple[Any, ...] | None:
    with statement_cursor(connection) as cursor:
        cursor.execute(_stamp_sql(connection.vendor), [EPOCH_PK, code, True])
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


@lru_cache(maxsize=4)
def _stamp_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    column = _column
    matter, version, epoch = (quote(m._meta.db_table) for m in (Matter, MatterVersion, GuideEpoch))
    # Table and column names from the models; the values are parameters.
    return (
        f"SELECT m.{column(Matter, 'id')}, m.{column(Matter, 'code')},"  # noqa: S608
        f" m.{column(Matter, 'version')}, m.{column(Matter, 'updated_at')},"
        f" v.{column(MatterVersion, 'published_at')},"
        f" e.{column(GuideEpoch, 'value')}, e.{column(GuideEpoch, 'changed_at')}"
        f" FROM {matter} m"
        f" LEFT JOIN {version} v ON v.{column(MatterVersion, 'matter')} = m.{column(Matter, 'id')}"
        f" AND v.{column(MatterVersion, 'version')} = m.{column(Matter, 'version')}"
        f" LEFT JOIN {epoch} e ON e.{column(GuideEpoch, 'id')} = %s"
        f" WHERE m.{column(Matter, 'code')} = %s AND m.{column(Matter, 'is_active')} = %s"
    )


def _column(model: type[Model], name: str) -> str:
    """A model field's column, quoted for this database."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, Field) and model_field.column
    return connection.ops.quote_name(model_field.column)


def _aware(value: Any) -> datetime | None:
    """A timestamp column as the ORM would give it: aware, in UTC (SQLite returns it naive)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return cast(datetime, value)


def guide_epoch_bump(**_: Any) -> None:
    """Count one change that guides may show (a signal receiver: takes any arguments)."""
    now = timezone.now()
    if GuideEpoch.objects.filter(pk=EPOCH_PK).update(value=F("value") + 1, changed_at=now):
        return
    try:
        with transaction.atomic():
            GuideEpoch.objects.create(pk=EPOCH_PK, value=1, changed_at=now)
    except IntegrityError:
        # Another process created the row meanwhile: count on it.
        GuideEpoch.objects.filter(pk=EPOCH_PK).update(value=F("value") + 1, changed_at=now)


def guide_cache_get(key: str) -> Any:
    """A cached rendering, or None (also when the guide cache is off)."""
    if not settings.GUIDE_CACHE_SECONDS:
        return None
    return cache.get(key)


def guide_cache_set(key: str, value: Any) -> None:
    if settings.GUIDE_CACHE_SECONDS:
        cache.set(key, value, settings.GUIDE_CACHE_SECONDS)


def not_modified(request: HttpRequest, etag: str, last_modified: datetime) -> HttpResponse | None:
    """The 304 for a client holding ``etag`` (or a copy as recent as ``last_modified``), or
    None. The usual revalidation (the one tag it got sent back) is decided without parsing
    the header; anything else is ``get_conditional_response``'s (lists, ``If-Match`` …)."""
    meta = request.META
    if (
        meta.get("HTTP_IF_NONE_MATCH") == etag
        and "HTTP_IF_MATCH" not in meta
        and "HTTP_IF_UNMODIFIED_SINCE" not in meta
    ):
        return HttpResponseNotModified()
    return get_conditional_response(
        request, etag=etag, last_modified=int(last_modified.timestamp())
    )
