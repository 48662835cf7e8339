"""Ed25519 signatures over RFC 8785 canonical JSON, and the signing keys behind them.

Every payload names the key that signed it ("kid"), so a rotated-out key still
verifies the certificates it signed.  Private keys are stored as Fernet tokens
under a key derived (HKDF-SHA256) from TONGBAN_SIGNING_SECRET; public keys are
stored in the clear, which is all verification needs.
"""

from __future__ import annotations

import base64
import binascii
import secrets
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
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.certificates.models import SigningKey

#: Bumped only if the derivation changes; stored keys would then need re-encrypting.
_HKDF_INFO = b"tongban certificate signing keys v1"


@dataclass(frozen=True)
class Verdict:
    """The answer to "is this certificate genuine and in force?"."""

    valid: bool
    reason: str
    #: valid | revoked | expired | invalid | unknown (signature fine, number not on record)
    status: str
    key_id: str = ""


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


def canonical(payload: dict[str, Any]) -> bytes:
    """RFC 8785 (JCS) bytes of ``payload``: what is signed and verified."""
    return rfc8785.dumps(payload)


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _current_fernet() -> Fernet:
    return _fernet(str(settings.TONGBAN_SIGNING_SECRET))


@lru_cache(maxsize=16)
def _private_key(key_id: str, token: str, secret: str) -> Ed25519PrivateKey:
    try:
        raw = _fernet(secret).decrypt(token.encode("ascii"))
    except InvalidToken:
        raise ImproperlyConfigured(
            f"signing key {key_id} cannot be decrypted: TONGBAN_SIGNING_SECRET has changed"
        ) from None
    return Ed25519PrivateKey.from_private_bytes(raw)


@lru_cache(maxsize=64)
def _public_key(public_key: str) -> Ed25519PublicKey:
    # Public keys never change once stored, so caching them by value is safe in every process.
    return Ed25519PublicKey.from_public_bytes(b64url_decode(public_key))


def _new_key_id(now: datetime) -> str:
    return f"ed25519-{timezone.localtime(now):%Y%m%d}-{secrets.token_hex(4)}"


def signing_key_create(*, now: datetime | None = None) -> SigningKey:
    """A new active Ed25519 key; the caller has retired the previous one in this transaction."""
    now = now or timezone.now()
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        encoding=serialization.Encoding.Raw,
        format=serialization.PrivateFormat.Raw,
        encryption_algorithm=serialization.NoEncryption(),
    )
    raw_public = private.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return SigningKey.objects.create(
        key_id=_new_key_id(now),
        public_key=b64url_encode(raw_public),
        private_key_encrypted=_current_fernet().encrypt(raw_private).decode("ascii"),
        active=True,
    )


@transaction.atomic
def signing_key_rotate(*, now: datetime | None = None) -> SigningKey:
    """Retire the active key (it keeps verifying) and start a new one."""
    now = now or timezone.now()
    list(SigningKey.objects.select_for_update().filter(active=True))
    SigningKey.objects.filter(active=True).update(active=False, retired_at=now)
    return signing_key_create(now=now)


def signing_key_active() -> SigningKey:
    """The key that signs now; the first signing ever creates it."""
    key = SigningKey.objects.filter(active=True).first()
    if key is not None:
        return key
    try:
        # Two processes may race to create the first key: the one-active-key constraint
        # lets one win, and the other reads the winner's key.
        with transaction.atomic():
            return signing_key_create()
    except IntegrityError:
        return SigningKey.objects.get(active=True)


def payload_sign(payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Stamp ``payload`` with the active key id and sign it; returns (payload, signature)."""
    key = signing_key_active()
    signed = {**payload, "kid": key.key_id}
    private = _private_key(
        key.key_id, key.private_key_encrypted, str(settings.TONGBAN_SIGNING_SECRET)
    )
    return signed, b64url_encode(private.sign(canonical(signed)))


def payload_verify(payload: Any, signature: Any) -> Verdict:
    """Whether ``signature`` is a signature of ours over exactly ``payload`` (nothing else)."""
    if not isinstance(payload, dict):
        return Verdict(False, _("签名内容必须是 JSON 对象"), "invalid")
    key_id = payload.get("kid")
    if not isinstance(key_id, str) or not key_id:
        return Verdict(False, _("签名内容缺少密钥编号（kid）"), "invalid")
    key = SigningKey.objects.filter(key_id=key_id).only("public_key").first()
    if key is None:
        return Verdict(False, _("未知的签名密钥"), "invalid", key_id)
    try:
        raw_signature = b64url_decode(signature)
    except ValueError:
        return Verdict(False, _("签名格式无效"), "invalid", key_id)
    try:
        message = canonical(payload)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return Verdict(False, _("签名内容无法规范化（含不允许的数值或类型）"), "invalid", key_id)
    try:
        _public_key(key.public_key).verify(raw_signature, message)
    except InvalidSignature:
        return Verdict(False, _("签名与内容不符，证照内容或签名可能被篡改"), "invalid", key_id)
    return Verdict(True, _("签名有效"), "valid", key_id)


def signature_fingerprint(signature: str) -> str:
    """A short, human-comparable form of a signature (first 16 hex digits of its SHA-256)."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(signature.encode("ascii", "replace"))
    hexdigest = digest.finalize().hex()[:16].upper()
    return " ".join(hexdigest[i : i + 4] for i in range(0, 16, 4))
