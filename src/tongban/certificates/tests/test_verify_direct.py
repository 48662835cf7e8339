"""Verification at library speed without dropping a guarantee: the one query on the open
connection's own DB-API cursor still sees another connection's revocations at once, is still
seen by query logging and execute wrappers, raises Django's errors; a good signature is
checked without translating anything; today's date is remembered only within its day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tongban.certificates import services, signing
from tongban.certificates.models import Certificate, SigningKey
from tongban.workflow.calendar import SHANGHAI


def _verify(payload: dict[str, Any], signature: str) -> signing.Verdict:
    return services.certificate_verify_payload(payload=payload, signature=signature)


@contextmanager
def _django_cursors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the cursors Django's connection hands out (the ORM's reads, the fallback)."""
    db = connections[DEFAULT_DB_ALIAS]
    made: list[int] = []
    cursor = db.cursor

    def counted() -> Any:
        made.append(1)
        return cursor()

    with monkeypatch.context() as patch:
        patch.setattr(db, "cursor", counted)
        yield made


@pytest.fixture
def other_connection() -> Iterator[Any]:
    """A second connection to the test database: what another process writes through."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    yield other
    other.close()


def _run_elsewhere(other: Any, sql: str, params: list[Any]) -> None:
    with other.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


@pytest.mark.django_db(transaction=True)
def test_another_connections_revocations_fail_verification_at_once(
    certificate: Certificate, other_connection: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload, signature = certificate.payload, certificate.signature
    assert connection.connection is not None  # open: the direct path is the one under test
    with _django_cursors(monkeypatch) as made:
        verdict = _verify(payload, signature)
        tampered = _verify({**payload, "holder": {**payload["holder"], "name": "别人"}}, signature)
    assert verdict.valid, verdict.reason
    assert (tampered.valid, tampered.status) == (False, "invalid")
    assert "篡改" in tampered.reason
    assert made == []  # neither check took Django's cursor

    # The certificate revoked by another process (plain SQL on its own connection).
    _run_elsewhere(
        other_connection,
        "UPDATE certificates_certificate SET status = %s WHERE number = %s",
        ["revoked", certificate.number],
    )
    with _django_cursors(monkeypatch) as made:
        verdict = _verify(payload, signature)
    assert (verdict.valid, verdict.status, verdict.reason) == (False, "revoked", "证照已撤销")
    assert made == []

    # The key revoked by another process: refused at once, though this process signs with
    # it from its memo; only the refusal's wording reads the key through the ORM.
    _run_elsewhere(
        other_connection,
        "UPDATE certificates_signingkey SET revoked_at = CURRENT_TIMESTAMP,"
        " revocation_reason = %s WHERE key_id = %s",
        ["演练：私钥泄露", certificate.key_id],
    )
    unsigned = {k: v for k, v in payload.items() if k not in {"kid", "alg"}}
    resigned, resignature = signing.payload_sign({**unsigned, "number": "NO-SUCH"})
    assert resigned["kid"] == certificate.key_id
    with _django_cursors(monkeypatch) as made:
        verdict = _verify(payload, signature)
        again = _verify(resigned, resignature)
    assert (verdict.valid, verdict.status) == (False, "invalid")
    assert "吊销" in verdict.reason and certificate.key_id in verdict.reason
    assert not again.valid and "吊销" in again.reason
    assert made == [1, 1]
    assert SigningKey.objects.get(key_id=certificate.key_id).revoked_at is not None


def test_the_query_is_seen_by_query_logging_and_execute_wrappers(
    certificate: Certificate,
) -> None:
    payload, signature = certificate.payload, certificate.signature
    with CaptureQueriesContext(connection) as queries:
        assert _verify(payload, signature).valid
    assert len(queries) == 1
    assert "certificates_signingkey" in queries[0]["sql"]
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert _verify(payload, signature).valid
    assert len(seen) == 1 and "certificates_certificate" in seen[0]


def test_database_errors_are_djangos_and_a_broken_transaction_is_refused(
    certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload, signature = certificate.payload, certificate.signature
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            _verify(payload, signature)
    assert _verify(payload, signature).valid

    def broken() -> str:
        return "SELECT 1 FROM no_such_table WHERE %s = %s"

    monkeypatch.setattr(services, "_key_and_certificate_sql", broken)
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        _verify(payload, signature)
    # Django's class (django.db.utils), as its own cursor raises, not the driver's.
    assert type(caught.value).__module__ == "django.db.utils"


def test_a_good_signature_is_checked_without_translating(
    certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_translation(message: str) -> str:
        raise AssertionError(f"translated on the success path: {message}")

    monkeypatch.setattr(signing, "_", no_translation)
    monkeypatch.setattr(services, "_", no_translation)
    verdict = _verify(certificate.payload, certificate.signature)
    assert verdict.valid and verdict.status == "valid"
    monkeypatch.undo()
    # The reason is there when asked for, in the language of the moment it is read.
    assert verdict.reason == "签名有效"
    with translation.override("en"):
        assert verdict.reason == "Signature valid"
    bad = _verify(certificate.payload, "A" * 86)
    assert (bad.valid, bad.reason) == (False, "签名与内容不符，证照内容或签名可能被篡改")


def test_expiry_follows_the_shanghai_day_and_a_clock_set_back(
    certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    valid_until = certificate.valid_until
    assert valid_until is not None
    last_moment = dt.datetime.combine(valid_until, dt.time(23, 59, 59), tzinfo=SHANGHAI)
    moment = {"now": last_moment.astimezone(dt.UTC)}
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment["now"])
    payload, signature = certificate.payload, certificate.signature

    assert services._today() == valid_until
    assert _verify(payload, signature).status == "valid"
    moment["now"] += dt.timedelta(seconds=1)  # midnight in Shanghai, 16:00 UTC
    assert services._today() == valid_until + dt.timedelta(days=1)
    verdict = _verify(payload, signature)
    assert (verdict.valid, verdict.status, verdict.reason) == (False, "expired", "证照已过期")
    moment["now"] = dt.datetime(2020, 3, 1, 12, tzinfo=dt.UTC)  # a clock set back
    assert services._today() == dt.date(2020, 3, 1)
    assert _verify(payload, signature).valid
    assert services.certificate_status(certificate) == "valid"
