"""Signing at library speed: the active key remembered per process (and forgotten on rotate and
revoke, here at once and elsewhere within CERTIFICATE_KEY_RECHECK_SECONDS), verification in
one query that still reads revocations, and the fast RFC 8785 path equal to rfc8785's bytes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tongban.certificates import services, signing
from tongban.certificates.choices import CertificateStatus
from tongban.certificates.models import Certificate, SigningKey


@pytest.fixture(autouse=True)
def _fresh_memo() -> Any:
    signing.signing_keys_forget()
    yield
    signing.signing_keys_forget()


def _unsigned(certificate: Certificate) -> dict[str, Any]:
    return {k: v for k, v in certificate.payload.items() if k not in {"kid", "alg"}}


def _sign_committed(payload: dict[str, Any], capture: Any) -> tuple[dict[str, Any], str]:
    # Outside a test's transaction the memo is kept at once; inside one, when it commits.
    with capture(execute=True):
        return signing.payload_sign(payload)


def test_signing_reads_no_key_row_once_the_key_is_remembered(
    certificate: Certificate, django_capture_on_commit_callbacks: Any
) -> None:
    unsigned = _unsigned(certificate)
    _sign_committed(unsigned, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as queries:
        payload, signature = signing.payload_sign(unsigned)
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        verdict = services.certificate_verify_payload(payload=payload, signature=signature)
    assert verdict.valid, verdict.reason
    assert len(queries) == 1


def test_rotation_in_this_process_signs_with_the_new_key_at_once(
    certificate: Certificate, django_capture_on_commit_callbacks: Any
) -> None:
    unsigned = _unsigned(certificate)
    old, _ = _sign_committed(unsigned, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        new_key = services.keys_rotate()
    payload, signature = signing.payload_sign(unsigned)
    assert payload["kid"] == new_key.key_id != old["kid"]
    assert services.certificate_verify_payload(payload=payload, signature=signature).valid


def test_revocation_in_this_process_stops_signing_and_verifying_at_once(
    certificate: Certificate, django_capture_on_commit_callbacks: Any
) -> None:
    unsigned = _unsigned(certificate)
    payload, signature = _sign_committed(unsigned, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.keys_revoke(key_id=payload["kid"], reason="私钥泄露演练")
    verdict = services.certificate_verify_payload(payload=payload, signature=signature)
    assert not verdict.valid and "吊销" in verdict.reason
    again, _ = signing.payload_sign(unsigned)
    assert again["kid"] != payload["kid"]


def test_another_process_revoking_is_seen_by_verification_at_once_and_by_signing_soon(
    certificate: Certificate, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    unsigned = _unsigned(certificate)
    payload, signature = _sign_committed(unsigned, django_capture_on_commit_callbacks)
    # The `tongban keys revoke` command, in its own process: this one's memo is untouched.
    now = timezone.now()
    SigningKey.objects.filter(key_id=payload["kid"]).update(
        revoked_at=now, revocation_reason="演练", active=False, retired_at=now
    )
    verdict = services.certificate_verify_payload(payload=payload, signature=signature)
    assert not verdict.valid and "吊销" in verdict.reason
    # Within the recheck time this process still signs with its memo …
    assert signing.payload_sign(unsigned)[0]["kid"] == payload["kid"]
    # … and after it reads the key row again and moves to a new key.
    clock = signing.time.monotonic() + 60
    monkeypatch.setattr(signing.time, "monotonic", lambda: clock)
    with django_capture_on_commit_callbacks(execute=True):
        fresh, fresh_signature = signing.payload_sign(unsigned)
    assert fresh["kid"] != payload["kid"]
    assert services.certificate_verify_payload(payload=fresh, signature=fresh_signature).valid


def test_one_query_verification_keeps_every_verdict(
    certificate: Certificate, django_capture_on_commit_callbacks: Any
) -> None:
    unsigned = _unsigned(certificate)
    payload, signature = _sign_committed(unsigned, django_capture_on_commit_callbacks)
    assert services.certificate_verify_payload(payload=payload, signature=signature).valid
    tampered = {**payload, "holder_name": "别人"}
    assert not services.certificate_verify_payload(payload=tampered, signature=signature).valid
    unknown, unknown_signature = signing.payload_sign({**unsigned, "number": "NO-SUCH-NUMBER"})
    verdict = services.certificate_verify_payload(payload=unknown, signature=unknown_signature)
    assert verdict.status == "unknown"
    long_number, long_signature = signing.payload_sign({**unsigned, "number": "9" * 500})
    assert (
        services.certificate_verify_payload(payload=long_number, signature=long_signature).status
        == "unknown"
    )
    Certificate.objects.filter(pk=certificate.pk).update(status=CertificateStatus.REVOKED)
    verdict = services.certificate_verify_payload(payload=payload, signature=signature)
    assert (verdict.valid, verdict.status) == (False, CertificateStatus.REVOKED)
    bad_kid = {**payload, "kid": "x\x00" * 30}
    assert not services.certificate_verify_payload(payload=bad_kid, signature=signature).valid


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _json, max_size=6))
def test_the_fast_canonical_form_is_rfc8785_byte_for_byte(payload: dict[str, Any]) -> None:
    try:
        expected = rfc8785.dumps(payload)
    except Exception as exc:
        with pytest.raises(type(exc)):
            signing.canonical(payload)
        return
    assert signing.canonical(payload) == expected


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize(
    "payload",
    [
        {"\U0001f600": 1, "\ue000": 2, "a": 3},  # UTF-16 order differs from code points
        {"n": 2**53 - 1, "m": -(2**53 - 1)},
        {"名称": "食品经营许可证", "ctl": "\x01\x1f\u2028", "q": '"\\/'},
        {"nested": [{"b": 1, "a": [True, False, None]}]},
        {"deep": [[{"\U0001f600": 1, "a": 2}]]},  # a key beyond U+FFFF below the top
        {"deep": [[[{"x": [0.5]}]]]},  # a float below the top
        {"deep": [[[2**60]]]},  # an unsafe integer below the top
        {"d": _nested(31)},
        {"d": _nested(32)},
        {"d": _nested(40)},  # beyond the fast path's depth: the general serializer
    ],
)
def test_the_fast_canonical_form_on_the_edges(payload: dict[str, Any]) -> None:
    try:
        expected = rfc8785.dumps(payload)
    except rfc8785.IntegerDomainError:
        with pytest.raises(rfc8785.IntegerDomainError):
            signing.canonical(payload)
        return
    assert signing.canonical(payload) == expected
