"""The sandbox identity provider: a small OpenID Connect provider run as its own process.

It stands in for a city's unified identity service (统一身份认证) during development,
the demo and the tests: ``tongban identity sandbox --port 8020`` or
``python -m tongban.sandbox.identity_provider --client-secret …``.  Like the payment
sandbox it is pure standard library HTTP (no Django), so it behaves like a provider on
another machine; the OAuth/OIDC pieces come from authlib (PKCE) and joserfc (authlib's
JOSE library: the RS256 key, the JWKS, the signed ID tokens).

- ``GET /.well-known/openid-configuration`` the discovery document
- ``GET /jwks`` the public key set (one RS256 key, made at start-up)
- ``GET /authorize`` (authorization code flow; ``state``, ``nonce`` and PKCE S256 are
  required) shows a bilingual page to choose a demo person or agent, or to cancel;
  ``POST /authorize`` sends the browser back with a one-time code (or ``error=access_denied``)
- ``POST /token`` (client_secret_basic or client_secret_post, the code verifier) → an
  access token and an ID token with the nonce, signed RS256
- ``GET /userinfo`` (Bearer access token) → the subject's claims
- ``GET /logout`` (RP-initiated logout) → back to ``post_logout_redirect_uri``
- ``POST /control`` (client credentials, JSON) sets test switches for the next tokens:
  ``tamper`` (the signature is corrupted), ``audience``/``issuer`` (wrong values),
  ``expired`` (exp in the past), ``wrong_nonce`` (a nonce of another sign-in),
  ``id_number`` (replaces the subject's ID number claim); ``{}`` clears them.

Claims: ``sub``, ``name``, ``id_number`` and, for an agent of an enterprise,
``credit_code`` and ``enterprise_name``.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import html
import json
import secrets
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

#: Largest request body accepted, in bytes.
MAX_BODY = 16 * 1024
#: Seconds an authorization code, an ID token and an access token live.
CODE_SECONDS = 120
TOKEN_SECONDS = 600
SWITCH_NAMES = ("tamper", "audience", "issuer", "expired", "wrong_nonce", "id_number")

#: The demo subjects: the demo district's people (src/tongban/demo/data/people.yaml), the
#: demo agent acting for its enterprise (enterprises.yaml), and a newcomer the district does
#: not know yet.  Every number carries a valid check digit.
DEMO_SUBJECTS: list[dict[str, str]] = [
    {"sub": "sbx-citizen", "name": "张伟", "id_number": "310114198803120317"},
    {"sub": "sbx-citizen2", "name": "李娜", "id_number": "320583199207080241"},
    {
        "sub": "sbx-agent",
        "name": "王芳",
        "id_number": "310114198511230469",
        "credit_code": "91310114MA1GU3K88G",
        "enterprise_name": "上海嘉通餐饮管理有限公司",
    },
    {"sub": "sbx-walk-in", "name": "陈建国", "id_number": "310114196505020132"},
    {"sub": "sbx-newcomer", "name": "孙丽", "id_number": "310114199502280020"},
]


@dataclass
class Grant:
    subject: dict[str, str]
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    expires_at: float


class Provider:
    """The provider's state, in memory; one lock guards it across request threads."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        subjects: list[dict[str, str]] | None = None,
        issuer: str = "",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.subjects = {s["sub"]: s for s in (subjects or DEMO_SUBJECTS)}
        self.issuer = issuer.rstrip("/")
        self.key = RSAKey.generate_key(
            2048,
            parameters={"kid": "sbx-" + secrets.token_hex(4), "use": "sig", "alg": "RS256"},
            private=True,
        )
        self.lock = threading.Lock()
        self.codes: dict[str, Grant] = {}
        self.access_tokens: dict[str, tuple[dict[str, str], float]] = {}
        self.switches: dict[str, Any] = {}

    def discovery(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile"],
            "claims_supported": [
                "sub",
                "name",
                "id_number",
                "credit_code",
                "enterprise_name",
                "nonce",
            ],
        }

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.key]).as_dict(private=False))

    def client_ok(self, client_id: str, client_secret: str) -> bool:
        return client_id == self.client_id and hmac.compare_digest(
            client_secret.encode("utf-8"), self.client_secret.encode("utf-8")
        )

    def code_issue(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = grant
        return code

    def code_redeem(self, code: str) -> Grant | None:
        """The grant of a code, once: a second redemption finds nothing."""
        with self.lock:
            grant = self.codes.pop(code, None)
        if grant is None or grant.expires_at < time.time():
            return None
        return grant

    def claims(self, subject: dict[str, str]) -> dict[str, str]:
        claims = dict(subject)
        if self.switches.get("id_number"):
            claims["id_number"] = str(self.switches["id_number"])
        return claims

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        switches = dict(self.switches)
        payload: dict[str, Any] = {
            **self.claims(grant.subject),
            "iss": str(switches.get("issuer") or self.issuer),
            "aud": str(switches.get("audience") or grant.client_id),
            "iat": now,
            "auth_time": now,
            "exp": now - 3600 if switches.get("expired") else now + TOKEN_SECONDS,
            "nonce": secrets.token_urlsafe(16) if switches.get("wrong_nonce") else grant.nonce,
        }
        token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, payload, self.key)
        if switches.get("tamper"):
            head, body, signature = token.split(".")
            raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
            raw[0] ^= 0xFF
            signature = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode("ascii")
            token = f"{head}.{body}.{signature}"
        return token

    def access_token(self, subject: dict[str, str]) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.access_tokens[token] = (subject, time.time() + TOKEN_SECONDS)
        return token

    def userinfo(self, token: str) -> dict[str, str] | None:
        with self.lock:
            found = self.access_tokens.get(token)
        if found is None or found[1] < time.time():
            return None
        return self.claims(found[0])


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;
background:#eef3f9;color:#1f2d3d}}
main{{max-width:32rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:8px}}
h1{{font-size:1.25rem;margin-top:0}} .en{{color:#667;font-size:.9rem;font-weight:normal}}
.note{{color:#888;font-size:.85rem}}
ul{{list-style:none;padding:0}} li{{margin:.5rem 0}}
button{{font-size:1rem;padding:.7rem 1rem;border-radius:6px;border:1px solid #c9d6e8;
width:100%;text-align:left;background:#f7faff;cursor:pointer}}
button.subject:hover{{background:#e6f0ff}} .who{{display:block;color:#667;font-size:.85rem}}
button.cancel{{background:#fff;text-align:center;margin-top:1rem}}
</style></head><body><main>{content}</main></body></html>"""


def _page(title: str, content: str) -> bytes:
    return PAGE.format(title=html.escape(title), content=content).encode("utf-8")


def _mask(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:] if len(id_number) == 18 else id_number


class Handler(BaseHTTPRequestHandler):
    server_version = "TongbanSandboxIdP/1"
    timeout = 10
    provider: Provider

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("sandbox-idp: " + (format % args) + "\n")

    # --- helpers -------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _html(self, status: int, title: str, content: str) -> None:
        self._send(status, _page(title, content), "text/html; charset=utf-8")

    def _redirect(self, url: str) -> None:
        self.send_response(302)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length)

    def _client(self, form: dict[str, str]) -> bool:
        """client_secret_basic, else client_secret_post."""
        header = self.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode("utf-8")
            except ValueError:
                return False
            client_id, _sep, secret = decoded.partition(":")
            return self.provider.client_ok(
                urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
            )
        return self.provider.client_ok(form.get("client_id", ""), form.get("client_secret", ""))

    # --- routes --------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/.well-known/openid-configuration":
            return self._json(200, self.provider.discovery())
        if url.path == "/jwks":
            return self._json(200, self.provider.jwks())
        if url.path == "/authorize":
            return self._authorize_page(query)
        if url.path == "/userinfo":
            return self._userinfo()
        if url.path == "/logout":
            return self._logout(query)
        if url.path == "/health":
            return self._json(200, {"ok": True})
        return self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        body = self._body()
        if body is None:
            return self._json(413, {"error": "invalid_request"})
        if url.path == "/control":
            return self._control(body)
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        if url.path == "/authorize":
            return self._authorize_submit(form)
        if url.path == "/token":
            return self._token(form)
        return self._json(404, {"error": "not_found"})

    def _authorize_problem(self, params: dict[str, str]) -> str:
        if params.get("client_id") != self.provider.client_id:
            return "unknown client_id"
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "redirect_uri must be an http(s) URL"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if "openid" not in params.get("scope", "").split():
            return "scope must include openid"
        for name in ("state", "nonce", "code_challenge"):
            if not params.get(name):
                return f"{name} is required"
        if params.get("code_challenge_method") != "S256":
            return "code_challenge_method must be S256"
        return ""

    def _authorize_page(self, query: dict[str, str]) -> None:
        problem = self._authorize_problem(query)
        if problem:
            text = "授权请求无效 Invalid authorization request"
            return self._html(400, text, f"<h1>{text}</h1><p>{html.escape(problem)}</p>")
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query[name])}">'
            for name in (
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method",
            )
        )
        items = []
        for subject in self.provider.subjects.values():
            who = f"身份证号 ID {_mask(subject['id_number'])}"
            if subject.get("enterprise_name"):
                who += (
                    f" · {html.escape(subject['enterprise_name'])} 经办人 (agent of the enterprise)"
                )
            items.append(
                f'<li><button class="subject" type="submit" name="subject" '
                f'value="{html.escape(subject["sub"])}">{html.escape(subject["name"])}'
                f'<span class="who">{who}</span></button></li>'
            )
        content = f"""
<h1>统一身份认证（沙箱）<br><span class="en">Unified identity (sandbox)</span></h1>
<p class="note">演示和测试用的模拟认证服务，不核验真实身份。请选择以谁的身份登录。<br>
A simulated provider for the demo and tests: choose who signs in.</p>
<form method="post" action="/authorize">{hidden}
<ul>{"".join(items)}</ul>
<button class="cancel" type="submit" name="cancel" value="1">取消登录 Cancel</button>
</form>"""
        self._html(200, "统一身份认证 Unified identity", content)

    def _authorize_submit(self, form: dict[str, str]) -> None:
        problem = self._authorize_problem(form)
        if problem:
            text = "授权请求无效 Invalid authorization request"
            return self._html(400, text, f"<h1>{text}</h1><p>{html.escape(problem)}</p>")
        back = form["redirect_uri"]
        sep = "&" if "?" in back else "?"
        if form.get("cancel"):
            params = {"error": "access_denied", "state": form["state"]}
            return self._redirect(back + sep + urllib.parse.urlencode(params))
        subject = self.provider.subjects.get(form.get("subject", ""))
        if subject is None:
            text = "请选择登录人 Choose who signs in"
            return self._html(400, text, f"<h1>{text}</h1>")
        code = self.provider.code_issue(
            Grant(
                subject=subject,
                client_id=form["client_id"],
                redirect_uri=back,
                nonce=form["nonce"],
                code_challenge=form["code_challenge"],
                expires_at=time.time() + CODE_SECONDS,
            )
        )
        self._redirect(back + sep + urllib.parse.urlencode({"code": code, "state": form["state"]}))

    def _token(self, form: dict[str, str]) -> None:
        if not self._client(form):
            return self._json(401, {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code":
            return self._json(400, {"error": "unsupported_grant_type"})
        grant = self.provider.code_redeem(form.get("code", ""))
        if grant is None:
            return self._json(400, {"error": "invalid_grant", "error_description": "bad code"})
        if grant.redirect_uri != form.get("redirect_uri"):
            return self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri"})
        verifier = form.get("code_verifier", "")
        if not verifier or not hmac.compare_digest(
            create_s256_code_challenge(verifier), grant.code_challenge
        ):
            return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        self._json(
            200,
            {
                "access_token": self.provider.access_token(grant.subject),
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "id_token": self.provider.id_token(grant),
                "scope": "openid profile",
            },
        )

    def _userinfo(self) -> None:
        header = self.headers.get("Authorization") or ""
        claims = self.provider.userinfo(header[7:]) if header.startswith("Bearer ") else None
        if claims is None:
            return self._json(401, {"error": "invalid_token"})
        self._json(200, claims)

    def _logout(self, query: dict[str, str]) -> None:
        back = query.get("post_logout_redirect_uri", "")
        if back.startswith(("http://", "https://")):
            if query.get("state"):
                sep = "&" if "?" in back else "?"
                back += sep + urllib.parse.urlencode({"state": query["state"]})
            return self._redirect(back)
        text = "已退出统一身份认证 Signed out of the unified identity"
        self._html(200, text, f"<h1>{text}</h1>")

    def _control(self, body: bytes) -> None:
        if not self._client({}):
            return self._json(401, {"error": "invalid_client"})
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._json(400, {"error": "invalid JSON"})
        if not isinstance(data, dict):
            return self._json(400, {"error": "a JSON object is expected"})
        switches = {k: v for k, v in data.items() if k in SWITCH_NAMES and v}
        with self.provider.lock:
            self.provider.switches = switches
        self._json(200, {"switches": switches})


def server_make(
    *, host: str, port: int, client_id: str, client_secret: str, public_url: str = ""
) -> ThreadingHTTPServer:
    """A bound (not yet serving) sandbox provider; port 0 picks a free port."""
    provider = Provider(client_id=client_id, client_secret=client_secret)
    handler = type("BoundHandler", (Handler,), {"provider": provider})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    provider.issuer = (public_url or f"http://{bound_host!s}:{bound_port}").rstrip("/")
    return server


def serve(
    *, host: str, port: int, client_id: str, client_secret: str, public_url: str = ""
) -> None:
    """Run the sandbox provider until interrupted; prints its issuer URL first."""
    server = server_make(
        host=host,
        port=port,
        client_id=client_id,
        client_secret=client_secret,
        public_url=public_url,
    )
    provider: Provider = server.RequestHandlerClass.provider  # type: ignore[attr-defined]
    print(f"sandbox identity provider listening on {provider.issuer}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Tongban sandbox OpenID Connect provider")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020)
    parser.add_argument("--client-id", default="tongban")
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--public-url", default="", help="the issuer URL browsers use")
    args = parser.parse_args(argv)
    serve(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        public_url=args.public_url,
    )


if __name__ == "__main__":
    main()
