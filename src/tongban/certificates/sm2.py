"""SM2 signatures with SM3 (GB/T 32918.2, GM/T 0003.2 and GM/T 0009) through ``gmssl``.

``gmssl`` computes the curve arithmetic and the SM3 digest of Z‖M (Z over the default
distinguishing ID "1234567812345678"); this module supplies what it leaves to the caller:

* the nonce ``k`` and the private key from :mod:`secrets` (gmssl's own default uses
  :mod:`random`, which is not fit for keys);
* signatures encoded as DER ``SEQUENCE { r INTEGER, s INTEGER }`` (GM/T 0009), the form
  ``openssl pkeyutl -verify -rawin -digest sm3`` reads, parsed strictly on the way in;
* the public key as SubjectPublicKeyInfo (id-ecPublicKey, curve sm2p256v1), so that standard
  tools read it.
"""

from __future__ import annotations

import base64
import secrets

from gmssl import sm2 as gm

_TABLE = gm.default_ecc_table
N = int(_TABLE["n"], 16)
P = int(_TABLE["p"], 16)
_A = int(_TABLE["a"], 16)
_B = int(_TABLE["b"], 16)
#: The default distinguishing ID of GM/T 0009 (gmssl hard-codes it in Z; openssl needs it as
#: ``-pkeyopt distid:1234567812345678``).
DEFAULT_ID = "1234567812345678"
#: DER prefix of an SPKI for an uncompressed sm2p256v1 point:
#: SEQUENCE { SEQUENCE { id-ecPublicKey, 1.2.156.10197.1.301 }, BIT STRING 04‖x‖y }.
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def _crypt(private_hex: str, public_hex: str) -> gm.CryptSM2:
    crypt = gm.CryptSM2(private_key=private_hex, public_key="00")
    # Set after construction: the constructor's lstrip("04") would eat leading digits of x.
    crypt.public_key = public_hex
    return crypt


def generate() -> tuple[bytes, bytes]:
    """A new key pair: (32-byte private scalar, 64-byte public point x‖y)."""
    d = secrets.randbelow(N - 2) + 1  # 1 ≤ d ≤ n − 2
    private_hex = f"{d:064x}"
    public_hex = _crypt(private_hex, "00")._kg(d, _TABLE["g"])
    return bytes.fromhex(private_hex), bytes.fromhex(public_hex)


def public_of(private: bytes) -> bytes:
    d = int.from_bytes(private, "big")
    return bytes.fromhex(_crypt(private.hex(), "00")._kg(d, _TABLE["g"]))


def on_curve(public: bytes) -> bool:
    if len(public) != 64:
        return False
    x = int.from_bytes(public[:32], "big")
    y = int.from_bytes(public[32:], "big")
    return x < P and y < P and (y * y - (x * x * x + _A * x + _B)) % P == 0


def _der_int(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + bytes([len(raw)]) + raw


def der_encode(r: int, s: int) -> bytes:
    body = _der_int(r) + _der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def der_decode(signature: bytes) -> tuple[int, int]:
    """(r, s) from a DER signature; ValueError for anything but the one minimal encoding."""
    if len(signature) < 8 or signature[0] != 0x30 or signature[1] != len(signature) - 2:
        raise ValueError("not a DER SEQUENCE")
    values: list[int] = []
    rest = signature[2:]
    for _ in range(2):
        if len(rest) < 3 or rest[0] != 0x02 or rest[1] > 33 or rest[1] > len(rest) - 2:
            raise ValueError("not a DER INTEGER")
        raw = rest[2 : 2 + rest[1]]
        if raw[0] & 0x80 or (len(raw) > 1 and raw[0] == 0 and not raw[1] & 0x80):
            raise ValueError("negative or non-minimal INTEGER")
        values.append(int.from_bytes(raw, "big"))
        rest = rest[2 + rest[1] :]
    if rest:
        raise ValueError("trailing bytes")
    return values[0], values[1]


def sign(private: bytes, public: bytes, message: bytes) -> bytes:
    """DER signature of SM3(Z‖message) under the default ID."""
    crypt = _crypt(private.hex(), public.hex())
    while True:
        k = f"{secrets.randbelow(N - 1) + 1:064x}"
        raw = crypt.sign_with_sm3(message, k)
        if raw:  # None for the (negligible) r = 0, r + k = n or s = 0 cases: pick a new k
            return der_encode(int(raw[:64], 16), int(raw[64:], 16))


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        r, s = der_decode(signature)
    except ValueError:
        return False
    if not (1 <= r < N and 1 <= s < N) or not on_curve(public):
        return False
    return bool(_crypt("00", public.hex()).verify_with_sm3(f"{r:064x}{s:064x}", message))


def spki_der(public: bytes) -> bytes:
    return _SPKI_PREFIX + b"\x04" + public


def pem(der: bytes) -> str:
    """PEM armour of a DER public key (64 characters a line, RFC 7468)."""
    text = base64.b64encode(der).decode("ascii")
    body = "".join(text[i : i + 64] + "\n" for i in range(0, len(text), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n"
