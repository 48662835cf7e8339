"""The hash chain of the access log.

Each AccessLog row carries ``row_hash`` = SHA-256 over the canonical JSON
(sorted keys, UTF-8, no ASCII escaping) of every other column of the row
except the surrogate ``id`` (the database assigns it after the hash is
computed; ``seq`` is the row's position), including ``seq`` and
``prev_hash`` — the previous row's ``row_hash``, or 64 zeros for the first.
Editing a column changes the row's hash; deleting a row leaves a gap in
``seq``; moving or inserting a row breaks the ``prev_hash`` link; deleting the
tail leaves the chain shorter than its head (AccessLogHead).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tongban.exchange.models import AccessLog, AccessLogHead

GENESIS_HASH = "0" * 64
#: Rows read per query while verifying.
VERIFY_BATCH = 2000

_HASHED_COLUMNS: list[str] | None = None


def _columns() -> list[str]:
    global _HASHED_COLUMNS
    if _HASHED_COLUMNS is None:
        _HASHED_COLUMNS = [
            f.attname
            for f in AccessLog._meta.concrete_fields
            if f.attname not in {"id", "row_hash"}
        ]
    return _HASHED_COLUMNS


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # One spelling whatever the database hands back (aware UTC, microseconds).
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_canonical(row: AccessLog) -> bytes:
    """The bytes ``row_hash`` is computed over."""
    data = {name: _plain(getattr(row, name)) for name in _columns()}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def row_hash(row: AccessLog) -> str:
    """SHA-256 (hex) of the row's canonical JSON."""
    return hashlib.sha256(row_canonical(row)).hexdigest()


def subject_key(subject: str) -> str:
    """HMAC-SHA256 (hex) of a subject's number under a key derived from SECRET_KEY."""
    return salted_hmac(
        "tongban.exchange.subject_key", subject.strip().upper(), algorithm="sha256"
    ).hexdigest()


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _insert_statement(vendor: str) -> tuple[str, list[Any]]:
    # Per database vendor: the statement depends only on the model and the SQL dialect.
    fields = [f for f in AccessLog._meta.concrete_fields if f.attname != "id"]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Identifiers come from the model's metadata; every value is a parameter.
    sql = f"INSERT INTO {_table(AccessLog)} ({columns}) VALUES ({marks})"  # noqa: S608
    if connection.features.can_return_columns_from_insert:
        sql += " RETURNING " + connection.ops.quote_name("id")
    return sql, fields


def access_log_append(row: AccessLog) -> AccessLog:
    """Chain ``row`` (unsaved; every column but seq/prev_hash/row_hash filled) and save it.

    Every look-up of shared data passes here, so it speaks SQL through the
    connection (values still converted by each field, as the ORM does): the
    ORM's query building would triple the cost of a look-up (bench/exchange.py).
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    head_sql = f"SELECT seq, row_hash FROM {_table(AccessLogHead)} WHERE id = 1{lock}"  # noqa: S608
    insert_sql, fields = _insert_statement(connection.vendor)
    with transaction.atomic(), connection.cursor() as cursor:
        # The head row serialises writers: on PostgreSQL by its row lock, on SQLite
        # because the transaction began with BEGIN IMMEDIATE.
        cursor.execute(head_sql)
        head = cursor.fetchone()
        if head is None:
            # The first append ever (or after a test flush): create the head, then lock it.
            AccessLogHead.objects.get_or_create(pk=1)
            cursor.execute(head_sql)
            head = cursor.fetchone()
        row.seq = int(head[0]) + 1
        row.prev_hash = str(head[1])
        row.row_hash = row_hash(row)
        cursor.execute(
            insert_sql,
            [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields],
        )
        if connection.features.can_return_columns_from_insert:
            row.pk = cursor.fetchone()[0]
        else:
            row.pk = cursor.lastrowid
        cursor.execute(
            f"UPDATE {_table(AccessLogHead)} SET seq = %s, row_hash = %s WHERE id = 1",  # noqa: S608
            [row.seq, row.row_hash],
        )
    row._state.adding = False
    row._state.db = connection.alias
    return row


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str


def _rows() -> Iterator[AccessLog]:
    # Keyset batches: constant memory on any table size, on every database.
    last = 0
    while True:
        batch = list(AccessLog.objects.filter(seq__gt=last).order_by("seq")[:VERIFY_BATCH])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def audit_verify(*, progress: Callable[[int], None] | None = None) -> AuditVerdict:
    """Walk the access log in ``seq`` order and report the first row that breaks the chain."""
    expected_seq = 1
    previous_hash = GENESIS_HASH
    checked = 0
    for row in _rows():
        if row.seq != expected_seq:
            return AuditVerdict(
                False,
                checked,
                expected_seq,
                _("第 %(seq)s 条记录缺失（序号从 %(seq)s 跳到 %(found)s），日志被删除")
                % {"seq": expected_seq, "found": row.seq},
            )
        if row.prev_hash != previous_hash:
            return AuditVerdict(
                False,
                checked,
                row.seq,
                _("第 %(seq)s 条记录与前一条不衔接（prev_hash 不符），日志被移动、插入或改写")
                % {"seq": row.seq},
            )
        if row_hash(row) != row.row_hash:
            return AuditVerdict(
                False,
                checked,
                row.seq,
                _("第 %(seq)s 条记录的内容被修改（哈希不符）") % {"seq": row.seq},
            )
        previous_hash = row.row_hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % VERIFY_BATCH == 0:
            progress(checked)
    head = AccessLogHead.objects.filter(pk=1).first()
    head_seq = head.seq if head is not None else 0
    head_hash = head.row_hash if head is not None else GENESIS_HASH
    if head_seq != checked or head_hash != previous_hash:
        return AuditVerdict(
            False,
            checked,
            min(head_seq, checked) + 1 if head_seq != checked else checked,
            _("日志末尾与链头不符（链头为第 %(head)s 条，实有 %(n)s 条），末尾记录被删除或篡改")
            % {"head": head_seq, "n": checked},
        )
    if progress is not None:
        progress(checked)
    return AuditVerdict(True, checked, None, _("审计链完整"))
