"""Sign-in through the city's unified identity (统一身份认证), an OpenID Connect provider.

The authorization code flow with PKCE (S256), ``state`` and ``nonce``: the pending
sign-in lives in the session and is consumed by its callback (a replayed callback finds
nothing), the code is exchanged at the token endpoint with the client secret and the
code verifier, and the ID token is verified with the provider's JWKS: signature (RS256 or
ES256), issuer, audience, expiry and nonce.  PKCE comes from authlib, the JOSE checks from
joserfc (authlib's JOSE library).  Which person or enterprise the verified claims stand
for is decided by ``services.oidc_user_resolve``.

Configured by settings ``OIDC_*`` (see docs/unified-identity.md); without
``OIDC_ISSUER`` and ``OIDC_CLIENT_ID`` the sign-in button is not shown.
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from typing import Any

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

#: Session key of the pending sign-ins (state → nonce, verifier, next).
PENDING_KEY = "oidc_pending"
#: Session key of the ID token of an OIDC session (for RP-initiated logout).
ID_TOKEN_KEY = "oidc_id_token"  # noqa: S105  (a session key, not a secret)
#: A pending sign-in older than this is refused (seconds).
PENDING_SECONDS = 600
#: Most pending sign-ins kept per session (several tabs); the oldest go first.
PENDING_MAX = 5
#: Seconds the discovery document and the JWKS are cached.
METADATA_SECONDS = 300
#: Seconds of clock difference tolerated on exp/iat.
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256", "ES256"]


class OidcError(Exception):
    """A refused sign-in: ``kind`` for tests and logs, ``detail`` for the person."""

    def __init__(self, kind: str, detail: str | Promise, *, status: int = 400) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = status


def oidc_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def _unreachable(exc: Exception) -> OidcError:
    return OidcError(
        "unreachable",
        _("统一身份认证服务暂时无法连接，请稍后再试或使用账号密码登录"),
        status=502,
    )


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(exc) from exc
    if not isinstance(data, dict):
        raise _unreachable(ValueError(url))
    return data


def provider_metadata() -> dict[str, Any]:
    """The provider's discovery document (cached a few minutes)."""
    url = settings.OIDC_DISCOVERY_URL or (
        settings.OIDC_ISSUER.rstrip("/") + "/.well-known/openid-configuration"
    )
    key = "oidc:discovery:" + url
    found = cache.get(key)
    if found is None:
        found = _get_json(url)
        missing = [
            name
            for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(found.get(name), str)
        ]
        if missing:
            raise _unreachable(ValueError(", ".join(missing)))
        cache.set(key, found, METADATA_SECONDS)
    return found


def _key_set(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    key = "oidc:jwks:" + jwks_uri
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(jwks_uri)
        cache.set(key, data, METADATA_SECONDS)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (jose_errors.JoseError, ValueError, TypeError, KeyError) as exc:
        raise _unreachable(exc) from exc


def authorization_url(*, session: Any, redirect_uri: str, next_url: str) -> str:
    """Remember a new pending sign-in in the session; the provider URL to send the browser to."""
    metadata = provider_metadata()
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    pending = dict(session.get(PENDING_KEY) or {})
    pending[state] = {"nonce": nonce, "verifier": verifier, "next": next_url, "at": time.time()}
    oldest_first = sorted(pending, key=lambda s: pending[s]["at"])
    for stale in oldest_first[:-PENDING_MAX]:
        del pending[stale]
    session[PENDING_KEY] = pending
    params = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": " ".join(settings.OIDC_SCOPES),
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    endpoint = metadata["authorization_endpoint"]
    sep = "&" if "?" in endpoint else "?"
    return endpoint + sep + urllib.parse.urlencode(params)


def _pending_take(session: Any, state: str) -> dict[str, Any]:
    """The pending sign-in of ``state``, removed from the session (it serves once)."""
    pending = dict(session.get(PENDING_KEY) or {})
    found = pending.pop(state, None) if state else None
    session[PENDING_KEY] = pending
    if not isinstance(found, dict) or time.time() - found.get("at", 0) > PENDING_SECONDS:
        raise OidcError(
            "state",
            _("登录请求已失效或已被使用过（state 不符），请重新登录"),
        )
    return found


def _token_exchange(
    metadata: dict[str, Any], *, code: str, verifier: str, redirect_uri: str
) -> dict[str, Any]:
    try:
        response = requests.post(
            metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET),
            timeout=settings.OIDC_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise _unreachable(exc) from exc
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200 or not isinstance(data, dict) or not data.get("id_token"):
        raise OidcError(
            "token",
            _("统一身份认证拒绝了登录凭证，请重新登录"),
            status=502 if response.status_code >= 500 else 400,
        )
    return data


def id_token_verify(metadata: dict[str, Any], *, id_token: str, nonce: str) -> dict[str, Any]:
    """The claims of a verified ID token: signature, issuer, audience, expiry, nonce."""
    try:
        try:
            token = jwt.decode(id_token, _key_set(metadata["jwks_uri"]), algorithms=ALGORITHMS)
        except jose_errors.MissingKeyError:
            # The provider may have rotated its key since the JWKS was cached.
            keys = _key_set(metadata["jwks_uri"], refresh=True)
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (jose_errors.BadSignatureError, jose_errors.MissingKeyError) as exc:
        raise OidcError("signature", _("身份令牌签名无效，登录被拒绝")) from exc
    except (jose_errors.JoseError, ValueError, TypeError) as exc:
        raise OidcError("malformed", _("身份令牌格式无效，登录被拒绝")) from exc
    claims = token.claims
    registry = JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": settings.OIDC_CLIENT_ID},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(claims)
    except jose_errors.ExpiredTokenError as exc:
        raise OidcError("expired", _("身份令牌已过期，请重新登录")) from exc
    except (jose_errors.InvalidClaimError, jose_errors.MissingClaimError) as exc:
        claim = getattr(exc, "claim", "")
        if claim in ("iss", "aud"):
            raise OidcError(
                claim, _("身份令牌不是签发给本系统的（签发方或受众不符），登录被拒绝")
            ) from exc
        raise OidcError("claims", _("身份令牌内容不完整，登录被拒绝")) from exc
    except jose_errors.JoseError as exc:
        raise OidcError("claims", _("身份令牌内容不完整，登录被拒绝")) from exc
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not secrets.compare_digest(token_nonce, nonce):
        raise OidcError(
            "nonce", _("身份令牌与本次登录请求不符（nonce 不符），可能是重放，登录被拒绝")
        )
    return dict(claims)


def _userinfo(metadata: dict[str, Any], access_token: str) -> dict[str, Any]:
    endpoint = metadata.get("userinfo_endpoint")
    if not endpoint or not access_token:
        return {}
    try:
        response = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.OIDC_TIMEOUT_SECONDS,
        )
        data = response.json() if response.status_code == 200 else {}
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(exc) from exc
    return data if isinstance(data, dict) else {}


def authorization_finish(
    *, session: Any, params: dict[str, str], redirect_uri: str
) -> tuple[dict[str, Any], str, str]:
    """Check the callback and the tokens: (verified claims, ID token, next URL)."""
    state = params.get("state", "")
    error = params.get("error", "")
    if error:
        # The state is consumed either way: the callback cannot be replayed.
        pending = dict(session.get(PENDING_KEY) or {})
        pending.pop(state, None)
        session[PENDING_KEY] = pending
        if error == "access_denied":
            raise OidcError("cancelled", _("您已取消统一身份认证登录"))
        raise OidcError("provider", _("统一身份认证未完成登录，请重新登录"))
    found = _pending_take(session, state)
    code = params.get("code", "")
    if not code:
        raise OidcError("token", _("统一身份认证拒绝了登录凭证，请重新登录"))
    metadata = provider_metadata()
    tokens = _token_exchange(
        metadata, code=code, verifier=found["verifier"], redirect_uri=redirect_uri
    )
    claims = id_token_verify(metadata, id_token=str(tokens["id_token"]), nonce=found["nonce"])
    # Claims the ID token does not carry may come from userinfo, for the same subject only;
    # what the signed ID token says always wins.
    info = _userinfo(metadata, str(tokens.get("access_token") or ""))
    if info.get("sub") == claims["sub"]:
        claims = {**info, **claims}
    return claims, str(tokens["id_token"]), str(found.get("next") or "")


def end_session_url(*, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """The provider's RP-initiated logout URL, when it offers one."""
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except OidcError:
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    params = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "client_id": settings.OIDC_CLIENT_ID,
    }
    sep = "&" if "?" in endpoint else "?"
    return endpoint + sep + urllib.parse.urlencode(params)
