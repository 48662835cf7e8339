"""Certificate signatures over RFC 8785 canonical JSON, and the signing keys behind them.

Two algorithms: Ed25519 (RFC 8032; JOSE "EdDSA", RFC 8037) and SM2 with SM3 (GB/T 32918,
GM/T 0003; see :mod:`tongban.certificates.sm2`), chosen for new keys by
``CERTIFICATE_SIGNATURE_ALGORITHM``. Every payload names the key that signed it ("kid") and
its algorithm ("alg"), so a rotated-out key, or a key of the other algorithm, still verifies
the certificates it signed. Private keys are stored as Fernet tokens under a key derived
(HKDF-SHA256) from TONGBAN_SIGNING_SECRET; public keys are stored in the clear and published
(:func:`keys_document`), which is all verification needs.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.certificates import sm2
from tongban.certificates.choices import SignatureAlgorithm
from tongban.certificates.models import SigningKey

#: Bumped only if the derivation changes; stored keys would then need re-encrypting.
_HKDF_INFO = b"tongban certificate signing keys v1"
#: The "alg" a payload names, per key algorithm (EdDSA as in RFC 8037; SM2 has no JOSE name,
#: so the name of GM/T 0006 and Java's Signature API is used).
JOSE_ALG = {SignatureAlgorithm.ED25519: "EdDSA", SignatureAlgorithm.SM2: "SM3withSM2"}
#: The same by the stored algorithm's plain name (no enum built per check).
_JOSE_BY_NAME = {algorithm.value: name for algorithm, name in JOSE_ALG.items()}
#: A key id is at most 40 characters of these (what _new_key_id makes).
_KID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
#: The reason of a good signature, translated only when someone reads it: a check that
#: passes (the hot path) does no translation work.
_SIGNATURE_VALID = gettext_lazy("签名有效")


@dataclass(frozen=True)
class Verdict:
    """The answer to "is this certificate genuine and in force?".

    Built with the reason as text, or as a lazy translation that ``reason`` turns into text
    (in the language active when it is read) only when it is asked for.
    """

    valid: bool
    _reason: str | Promise
    #: valid | revoked | expired | invalid | unknown (signature fine, number not on record)
    status: str
    key_id: str = ""

    @property
    def reason(self) -> str:
        return str(self._reason)


@dataclass(frozen=True)
class VerifyKey:
    """What a check needs of a key that is not revoked, read without building the model."""

    key_id: str
    public_key: str
    algorithm: str
    revoked_at: None = None


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: anything else is not one of our signatures."""
    if not isinstance(text, str) or not text or "=" in text:
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if b64url_encode(raw) != text:
        # Non-canonical trailing bits: refuse, so one signature has exactly one spelling.
        raise ValueError("not canonical base64url")
    return raw


#: The fast path's encoder, built once (json.dumps builds one per call). No check for
#: cycles: ``_plain`` has refused anything nested deeper than 33 levels, so a cycle never
#: reaches it.
_PLAIN_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False
)


def canonical(payload: dict[str, Any]) -> bytes:
    """RFC 8785 (JCS) bytes of ``payload``: what is signed and verified.

    Certificate payloads hold strings, safe integers, booleans and nulls only; for those JCS
    is exactly ``json.dumps`` with sorted keys, no spaces and UTF-8 (keys without characters
    beyond U+FFFF sort the same by code point as by UTF-16 unit), five times faster than the
    general serializer. Anything else (floats, large integers, such keys, lone surrogates) goes
    through ``rfc8785``. A property test holds the two to the same bytes.
    """
    if _plain(payload, 0):
        try:
            return _PLAIN_ENCODER.encode(payload).encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate is not UTF-8: the general serializer refuses it with its error.
            return rfc8785.dumps(payload)
    return rfc8785.dumps(payload)


#: JCS numbers are IEEE doubles: integers beyond this are not exact (rfc8785 refuses them).
_SAFE_INT = 2**53 - 1


def _plain(value: Any, depth: int) -> bool:
    """Whether ``value`` holds only what the fast path serialises exactly like JCS.

    Iterative (a stack of containers with their depth): it runs on every signature checked.
    """
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack:
        item, level = stack.pop()
        kind = type(item)
        if kind is dict:
            values = item.values()
            for key in item:
                if type(key) is not str or not (key.isascii() or max(key) <= "\uffff"):
                    return False
        elif kind is list:
            values = item
        elif item is None or kind is str or kind is bool:
            continue
        elif kind is int:
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
            continue
        else:
            return False
        if level > 32:
            return False
        for child in values:
            child_kind = type(child)
            if child_kind is str or child is None or child_kind is bool:
                continue
            if child_kind is int:
                if not -_SAFE_INT <= child <= _SAFE_INT:
                    return False
                continue
            stack.append((child, level + 1))
    return True


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _current_fernet() -> Fernet:
    return _fernet(str(settings.TONGBAN_SIGNING_SECRET))


@lru_cache(maxsize=16)
def _private_key(key_id: str, token: str, secret: str) -> bytes:
    try:
        return _fernet(secret).decrypt(token.encode("ascii"))
    except InvalidToken:
        raise ImproperlyConfigured(
            f"signing key {key_id} cannot be decrypted: TONGBAN_SIGNING_SECRET has changed"
        ) from None


@lru_cache(maxsize=16)
def _ed25519_private(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


@lru_cache(maxsize=64)
def _public_key(public_key: str) -> Ed25519PublicKey:
    # Public keys never change once stored, so caching them by value is safe in every process.
    return Ed25519PublicKey.from_public_bytes(b64url_decode(public_key))


#: This process's memo of the active signing key and when it was read (time.monotonic()).
#: Signing reads the key row again after CERTIFICATE_KEY_RECHECK_SECONDS, so a rotation or a
#: revocation made by another process (``tongban keys rotate`` runs in its own) reaches this
#: one within that time; in this process they clear the memo at once. Verification never
#: trusts the memo: it reads the key's revocation with every check.
_active_memo: tuple[SigningKey, float] | None = None


def signing_keys_forget() -> None:
    """Drop this process's memo of the active key (after a rotation, a revocation …)."""
    global _active_memo
    _active_memo = None


def _remember_active(key: SigningKey, at: float) -> None:
    global _active_memo
    _active_memo = (key, at)


def _forget_now_and_on_commit() -> None:
    signing_keys_forget()
    transaction.on_commit(signing_keys_forget)


def _active_for_signing() -> SigningKey:
    memo = _active_memo
    now = time.monotonic()
    recheck = float(getattr(settings, "CERTIFICATE_KEY_RECHECK_SECONDS", 2))
    if memo is not None and now - memo[1] < recheck and memo[0].algorithm == configured_algorithm():
        return memo[0]
    key = signing_key_active()
    # A key read (or made) inside a transaction is remembered only once that commits.
    transaction.on_commit(lambda: _remember_active(key, now))
    return key


def _new_key_id(algorithm: str, now: datetime) -> str:
    return f"{algorithm}-{timezone.localtime(now):%Y%m%d}-{secrets.token_hex(4)}"


def configured_algorithm() -> str:
    return str(getattr(settings, "CERTIFICATE_SIGNATURE_ALGORITHM", "ed25519"))


def signing_key_create(*, now: datetime | None = None, algorithm: str | None = None) -> SigningKey:
    """A new active key; the caller has retired the previous one in this transaction."""
    now = now or timezone.now()
    algorithm = algorithm or configured_algorithm()
    if algorithm == SignatureAlgorithm.SM2:
        raw_private, raw_public = sm2.generate()
    elif algorithm == SignatureAlgorithm.ED25519:
        private = Ed25519PrivateKey.generate()
        raw_private = private.private_bytes(
            encoding=serialization.Encoding.Raw,
            format=serialization.PrivateFormat.Raw,
            encryption_algorithm=serialization.NoEncryption(),
        )
        raw_public = private.public_key().public_bytes(
            encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
        )
    else:
        raise ImproperlyConfigured(f"unknown certificate signature algorithm {algorithm!r}")
    _forget_now_and_on_commit()
    return SigningKey.objects.create(
        key_id=_new_key_id(algorithm, now),
        algorithm=algorithm,
        public_key=b64url_encode(raw_public),
        private_key_encrypted=_current_fernet().encrypt(raw_private).decode("ascii"),
        active=True,
    )


@transaction.atomic
def signing_key_rotate(*, now: datetime | None = None, algorithm: str | None = None) -> SigningKey:
    """Retire the active key (it keeps verifying) and start a new one."""
    now = now or timezone.now()
    _forget_now_and_on_commit()
    list(SigningKey.objects.select_for_update().filter(active=True))
    SigningKey.objects.filter(active=True).update(active=False, retired_at=now)
    return signing_key_create(now=now, algorithm=algorithm)


@transaction.atomic
def signing_key_revoke(*, key_id: str, reason: str, now: datetime | None = None) -> SigningKey:
    """Revoke a key (compromised): nothing it signed verifies any more; the next issue makes a
    new key if it was the active one. The caller has checked the reason."""
    now = now or timezone.now()
    _forget_now_and_on_commit()
    key = SigningKey.objects.select_for_update().filter(key_id=key_id).first()
    if key is None:
        raise SigningKey.DoesNotExist(key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        key.revocation_reason = reason
        if key.active:
            key.active = False
            key.retired_at = now
        key.save(update_fields=["revoked_at", "revocation_reason", "active", "retired_at"])
    return key


def signing_key_active() -> SigningKey:
    """The key that signs now; the first signing (or the first after the configured algorithm
    changed) creates it."""
    algorithm = configured_algorithm()
    key = SigningKey.objects.filter(active=True).first()
    if key is not None and key.algorithm == algorithm:
        return key
    try:
        # Two processes may race to create the key: the one-active-key constraint lets one
        # win, and the other reads the winner's key.
        with transaction.atomic():
            if key is not None:
                return signing_key_rotate(algorithm=algorithm)
            return signing_key_create(algorithm=algorithm)
    except IntegrityError:
        return SigningKey.objects.get(active=True)


def _sign(key: SigningKey, message: bytes) -> bytes:
    raw_private = _private_key(
        key.key_id, key.private_key_encrypted, str(settings.TONGBAN_SIGNING_SECRET)
    )
    if key.algorithm == SignatureAlgorithm.SM2:
        return sm2.sign(raw_private, b64url_decode(key.public_key), message)
    return _ed25519_private(raw_private).sign(message)


def _signature_matches(key: SigningKey, signature: bytes, message: bytes) -> bool:
    if key.algorithm == SignatureAlgorithm.SM2:
        return sm2.verify(b64url_decode(key.public_key), signature, message)
    try:
        _public_key(key.public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def payload_sign(payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Stamp ``payload`` with the active key's id and algorithm and sign it.

    Returns (payload, signature), the signature base64url: Ed25519's 64 bytes, or SM2's DER.
    """
    key = _active_for_signing()
    signed = {**payload, "kid": key.key_id, "alg": _JOSE_BY_NAME[key.algorithm]}
    return signed, b64url_encode(_sign(key, canonical(signed)))


def _well_formed_kid(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 40 and set(value) <= _KID_CHARS


def well_formed_kid(value: Any) -> bool:
    """Whether ``value`` can be one of our key ids (checked before any query)."""
    return _well_formed_kid(value)


def key_for_verify(key_id: Any) -> QuerySet[SigningKey]:
    """The key row a check needs (public key, algorithm, revocation), by a well-formed id."""
    # key_id too: payload_verify compares it (deferred, it cost a second query per check).
    return SigningKey.objects.filter(key_id=key_id).only(
        "key_id", "public_key", "algorithm", "revoked_at"
    )


_LOOK_UP: Any = object()
_EDDSA = JOSE_ALG[SignatureAlgorithm.ED25519]


def payload_verify(payload: Any, signature: Any, *, key: Any = _LOOK_UP) -> Verdict:
    """Whether ``signature`` is a signature of ours over exactly ``payload`` (nothing else).

    ``key``: the row of the payload's kid already read by the caller (None: no such key), so
    a caller that reads more in the same query saves one; by default it is read here.
    """
    if not isinstance(payload, dict):
        return Verdict(False, _("签名内容必须是 JSON 对象"), "invalid")
    key_id = payload.get("kid")
    if not isinstance(key_id, str) or not key_id:
        return Verdict(False, _("签名内容缺少密钥编号（kid）"), "invalid")
    # Checked before any query: a NUL byte or a long string never reaches the database.
    well_formed = _well_formed_kid(key_id)
    if not well_formed:
        key = None
    elif key is _LOOK_UP:
        key = key_for_verify(key_id).first()
    elif key is not None and key.key_id != key_id:
        key = None
    shown_kid = key_id if well_formed else ""
    if key is None:
        return Verdict(
            False, _("未知的签名密钥（kid 不在本平台公布的密钥中）"), "invalid", shown_kid
        )
    if key.revoked_at is not None:
        return Verdict(
            False,
            _("签名密钥 %(kid)s 已于 %(when)s 吊销，其签名不再可信")
            % {
                "kid": key_id,
                "when": timezone.localtime(key.revoked_at).strftime("%Y-%m-%d %H:%M"),
            },
            "invalid",
            key_id,
        )
    expected_alg = _JOSE_BY_NAME[key.algorithm]
    # Certificates of the first layout name no "alg": they are all Ed25519.
    alg = payload.get("alg", _EDDSA)
    if alg != expected_alg:
        return Verdict(
            False,
            _("签名算法不符：签名内容声明 %(alg)s，密钥 %(kid)s 的算法是 %(expected)s")
            % {"alg": str(alg)[:20], "kid": key_id, "expected": expected_alg},
            "invalid",
            key_id,
        )
    try:
        raw_signature = b64url_decode(signature)
    except ValueError:
        return Verdict(False, _("签名格式无效"), "invalid", key_id)
    try:
        message = canonical(payload)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return Verdict(False, _("签名内容无法规范化（含不允许的数值或类型）"), "invalid", key_id)
    if not _signature_matches(key, raw_signature, message):
        return Verdict(False, _("签名与内容不符，证照内容或签名可能被篡改"), "invalid", key_id)
    return Verdict(True, _SIGNATURE_VALID, "valid", key_id)


def key_status(key: SigningKey) -> str:
    """active | retired | revoked."""
    if key.revoked_at is not None:
        return "revoked"
    return "active" if key.active else "retired"


def _spki_der(key: SigningKey) -> bytes:
    raw = b64url_decode(key.public_key)
    if key.algorithm == SignatureAlgorithm.SM2:
        return sm2.spki_der(raw)
    return _public_key(key.public_key).public_bytes(
        encoding=serialization.Encoding.DER, format=serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_jwk(key: SigningKey) -> dict[str, Any]:
    """One published key: a JWK (RFC 7517; OKP/Ed25519 per RFC 8037, EC/"SM2" for SM2) with
    its validity and status, and the same key as SPKI PEM for openssl."""
    raw = b64url_decode(key.public_key)
    jwk: dict[str, Any] = {"kid": key.key_id, "use": "sig"}
    if key.algorithm == SignatureAlgorithm.SM2:
        jwk |= {
            "kty": "EC",
            "crv": "SM2",
            "x": b64url_encode(raw[:32]),
            "y": b64url_encode(raw[32:]),
            "alg": JOSE_ALG[SignatureAlgorithm.SM2],
            "sm2_id": sm2.DEFAULT_ID,
        }
    else:
        jwk |= {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "alg": "EdDSA"}

    def iso(value: datetime | None) -> str | None:
        return timezone.localtime(value).isoformat() if value is not None else None

    jwk |= {
        "status": key_status(key),
        "not_before": iso(key.created_at),
        # The key signs nothing after it is retired; what it signed before stays valid.
        "not_after": iso(key.retired_at),
        "revoked_at": iso(key.revoked_at),
        "spki_pem": sm2.pem(_spki_der(key)),
        # The raw key as the contract first published it (CONTRACT.md: `public_key`).
        "public_key": key.public_key,
    }
    return jwk


def keys_document() -> dict[str, Any]:
    """Every issuer key ever used, newest first: what an offline verifier needs."""
    keys = SigningKey.objects.order_by("-created_at", "-id").defer("private_key_encrypted")
    return {"keys": [key_jwk(key) for key in keys]}


def signature_fingerprint(signature: str) -> str:
    """A short, human-comparable form of a signature (first 16 hex digits of its SHA-256)."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(signature.encode("ascii", "replace"))
    hexdigest = digest.finalize().hex()[:16].upper()
    return " ".join(hexdigest[i : i + 4] for i in range(0, 16, 4))
