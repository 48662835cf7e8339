"""The hash chain of the access log.

Each AccessLog row carries ``row_hash`` = SHA-256 over the canonical JSON
(sorted keys, UTF-8, no ASCII escaping) of every other column of the row
except the surrogate ``id`` (the database assigns it after the hash is
computed; ``seq`` is the row's position), including ``seq`` and
``prev_hash`` — the previous row's ``row_hash``, or 64 zeros for the first.
Editing a column changes the row's hash; deleting a row leaves a gap in
``seq``; moving or inserting a row breaks the ``prev_hash`` link; deleting the
tail leaves the chain shorter than its head (AccessLogHead).

All of that needs no key: whoever can write to the database can recompute every
``row_hash`` and the head. So the chain is anchored by signed checkpoints
(AuditCheckpoint): an Ed25519 signature, with a key from the settings that is
never in the database, over the RFC 8785 statement
``{"v": 1, "number", "seq", "row_hash", "row_at", "at", "prev", "kid"}`` — the
chain reached row ``seq`` with hash ``row_hash``. One is signed on write every
AUDIT_CHECKPOINT_ROWS rows and by the worker every AUDIT_CHECKPOINT_SECONDS
(also when nothing was added, so a missing recent checkpoint shows). Rows up to
the last checkpoint are proven; rows after it are unproven (neither proven nor
found tampered) until the next one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tongban.core.dbcursor import statement_cursor
from tongban.exchange.models import AccessLog, AccessLogHead, AuditCheckpoint

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
    with transaction.atomic(), statement_cursor(connection) as cursor:
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
        if row.seq % int(settings.AUDIT_CHECKPOINT_ROWS) == 0:
            # Still under the head's lock: nothing can be appended in between.
            _checkpoint_create(seq=row.seq, row_hash=row.row_hash, row_at=row.at)
    row._state.adding = False
    row._state.db = connection.alias
    return row


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:16]


@functools.lru_cache(maxsize=4)
def _private_from(text: str) -> Ed25519PrivateKey:
    try:
        raw = _b64url_decode(text.strip())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(
            "AUDIT_CHECKPOINT_KEY must be a 32-byte Ed25519 seed in base64url "
            "(`tongban verify-audit --new-key` makes one)"
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def checkpoint_signing_key() -> Ed25519PrivateKey:
    """The key that signs checkpoints: from the settings (or a file), never the database."""
    return _private_from(str(settings.AUDIT_CHECKPOINT_KEY))


def checkpoint_public_keys() -> dict[str, Ed25519PublicKey]:
    """Key id → public key of every key whose checkpoints verify (current and earlier)."""
    keys = [checkpoint_signing_key().public_key()]
    for text in getattr(settings, "AUDIT_CHECKPOINT_OLD_PUBLIC_KEYS", []):
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(_b64url_decode(text)))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"AUDIT_CHECKPOINT_OLD_PUBLIC_KEYS: {text!r} is not an Ed25519 public key"
            ) from exc
    return {key_id_of(key): key for key in keys}


def checkpoint_key_new() -> tuple[str, str]:
    """A fresh checkpoint key: (private seed, public key), both base64url."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        encoding=serialization.Encoding.Raw,
        format=serialization.PrivateFormat.Raw,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return _b64url_encode(seed), _b64url_encode(public)


def checkpoint_statement(checkpoint: AuditCheckpoint) -> bytes:
    """The RFC 8785 bytes a checkpoint's signature covers."""
    return rfc8785.dumps(
        {
            "v": 1,
            "number": checkpoint.number,
            "seq": checkpoint.seq,
            "row_hash": checkpoint.row_hash,
            "row_at": _plain(checkpoint.row_at),
            "at": _plain(checkpoint.at),
            "prev": checkpoint.prev_digest,
            "kid": checkpoint.key_id,
        }
    )


def checkpoint_digest(checkpoint: AuditCheckpoint) -> str:
    return hashlib.sha256(checkpoint_statement(checkpoint)).hexdigest()


def _checkpoint_create(
    *, seq: int, row_hash: str, row_at: dt.datetime | None, now: dt.datetime | None = None
) -> AuditCheckpoint:
    """Sign the chain's state; the caller holds the head's lock."""
    last = AuditCheckpoint.objects.order_by("-number").first()
    key = checkpoint_signing_key()
    checkpoint = AuditCheckpoint(
        number=(last.number + 1) if last else 1,
        seq=seq,
        row_hash=row_hash,
        row_at=row_at,
        at=(now or timezone.now()),
        prev_digest=checkpoint_digest(last) if last else GENESIS_HASH,
        key_id=key_id_of(key.public_key()),
    )
    # The statement is signed as the database will hand the values back (microseconds).
    checkpoint.signature = _b64url_encode(key.sign(checkpoint_statement(checkpoint)))
    checkpoint.save()
    return checkpoint


@transaction.atomic
def audit_checkpoint(*, now: dt.datetime | None = None) -> AuditCheckpoint:
    """Sign a checkpoint of the chain as it stands (the worker's periodic job)."""
    head, _created = AccessLogHead.objects.get_or_create(pk=1)
    head = AccessLogHead.objects.select_for_update().get(pk=1)
    row_at = AccessLog.objects.filter(seq=head.seq).values_list("at", flat=True).first()
    return _checkpoint_create(seq=head.seq, row_hash=head.row_hash, row_at=row_at, now=now)


def audit_checkpoint_periodic() -> None:
    """Entry point of the ``audit-checkpoint`` periodic job."""
    audit_checkpoint()


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
    #: Rows 1..proven_seq are covered by a verified signed checkpoint (0: none are).
    proven_seq: int = 0
    #: Time of row ``proven_seq``, and when the checkpoint proving it was signed.
    proven_row_at: dt.datetime | None = None
    proven_signed_at: dt.datetime | None = None
    checkpoints: int = 0
    #: Rows after the last checkpoint: neither proven nor found tampered.
    unproven_from: int | None = None
    unproven_to: int | None = None
    unproven_first_at: dt.datetime | None = None
    unproven_last_at: dt.datetime | None = None
    #: Something to look into that is not proof of tampering (e.g. checkpoints overdue).
    warning: str = ""


def _rows() -> Iterator[AccessLog]:
    # Keyset batches: constant memory on any table size, on every database.
    last = 0
    while True:
        batch = list(AccessLog.objects.filter(seq__gt=last).order_by("seq")[:VERIFY_BATCH])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _checkpoints_check() -> tuple[list[AuditCheckpoint], AuditVerdict | None]:
    """The checkpoints in order, or the verdict on the first one that is not genuine."""
    keys = checkpoint_public_keys()
    checkpoints = list(AuditCheckpoint.objects.order_by("number"))
    previous: AuditCheckpoint | None = None
    for expected, checkpoint in enumerate(checkpoints, start=1):
        n = checkpoint.number

        def broken(reason: str, cp: AuditCheckpoint = checkpoint) -> AuditVerdict:
            return AuditVerdict(False, 0, cp.seq, reason, checkpoints=len(checkpoints))

        key = keys.get(checkpoint.key_id)
        if key is None:
            return checkpoints, broken(
                _("第 %(n)s 个检查点由未知密钥 %(kid)s 签名（不是本系统配置的检查点密钥）")
                % {"n": n, "kid": checkpoint.key_id}
            )
        try:
            key.verify(_b64url_decode(checkpoint.signature), checkpoint_statement(checkpoint))
        except (InvalidSignature, ValueError):
            return checkpoints, broken(
                _("第 %(n)s 个检查点（覆盖至第 %(seq)s 条）的签名无效：检查点被伪造或改动")
                % {"n": n, "seq": checkpoint.seq}
            )
        if n != expected:
            return checkpoints, broken(
                _("第 %(n)s 个检查点缺失（检查点编号从 %(n)s 跳到 %(found)s），检查点被删除")
                % {"n": expected, "found": n}
            )
        expected_prev = checkpoint_digest(previous) if previous else GENESIS_HASH
        if checkpoint.prev_digest != expected_prev or (
            previous is not None and checkpoint.seq < previous.seq
        ):
            return checkpoints, broken(
                _("第 %(n)s 个检查点与前一个检查点不衔接，检查点被删除、替换或重排") % {"n": n}
            )
        previous = checkpoint
    return checkpoints, None


def audit_verify(
    *,
    progress: Callable[[int], None] | None = None,
    expect: tuple[int, str] | None = None,
) -> AuditVerdict:
    """Check the signed checkpoints, then walk the access log in ``seq`` order: the first row
    that breaks the chain or disagrees with a checkpoint, else which stretch is proven.

    ``expect`` = (number, digest) of a checkpoint recorded outside the system earlier (the
    command prints the latest one): it must still be there, unchanged — which also finds the
    tail of the log removed together with the checkpoints that covered it.
    """
    checkpoints, broken = _checkpoints_check()
    if broken is not None:
        return broken
    if expect is not None:
        number, digest = expect
        found = next((cp for cp in checkpoints if cp.number == number), None)
        if found is None or checkpoint_digest(found) != digest.strip().lower():
            return AuditVerdict(
                False,
                0,
                found.seq if found else None,
                (
                    _("第 %(n)s 个检查点不存在：它和它之后的检查点（及其覆盖的日志）被删除")
                    if found is None
                    else _("第 %(n)s 个检查点的摘要与事先记录的不符：检查点被替换")
                )
                % {"n": number},
                checkpoints=len(checkpoints),
            )
    by_seq: dict[int, list[AuditCheckpoint]] = {}
    for checkpoint in checkpoints:
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    proven: AuditCheckpoint | None = None
    expected_seq = 1
    previous_hash = GENESIS_HASH
    checked = 0

    def failed(seq: int, reason: str) -> AuditVerdict:
        return AuditVerdict(
            False,
            checked,
            seq,
            reason,
            proven_seq=proven.seq if proven else 0,
            proven_row_at=proven.row_at if proven else None,
            proven_signed_at=proven.at if proven else None,
            checkpoints=len(checkpoints),
        )

    first_unproven_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    for row in _rows():
        if row.seq != expected_seq:
            return failed(
                expected_seq,
                _("第 %(seq)s 条记录缺失（序号从 %(seq)s 跳到 %(found)s），日志被删除")
                % {"seq": expected_seq, "found": row.seq},
            )
        if row.prev_hash != previous_hash:
            return failed(
                row.seq,
                _("第 %(seq)s 条记录与前一条不衔接（prev_hash 不符），日志被移动、插入或改写")
                % {"seq": row.seq},
            )
        if row_hash(row) != row.row_hash:
            return failed(
                row.seq,
                _("第 %(seq)s 条记录的内容被修改（哈希不符）") % {"seq": row.seq},
            )
        for checkpoint in by_seq.get(row.seq, ()):
            if checkpoint.row_hash != row.row_hash:
                start = (proven.seq if proven else 0) + 1
                return failed(
                    start,
                    _(
                        "第 %(a)s–%(b)s 条记录（%(t1)s 至 %(t2)s）与第 %(n)s 个签名检查点不符："
                        "这段日志被改写（即使重算了哈希链）"
                    )
                    % {
                        "a": start,
                        "b": row.seq,
                        "t1": _when(first_unproven_at or row.at),
                        "t2": _when(row.at),
                        "n": checkpoint.number,
                    },
                )
            proven = checkpoint
            first_unproven_at = None
        if first_unproven_at is None and (proven is None or row.seq > proven.seq):
            first_unproven_at = row.at
        last_at = row.at
        previous_hash = row.row_hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % VERIFY_BATCH == 0:
            progress(checked)
    beyond = [cp for cp in checkpoints if cp.seq > checked]
    if beyond:
        checkpoint = beyond[0]
        return failed(
            checked + 1,
            _(
                "第 %(n)s 个签名检查点证明日志在 %(when)s 已有 %(seq)s 条，"
                "现在只有 %(checked)s 条：第 %(a)s–%(seq)s 条被删除"
            )
            % {
                "n": checkpoint.number,
                "when": _when(checkpoint.at),
                "seq": checkpoint.seq,
                "checked": checked,
                "a": checked + 1,
            },
        )
    head = AccessLogHead.objects.filter(pk=1).first()
    head_seq = head.seq if head is not None else 0
    head_hash = head.row_hash if head is not None else GENESIS_HASH
    if head_seq != checked or head_hash != previous_hash:
        return failed(
            min(head_seq, checked) + 1 if head_seq != checked else checked,
            _("日志末尾与链头不符（链头为第 %(head)s 条，实有 %(n)s 条），末尾记录被删除或篡改")
            % {"head": head_seq, "n": checked},
        )
    if progress is not None:
        progress(checked)
    proven_seq = proven.seq if proven else 0
    warning = ""
    interval = dt.timedelta(seconds=2 * int(settings.AUDIT_CHECKPOINT_SECONDS))
    newest_signed = checkpoints[-1].at if checkpoints else None
    oldest_unproven = first_unproven_at if checked > proven_seq else None
    now = timezone.now()
    if (oldest_unproven is not None and now - oldest_unproven > interval) or (
        checked and newest_signed is not None and now - newest_signed > interval
    ):
        warning = _(
            "检查点已逾期（最近一个签于 %(when)s）：定期任务可能没有运行，或最近的检查点被删除"
        ) % {"when": _when(newest_signed)}
    return AuditVerdict(
        True,
        checked,
        None,
        _("审计链完整"),
        proven_seq=proven_seq,
        proven_row_at=proven.row_at if proven else None,
        proven_signed_at=proven.at if proven else None,
        checkpoints=len(checkpoints),
        unproven_from=proven_seq + 1 if checked > proven_seq else None,
        unproven_to=checked if checked > proven_seq else None,
        unproven_first_at=oldest_unproven,
        unproven_last_at=last_at if checked > proven_seq else None,
        warning=warning,
    )
