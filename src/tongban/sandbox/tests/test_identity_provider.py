"""The sandbox OpenID Connect provider keeps the protocol's promises (run as a process)."""

from __future__ import annotations

import urllib.parse

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from tongban.conftest import IDP_CLIENT_ID, IDP_CLIENT_SECRET, IdentityProvider

REDIRECT = "http://rp.example/callback"
VERIFIER = "v" * 50


def _code(idp: IdentityProvider, subject: str = "sbx-agent") -> str:
    form = {
        "client_id": IDP_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": create_s256_code_challenge(VERIFIER),
        "code_challenge_method": "S256",
        "subject": subject,
    }
    answer = requests.post(f"{idp.url}/authorize", data=form, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query))
    assert query["state"] == "s1"
    return query["code"]


def _token(idp: IdentityProvider, code: str, verifier: str = VERIFIER) -> requests.Response:
    return requests.post(
        f"{idp.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(IDP_CLIENT_ID, IDP_CLIENT_SECRET),
        timeout=5,
    )


def test_discovery_jwks_and_a_signed_id_token_with_the_nonce(
    identity_provider_process: IdentityProvider,
) -> None:
    idp = identity_provider_process
    idp.switch()
    meta = requests.get(f"{idp.url}/.well-known/openid-configuration", timeout=5).json()
    assert meta["issuer"] == idp.url
    assert meta["code_challenge_methods_supported"] == ["S256"]
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())

    tokens = _token(idp, _code(idp)).json()

    claims = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == idp.url and claims["aud"] == IDP_CLIENT_ID
    assert claims["nonce"] == "n1"
    assert claims["credit_code"] == "91310114MA1GU3K88G"
    info = requests.get(
        meta["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    ).json()
    assert info["sub"] == "sbx-agent" and info["name"] == "王芳"


def test_a_code_serves_once_and_only_with_its_verifier_and_the_client_secret(
    identity_provider_process: IdentityProvider,
) -> None:
    idp = identity_provider_process
    code = _code(idp)
    assert _token(idp, code, verifier="w" * 50).json()["error"] == "invalid_grant"
    # A failed attempt used the code up.
    assert _token(idp, code).json()["error"] == "invalid_grant"

    code = _code(idp)
    wrong_secret = requests.post(
        f"{idp.url}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(IDP_CLIENT_ID, "not-the-secret"),
        timeout=5,
    )
    assert wrong_secret.status_code == 401
    assert _token(idp, code).status_code == 200
    assert _token(idp, code).json()["error"] == "invalid_grant"


def test_an_authorization_request_without_pkce_or_nonce_is_refused(
    identity_provider_process: IdentityProvider,
) -> None:
    idp = identity_provider_process
    base = {
        "client_id": IDP_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": "c",
        "code_challenge_method": "S256",
    }
    for missing in ("nonce", "code_challenge", "state"):
        query = {k: v for k, v in base.items() if k != missing}
        page = requests.get(f"{idp.url}/authorize", params=query, timeout=5)
        assert page.status_code == 400
        assert f"{missing} is required" in page.text
    page = requests.get(f"{idp.url}/authorize", params={**base, "client_id": "x"}, timeout=5)
    assert page.status_code == 400
    control = requests.post(f"{idp.url}/control", json={"tamper": True}, timeout=5)
    assert control.status_code == 401
