"""Trust that needs a key: verification shows only what the signature covers, the issuer's keys
are published, and anyone verifies a certificate offline with independent tools (PyNaCl/libsodium
and the ``jcs`` canonicaliser for Ed25519; the openssl 3 CLI for Ed25519 and SM2 with SM3)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import jcs
import nacl.exceptions
import nacl.signing
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from tongban.cases.models import Case
from tongban.catalog.models import Matter
from tongban.certificates import services, signing, sm2
from tongban.certificates.models import Certificate, SigningKey
from tongban.certificates.tests.factories import approved_case
from tongban.core.errors import NotFound, ValidationFailed
from tongban.identity.models import Enterprise, User

pytestmark = pytest.mark.django_db

Bearer = Callable[[User], dict[str, str]]
OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")
FORGED_NAME = "冒名顶替有限公司"


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(sql: str, params: list[Any]) -> None:
    # Tampering as an intruder would: straight SQL, past the ORM.
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", Certificate._meta.db_table), params)


def _keys(client: Client) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/certificates/keys")
    assert response.status_code == 200
    return {key["kid"]: key for key in response.json()["keys"]}


def _published(client: Client, bearer: Bearer, user: User, number: str) -> tuple[dict, str]:
    body = client.get(f"/api/v1/certificates/{number}", **bearer(user)).json()
    return body["payload"], body["signature"]


def _second_certificate(matter: Matter, user: User, enterprise: Enterprise) -> Certificate:
    case: Case = approved_case(matter=matter, user=user, enterprise=enterprise)
    issued = services.certificate_issue(case=case)
    assert issued is not None
    return issued


# --- what the public verification shows ------------------------------------------------------


def test_the_verdict_is_read_from_the_signed_payload(
    api_client: Client, certificate: Certificate
) -> None:
    body = api_client.get(f"/api/v1/verify/{certificate.number}").json()
    payload = certificate.payload
    assert body["valid"] is True and body["reason"] == "签名有效"
    assert body["holder"]["name"] == payload["holder"]["name"]
    assert body["issuer"] == {"code": payload["issuer"]["code"], "name": payload["issuer"]["name"]}
    assert body["type"]["code"] == payload["type"]["code"]
    assert body["valid_until"] == payload["valid_until"]
    assert body["alg"] == "EdDSA" and body["key_id"] == payload["kid"]


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("holder_name", FORGED_NAME, "持证主体"),
        ("holder_subject", "91310000MA1FL00000", "持证主体标识"),
        ("valid_until", "2099-12-31", "有效期至"),
        ("key_id", "ed25519-20990101-deadbeef", "密钥编号"),
    ],
)
def test_a_column_edited_by_sql_is_signature_invalid_and_named(
    api_client: Client,
    client: Client,
    certificate: Certificate,
    column: str,
    value: str,
    named: str,
) -> None:
    _raw(f"UPDATE {{t}} SET {column} = %s WHERE id = %s", [value, certificate.pk])  # noqa: S608

    body = api_client.get(f"/api/v1/verify/{certificate.number}").json()
    assert body["valid"] is False and body["status"] == "invalid"
    assert body["reason"].startswith("签名校验失败")
    assert named in body["reason"]
    # Nothing unsigned is shown: not the forged value, nor anything else about the certificate.
    assert body["holder"] is None and body["issuer"] is None and body["issued_at"] is None
    assert FORGED_NAME not in json.dumps(body, ensure_ascii=False)

    html = client.get(f"/verify/{certificate.number}/").content.decode()
    assert 'data-testid="verdict">无效<' in html
    assert "签名校验失败" in html and named in html
    assert FORGED_NAME not in html


def test_the_issuer_column_edited_is_named(
    api_client: Client, certificate: Certificate, departments: dict[str, Any]
) -> None:
    _raw("UPDATE {t} SET issuer_id = %s WHERE id = %s", [departments["police"].pk, certificate.pk])
    body = api_client.get(f"/api/v1/verify/{certificate.number}").json()
    assert body["status"] == "invalid" and "发证机关" in body["reason"]


def test_a_payload_changed_without_re_signing_is_signature_invalid(
    api_client: Client, client: Client, certificate: Certificate
) -> None:
    payload = {**certificate.payload, "holder": {**certificate.payload["holder"]}}
    payload["holder"]["name"] = FORGED_NAME
    _raw(
        "UPDATE {t} SET payload = %s, holder_name = %s WHERE id = %s",
        [json.dumps(payload, ensure_ascii=False), FORGED_NAME, certificate.pk],
    )

    body = api_client.get(f"/api/v1/verify/{certificate.number}").json()
    assert body["status"] == "invalid"
    assert body["reason"] == "签名校验失败：签名与内容不符，证照内容或签名可能被篡改"
    assert FORGED_NAME not in json.dumps(body, ensure_ascii=False)
    html = client.get(f"/verify/{certificate.number}/").content.decode()
    assert "签名与内容不符" in html and FORGED_NAME not in html


def test_the_english_page_names_what_is_wrong(client: Client, certificate: Certificate) -> None:
    _raw("UPDATE {t} SET holder_name = %s WHERE id = %s", [FORGED_NAME, certificate.pk])
    html = client.get(f"/verify/{certificate.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Signature check failed" in html and "Holder" in html


# --- the published keys and offline verification ----------------------------------------------


def test_the_keys_document_is_public_and_jwk_shaped(
    api_client: Client, certificate: Certificate
) -> None:
    response = api_client.get("/api/v1/certificates/keys")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    (key,) = response.json()["keys"]
    assert key["kid"] == certificate.payload["kid"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert len(_b64url(key["x"])) == 32
    # CONTRACT.md's first shape: the raw key in base64url, the same bytes as the JWK's x.
    assert key["public_key"] == key["x"]
    assert key["status"] == "active" and key["not_after"] is None and key["revoked_at"] is None
    assert key["not_before"]
    assert key["spki_pem"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert "private" not in json.dumps(key)


def test_anyone_verifies_offline_with_libsodium_and_an_independent_jcs(
    api_client: Client, bearer: Bearer, agent_user: User, certificate: Certificate
) -> None:
    payload, signature = _published(api_client, bearer, agent_user, certificate.number)
    keys = _keys(Client())  # anonymous
    key = keys[payload["kid"]]
    assert key["crv"] == "Ed25519"
    verify_key = nacl.signing.VerifyKey(_b64url(key["x"]))

    message = jcs.canonicalize(payload)
    assert verify_key.verify(message, _b64url(signature)) == message

    tampered = {**payload, "valid_until": "2099-12-31"}
    with pytest.raises(nacl.exceptions.BadSignatureError):
        verify_key.verify(jcs.canonicalize(tampered), _b64url(signature))


def _openssl_verify(tmp: Path, pem: str, message: bytes, signature: bytes, *sm2_opts: str) -> bool:
    (tmp / "key.pem").write_text(pem)
    (tmp / "msg").write_bytes(message)
    (tmp / "sig").write_bytes(signature)
    assert OPENSSL is not None
    result = subprocess.run(  # noqa: S603  (fixed arguments, files we wrote)
        [
            OPENSSL,
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(tmp / "key.pem"),
            "-rawin",
            *sm2_opts,
            "-in",
            str(tmp / "msg"),
            "-sigfile",
            str(tmp / "sig"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and "Verified Successfully" in result.stdout


@needs_openssl
def test_openssl_verifies_an_ed25519_certificate(
    api_client: Client, bearer: Bearer, agent_user: User, certificate: Certificate, tmp_path: Path
) -> None:
    payload, signature = _published(api_client, bearer, agent_user, certificate.number)
    key = _keys(api_client)[payload["kid"]]
    # The PEM an offline verifier builds from the JWK's x alone (RFC 8410 SPKI).
    der = bytes.fromhex("302a300506032b6570032100") + _b64url(key["x"])
    pem = (
        "-----BEGIN PUBLIC KEY-----\n"
        + base64.b64encode(der).decode()
        + "\n-----END PUBLIC KEY-----\n"
    )
    assert pem == key["spki_pem"]
    assert _openssl_verify(tmp_path, pem, jcs.canonicalize(payload), _b64url(signature))
    tampered = jcs.canonicalize({**payload, "number": "FBL209900000001"})
    assert not _openssl_verify(tmp_path, pem, tampered, _b64url(signature))


# --- SM2 with SM3 ------------------------------------------------------------------------------


SM2_OPTS = ("-digest", "sm3", "-pkeyopt", f"distid:{sm2.DEFAULT_ID}")


def _sm2_pem_from_jwk(key: dict[str, Any]) -> str:
    # id-ecPublicKey + sm2p256v1 (1.2.156.10197.1.301), uncompressed point: built from x and y.
    der = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
    der += _b64url(key["x"]) + _b64url(key["y"])
    text = base64.b64encode(der).decode()
    lines = "".join(text[i : i + 64] + "\n" for i in range(0, len(text), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{lines}-----END PUBLIC KEY-----\n"


@pytest.fixture
def sm2_certificate(
    settings: Any,
    certificate: Certificate,
    matter: Matter,
    agent_user: User,
    enterprise: Enterprise,
) -> Certificate:
    """An Ed25519 certificate first (``certificate``), then the switch to SM2 and a second one."""
    settings.CERTIFICATE_SIGNATURE_ALGORITHM = "sm2"
    return _second_certificate(matter, agent_user, enterprise)


def test_switching_to_sm2_starts_an_sm2_key_and_old_certificates_still_verify(
    api_client: Client, certificate: Certificate, sm2_certificate: Certificate
) -> None:
    assert sm2_certificate.payload["alg"] == "SM3withSM2"
    assert sm2_certificate.key_id.startswith("sm2-")
    keys = _keys(api_client)
    old, new = keys[certificate.key_id], keys[sm2_certificate.key_id]
    assert old["status"] == "retired" and old["not_after"] is not None
    assert (new["kty"], new["crv"], new["alg"], new["status"]) == (
        "EC",
        "SM2",
        "SM3withSM2",
        "active",
    )
    assert new["sm2_id"] == "1234567812345678"
    for cert in (certificate, sm2_certificate):
        body = api_client.get(f"/api/v1/verify/{cert.number}").json()
        assert body["valid"] is True, body["reason"]
    assert api_client.get(f"/api/v1/verify/{sm2_certificate.number}").json()["alg"] == "SM3withSM2"


@needs_openssl
def test_openssl_verifies_an_sm2_certificate_signed_through_gmssl(
    api_client: Client,
    bearer: Bearer,
    agent_user: User,
    sm2_certificate: Certificate,
    tmp_path: Path,
) -> None:
    payload, signature = _published(api_client, bearer, agent_user, sm2_certificate.number)
    key = _keys(api_client)[payload["kid"]]
    pem = _sm2_pem_from_jwk(key)
    assert pem == key["spki_pem"]
    message = jcs.canonicalize(payload)
    assert _openssl_verify(tmp_path, pem, message, _b64url(signature), *SM2_OPTS)
    tampered = jcs.canonicalize({**payload, "valid_until": "2099-12-31"})
    assert not _openssl_verify(tmp_path, pem, tampered, _b64url(signature), *SM2_OPTS)


@needs_openssl
def test_gmssl_verifies_what_openssl_signs_with_sm2(tmp_path: Path) -> None:
    assert OPENSSL is not None
    key = tmp_path / "k.pem"
    subprocess.run(  # noqa: S603
        [
            OPENSSL,
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:SM2",
            "-out",
            str(key),
        ],
        check=True,
        capture_output=True,
    )
    der = subprocess.run(  # noqa: S603
        [OPENSSL, "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    public = der[-64:]
    message = "证照 SM2 互通".encode()
    (tmp_path / "m").write_bytes(message)
    subprocess.run(  # noqa: S603
        [
            OPENSSL,
            "pkeyutl",
            "-sign",
            "-inkey",
            str(key),
            "-rawin",
            *SM2_OPTS,
            "-in",
            str(tmp_path / "m"),
            "-out",
            str(tmp_path / "s"),
        ],
        check=True,
        capture_output=True,
    )
    signature = (tmp_path / "s").read_bytes()
    assert sm2.verify(public, signature, message)
    assert not sm2.verify(public, signature, message + b"!")


def test_sm2_refuses_malformed_signatures() -> None:
    private, public = sm2.generate()
    assert sm2.public_of(private) == public and sm2.on_curve(public)
    good = sm2.sign(private, public, b"m")
    assert sm2.verify(public, good, b"m")
    r, s = sm2.der_decode(good)
    for bad in (
        b"",
        good[:-1],
        good + b"\x00",
        sm2.der_encode(0, s),
        sm2.der_encode(r, sm2.N),
        sm2.der_encode(r + sm2.N, s),
        b"\x30\x06\x02\x01\x01\x02\x01\x01",
    ):
        assert not sm2.verify(public, bad, b"m")
    assert not sm2.verify(public[:-1] + bytes([public[-1] ^ 1]), good, b"m")  # off the curve


# --- verdicts on keys --------------------------------------------------------------------------


def _verify(client: Client, payload: Any, signature: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/verify",
        json.dumps({"payload": payload, "signature": signature}),
        content_type="application/json",
    )
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_a_revoked_key_verifies_nothing_and_is_published_as_revoked(
    api_client: Client,
    client: Client,
    certificate: Certificate,
    matter: Matter,
    agent_user: User,
    enterprise: Enterprise,
) -> None:
    out = StringIO()
    call_command("keys", "revoke", certificate.key_id, "--reason", "私钥泄露", stdout=out)
    assert certificate.key_id in out.getvalue()

    verdict = _verify(api_client, certificate.payload, certificate.signature)
    assert verdict["valid"] is False and "吊销" in verdict["reason"]
    body = api_client.get(f"/api/v1/verify/{certificate.number}").json()
    assert body["status"] == "invalid" and "吊销" in body["reason"]
    assert "吊销" in client.get(f"/verify/{certificate.number}/").content.decode()
    key = _keys(api_client)[certificate.key_id]
    assert key["status"] == "revoked" and key["revoked_at"] and key["not_after"]

    # The next certificate is signed with a new key.
    second = _second_certificate(matter, agent_user, enterprise)
    assert second.key_id != certificate.key_id
    assert api_client.get(f"/api/v1/verify/{second.number}").json()["valid"] is True


def test_revoking_needs_a_known_key_and_a_reason(certificate: Certificate) -> None:
    with pytest.raises(NotFound):
        services.keys_revoke(key_id="ed25519-20990101-deadbeef", reason="x")
    with pytest.raises(ValidationFailed):
        services.keys_revoke(key_id=certificate.key_id, reason="  ")
    with pytest.raises(CommandError):
        call_command("keys", "revoke", "nope", "--reason", "x", stdout=StringIO())
    assert SigningKey.objects.get(key_id=certificate.key_id).revoked_at is None


def test_a_payload_naming_another_algorithm_is_refused_by_name(
    api_client: Client, certificate: Certificate
) -> None:
    verdict = _verify(
        api_client, {**certificate.payload, "alg": "SM3withSM2"}, certificate.signature
    )
    assert verdict["valid"] is False
    assert "签名算法不符" in verdict["reason"] and "SM3withSM2" in verdict["reason"]


@pytest.mark.parametrize("kid", ["ed25519-20990101-deadbeef", "a\x00b", "x" * 500, "' OR 1=1 --"])
def test_an_unknown_or_malformed_kid_is_named_unknown(certificate: Certificate, kid: str) -> None:
    verdict = signing.payload_verify({**certificate.payload, "kid": kid}, certificate.signature)
    assert verdict.valid is False and verdict.reason.startswith("未知的签名密钥")


def test_rotate_takes_an_algorithm_and_refuses_others(db: None) -> None:
    assert services.keys_rotate(algorithm="sm2").algorithm == "sm2"
    with pytest.raises(ValidationFailed):
        services.keys_rotate(algorithm="rsa")
    assert SigningKey.objects.filter(active=True).get().algorithm == "sm2"


@pytest.mark.parametrize(
    ("number", "status"),
    # A NUL in the path is refused by the input boundary (404) before the view; the view
    # refuses the rest.
    [("RP%00", 404), ("FBL%00X", 404), ("X" * 300, 404)],
)
def test_a_number_that_cannot_be_one_is_not_found_without_a_query(
    api_client: Client, client: Client, certificate: Certificate, number: str, status: int
) -> None:
    assert api_client.get(f"/api/v1/verify/{number}").status_code == status
    assert client.get(f"/verify/{number}/").status_code == status
