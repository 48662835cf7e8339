"""A strict Content-Security-Policy on every page type; production transport settings."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client

from tongban.identity.models import User

pytestmark = pytest.mark.django_db


def _directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_strict(response: Any) -> None:
    policy = _directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    # Inline styles stay allowed for the process diagrams (bpmn-js writes style attributes);
    # no inline script, ever.
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in str(policy["script-src"]) and "unsafe-eval" not in header


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search/?q=x",
        "/login/",
        "/m/",
        "/data/",
        "/no-such-page/",
        "/api/v1/matters",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/admin/login/",
    ],
)
def test_every_anonymous_page_type_carries_the_policy(path: str) -> None:
    response = Client().get(path)
    assert response.status_code in (200, 302, 404)
    _assert_strict(response)


def test_signed_in_pages_carry_the_policy(applicant: User, clerk: User, center_admin: User) -> None:
    citizen = Client()
    citizen.force_login(applicant)
    _assert_strict(citizen.get("/my/cases/"))
    staff = Client()
    staff.force_login(clerk)
    _assert_strict(staff.get("/workbench/"))
    center_admin.is_staff = center_admin.is_superuser = True
    center_admin.save()
    admin = Client()
    admin.force_login(center_admin)
    response = admin.get("/admin/")
    assert response.status_code == 200
    _assert_strict(response)


def test_the_payment_sandbox_origin_may_receive_a_form(settings: Any) -> None:
    policy = _directives(Client().get("/"))
    assert "http://127.0.0.1:8010" in policy["form-action"]


PRODUCTION_ENV = {
    "TONGBAN_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "TONGBAN_SIGNING_SECRET": "s" * 40,
    "EXCHANGE_HTTP_SECRET": "e" * 40,
    "PAYMENT_SANDBOX_SECRET": "p" * 40,
    "AUDIT_CHECKPOINT_KEY": "A" * 43,
    "ALLOWED_HOSTS": "tongban.example.cn",
}


def _production_settings(**env: str) -> dict[str, Any]:
    code = (
        "import json, django.conf as c; from tongban import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ["
        "'SECURE_HSTS_SECONDS','SECURE_HSTS_INCLUDE_SUBDOMAINS','SESSION_COOKIE_SECURE',"
        "'CSRF_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','CSRF_COOKIE_HTTPONLY',"
        "'SECURE_REFERRER_POLICY','SECURE_PROXY_SSL_HEADER']}))"
    )
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DJANGO_SETTINGS"))
    }
    environ.update(env)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return dict(__import__("json").loads(result.stdout))


def test_production_sends_hsts_and_secure_cookies_and_trusts_no_proxy_by_default() -> None:
    prod = _production_settings(**PRODUCTION_ENV)
    assert prod["SECURE_HSTS_SECONDS"] == 31_536_000
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SESSION_COOKIE_HTTPONLY"] and prod["CSRF_COOKIE_HTTPONLY"]
    assert prod["SECURE_REFERRER_POLICY"] == "same-origin"
    assert prod["SECURE_PROXY_SSL_HEADER"] is None
    behind = _production_settings(**PRODUCTION_ENV, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    dev = _production_settings(TONGBAN_ENV="development")
    assert dev["SECURE_HSTS_SECONDS"] is None and not dev["SESSION_COOKIE_SECURE"]
