"""Signed checkpoints anchor the access log: rewriting the chain with the project's own row_hash,
deleting its tail or forging a checkpoint is found; rows after the last checkpoint are reported as
unproven, not as tampered."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tongban.core.periodic import registered_periodic
from tongban.exchange import audit
from tongban.exchange.audit import audit_checkpoint, audit_verify
from tongban.exchange.models import AccessLog, AccessLogHead, AuditCheckpoint, DataResource

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_three(settings: Any) -> None:
    settings.AUDIT_CHECKPOINT_ROWS = 3


@pytest.fixture
def chain(every_three: None, query: Any, population: DataResource) -> list[AccessLog]:
    """Seven queries with a checkpoint every 3 rows: checkpoints at rows 3 and 6, row 7 after."""
    for _ in range(7):
        query("police.population")
    return list(AccessLog.objects.order_by("seq"))


def _command() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.replace("{t}", AccessLog._meta.db_table).replace(
                "{c}", AuditCheckpoint._meta.db_table
            ),
            params,
        )


def _rewrite_whole_chain(purpose: str) -> None:
    """What an intruder with database access does: edit rows, then recompute every row_hash,
    prev_hash and the head with the project's own function."""
    previous = audit.GENESIS_HASH
    for row in AccessLog.objects.order_by("seq"):
        row.purpose = purpose if row.seq == 2 else row.purpose
        row.prev_hash = previous
        row.row_hash = audit.row_hash(row)
        _raw(
            "UPDATE {t} SET purpose = %s, prev_hash = %s, row_hash = %s WHERE seq = %s",
            [row.purpose, row.prev_hash, row.row_hash, row.seq],
        )
        previous = row.row_hash
    AccessLogHead.objects.filter(pk=1).update(row_hash=previous)


def test_a_checkpoint_is_signed_every_n_rows(chain: list[AccessLog]) -> None:
    checkpoints = list(AuditCheckpoint.objects.order_by("number"))
    assert [(c.number, c.seq) for c in checkpoints] == [(1, 3), (2, 6)]
    assert checkpoints[0].row_hash == chain[2].row_hash and checkpoints[0].row_at == chain[2].at
    assert checkpoints[0].prev_digest == "0" * 64
    assert checkpoints[1].prev_digest == audit.checkpoint_digest(checkpoints[0])


def test_an_intact_chain_is_proven_up_to_the_last_checkpoint_and_unproven_after(
    chain: list[AccessLog],
) -> None:
    verdict = audit_verify()

    assert verdict.ok and verdict.checked == 7
    assert verdict.proven_seq == 6 and verdict.proven_row_at == chain[5].at
    assert (verdict.unproven_from, verdict.unproven_to) == (7, 7)
    assert verdict.unproven_first_at == chain[6].at and not verdict.warning
    code, out, err = _command()
    assert code == 0 and not err
    assert "审计链完整：共 7 条记录" in out
    assert "已由签名检查点证明：第 1–6 条" in out
    assert "未经检查点证明：第 7–7 条" in out


def test_the_periodic_job_signs_the_rest_and_everything_is_proven(chain: list[AccessLog]) -> None:
    assert "audit-checkpoint" in {spec.name for spec in registered_periodic()}
    audit.audit_checkpoint_periodic()

    verdict = audit_verify()
    assert verdict.ok and verdict.proven_seq == 7 and verdict.unproven_from is None
    # An idle period still gets checkpoints (same seq), so a missing one can be noticed.
    audit_checkpoint()
    assert AuditCheckpoint.objects.count() == 4 and audit_verify().ok


def test_rewriting_the_whole_chain_with_row_hash_is_detected(chain: list[AccessLog]) -> None:
    _rewrite_whole_chain("改写后的用途")

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 1
    assert "第 1–3 条记录" in verdict.reason and "第 1 个签名检查点不符" in verdict.reason
    assert verdict.proven_seq == 0
    code, _out, err = _command()
    assert code == 1 and "被改写" in err


def test_rewriting_only_the_unproven_tail_is_not_reported_as_tampered(
    chain: list[AccessLog],
) -> None:
    # Row 7 is after the last checkpoint: an edit with a recomputed hash cannot be told apart
    # from the truth yet — and the verdict says exactly that, rather than "proven".
    row = AccessLog.objects.get(seq=7)
    row.purpose = "改写"
    row.row_hash = audit.row_hash(row)
    _raw("UPDATE {t} SET purpose = %s, row_hash = %s WHERE seq = 7", [row.purpose, row.row_hash])
    AccessLogHead.objects.filter(pk=1).update(row_hash=row.row_hash)

    verdict = audit_verify()
    assert verdict.ok and verdict.proven_seq == 6 and verdict.unproven_from == 7


def test_deleting_the_tail_is_detected_by_the_last_checkpoint(chain: list[AccessLog]) -> None:
    _raw("DELETE FROM {t} WHERE seq >= 5", [])
    AccessLogHead.objects.filter(pk=1).update(seq=4, row_hash=chain[3].row_hash)

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 5
    assert "第 2 个签名检查点" in verdict.reason and "第 5–6 条被删除" in verdict.reason
    assert verdict.proven_seq == 3
    code, out, err = _command()
    assert code == 1 and "第 5–6 条被删除" in err
    assert "已由签名检查点证明：第 1–3 条" in out


@pytest.mark.parametrize("column", ["row_hash", "seq", "signature", "at"])
def test_a_forged_or_edited_checkpoint_is_detected(chain: list[AccessLog], column: str) -> None:
    values = {
        "row_hash": "f" * 64,
        "seq": 4,
        "signature": audit._b64url_encode(b"\x00" * 64),
        "at": timezone.now() + dt.timedelta(days=1),
    }
    AuditCheckpoint.objects.filter(number=2).update(**{column: values[column]})

    verdict = audit_verify()

    assert not verdict.ok
    assert "第 2 个检查点" in verdict.reason and "签名无效" in verdict.reason
    assert _command()[0] == 1


def test_a_checkpoint_signed_with_another_key_is_detected(chain: list[AccessLog]) -> None:
    # A forger re-signs a rewritten chain with a key of his own.
    _rewrite_whole_chain("伪造")
    forger = Ed25519PrivateKey.generate()
    for checkpoint in AuditCheckpoint.objects.order_by("number"):
        row = AccessLog.objects.get(seq=checkpoint.seq)
        checkpoint.row_hash = row.row_hash
        checkpoint.key_id = audit.key_id_of(forger.public_key())
        checkpoint.signature = audit._b64url_encode(
            forger.sign(audit.checkpoint_statement(checkpoint))
        )
        checkpoint.save()

    verdict = audit_verify()
    assert not verdict.ok and "未知密钥" in verdict.reason


def test_a_deleted_checkpoint_in_the_middle_is_detected(chain: list[AccessLog]) -> None:
    audit.audit_checkpoint_periodic()  # number 3
    _raw("DELETE FROM {c} WHERE number = 2", [])

    verdict = audit_verify()
    assert not verdict.ok and "第 2 个检查点缺失" in verdict.reason


def test_overdue_checkpoints_are_a_warning_not_a_verdict_of_tampering(
    chain: list[AccessLog], settings: Any
) -> None:
    settings.AUDIT_CHECKPOINT_SECONDS = 60
    AuditCheckpoint.objects.update(at=timezone.now() - dt.timedelta(hours=1))
    # Re-sign them as they now stand, so only the lateness differs.
    key = audit.checkpoint_signing_key()
    previous = None
    for checkpoint in AuditCheckpoint.objects.order_by("number"):
        checkpoint.prev_digest = audit.checkpoint_digest(previous) if previous else "0" * 64
        checkpoint.signature = audit._b64url_encode(
            key.sign(audit.checkpoint_statement(checkpoint))
        )
        checkpoint.save()
        previous = checkpoint

    verdict = audit_verify()
    assert verdict.ok and "检查点已逾期" in verdict.warning
    assert "注意：检查点已逾期" in _command()[1]


def test_old_checkpoint_keys_still_verify_after_a_key_change(
    chain: list[AccessLog], settings: Any
) -> None:
    old_public = audit._b64url_encode(
        audit.checkpoint_signing_key().public_key().public_bytes_raw()
    )
    seed, _public = audit.checkpoint_key_new()
    settings.AUDIT_CHECKPOINT_KEY = seed
    assert not audit_verify().ok  # the old checkpoints' key is unknown now …
    settings.AUDIT_CHECKPOINT_OLD_PUBLIC_KEYS = [old_public]
    audit_checkpoint()  # … and new ones are signed with the new key
    verdict = audit_verify()
    assert verdict.ok and verdict.proven_seq == 7 and verdict.checkpoints == 3


@pytest.mark.parametrize("value", ["", "short", "!!!!", "A" * 100])
def test_a_malformed_checkpoint_key_is_refused(settings: Any, value: str) -> None:
    settings.AUDIT_CHECKPOINT_KEY = value
    with pytest.raises(ImproperlyConfigured):
        audit.checkpoint_signing_key()


def test_the_new_key_command_prints_a_usable_key(settings: Any, db: None) -> None:
    out = StringIO()
    call_command("verify_audit", "--new-key", stdout=out)
    line = out.getvalue().splitlines()[0]
    assert line.startswith("AUDIT_CHECKPOINT_KEY=")
    settings.AUDIT_CHECKPOINT_KEY = line.split("=", 1)[1]
    assert len(audit.key_id_of(audit.checkpoint_signing_key().public_key())) == 16


def test_production_refuses_a_missing_checkpoint_key() -> None:
    code = (
        "import os; os.environ['TONGBAN_ENV']='production'; "
        "os.environ['SECRET_KEY']='x'*60; os.environ['TONGBAN_SIGNING_SECRET']='y'*40; "
        "os.environ.pop('AUDIT_CHECKPOINT_KEY', None); "
        "import tongban.settings"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "AUDIT_CHECKPOINT_KEY" in result.stderr


def test_a_checkpoint_recorded_outside_finds_the_tail_removed_with_its_checkpoints(
    chain: list[AccessLog],
) -> None:
    code, out, _err = _command()
    assert code == 0
    recorded = out.strip().splitlines()[-1].rsplit("：", 1)[1]
    assert recorded.startswith("2:") and len(recorded) == 66
    # The intruder removes rows 4–7, the checkpoint covering 6, and fixes the head.
    _raw("DELETE FROM {t} WHERE seq >= 4", [])
    _raw("DELETE FROM {c} WHERE number = 2", [])
    AccessLogHead.objects.filter(pk=1).update(seq=3, row_hash=chain[2].row_hash)
    assert audit_verify().ok  # without the outside record this looks like a shorter log …

    out_, err_ = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", "--expect-checkpoint", recorded, stdout=out_, stderr=err_)
    assert exit_info.value.code == 1
    assert "第 2 个检查点不存在" in err_.getvalue()  # … with it, the removal shows


def test_a_replaced_checkpoint_does_not_match_the_outside_record(chain: list[AccessLog]) -> None:
    first = AuditCheckpoint.objects.get(number=1)
    verdict = audit_verify(expect=(1, audit.checkpoint_digest(first)))
    assert verdict.ok
    verdict = audit_verify(expect=(1, "0" * 64))
    assert not verdict.ok and "被替换" in verdict.reason


@pytest.mark.parametrize("value", ["2", "x:" + "0" * 64, "2:abc", "9" * 30 + ":" + "0" * 64])
def test_a_malformed_expected_checkpoint_is_refused(chain: list[AccessLog], value: str) -> None:
    with pytest.raises(CommandError):
        call_command("verify_audit", "--expect-checkpoint", value, stdout=StringIO())
