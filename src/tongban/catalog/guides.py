"""Guides served by published version: the stamp a rendered guide is cached and validated under.

A guide page or API answer depends on the matter's published version and on things edited
outside a publication (its materials, department and section names, data-sharing grants and
resources, the negative list). Publication bumps ``Matter.version``; every other change bumps
the one-row :class:`~tongban.catalog.models.GuideEpoch` (post-save/post-delete receivers,
connected by the apps that own those models, in the same transaction as the change). One query
per request reads both, so every process sees a change at its next request while a rendered
guide is reused across requests (Django cache) and revalidated by clients (ETag, 304).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Field, Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language

from tongban.catalog.models import GuideEpoch, Matter, MatterVersion

#: The one row of GuideEpoch.
EPOCH_PK = 1
#: Longest matter code looked up (the column's length): longer never matches, never queried.
_CODE_MAX = Matter._meta.get_field("code").max_length or 64


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

    def key(self, *parts: object) -> str:
        """A cache key for one rendering of this guide (``parts``: the view's own variants).

        The language and today's date (share grants end on a date) are always part of it.
        """
        raw = repr(
            (
                self.matter_id,
                self.code,
                self.version,
                self.updated_at.isoformat(),
                self.epoch,
                get_language(),
                timezone.localdate().isoformat(),
                *parts,
            )
        )
        return "tongban:guide:" + hashlib.sha256(raw.encode()).hexdigest()

    def etag(self, *parts: object) -> str:
        """A strong ETag for one rendering (quoted, as the header carries it)."""
        return '"' + self.key(*parts).rsplit(":", 1)[1][:40] + '"'

    @property
    def last_modified(self) -> datetime:
        """When the guide last changed: its publication, a matter edit or an epoch bump."""
        moments = [m for m in (self.published_at, self.updated_at, self.epoch_at) if m]
        return max(moments)


def guide_stamp(*, code: str) -> GuideStamp | None:
    """The stamp of an active matter's guide, or None when there is no such matter.

    Every guide request (and every 304) reads it: one SQL statement built once per process (the
    ORM's compilation of the same query with its two subqueries cost more than the query),
    which is also the request's connection health check (``_stamp_row``).
    """
    if not isinstance(code, str) or not code or len(code) > _CODE_MAX:
        return None
    row = _stamp_row(code)
    if row is None:
        return None
    pk, found_code, version, updated_at, published, epoch_value, epoch_changed = row
    updated = _aware(updated_at)
    assert updated is not None
    return GuideStamp(
        matter_id=pk,
        code=found_code,
        version=version,
        updated_at=updated,
        published_at=_aware(published),
        epoch=epoch_value or 0,
        epoch_at=_aware(epoch_changed),
    )


def _stamp_row(code: str) -> tuple[Any, ...] | None:
    # With CONN_HEALTH_CHECKS, Django sends its own `SELECT 1` on a reused connection before
    # the first query of every request: a second round trip for a guide, whose only query is
    # this one. Here the stamp's query is that check: when it fails on a connection that is no
    # longer usable, the connection is closed and the stamp read again on a new one — what the
    # check would have done, for one round trip instead of two. Any other error is raised.
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
        return _stamp_fetch(code)
    except DatabaseError:
        if not own_check or db.is_usable():
            raise
    db.close()
    return _stamp_fetch(code)


def _stamp_fetch(code: str) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(connection.vendor), [EPOCH_PK, code, True])
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


@lru_cache(maxsize=4)
def _stamp_sql(vendor: str) -> str:
    quote = connection.ops.quote_name

    def column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field) and field.column
        return quote(field.column)

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
