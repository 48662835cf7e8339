"""The policy built once per process sends the very headers django-csp builds per response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from tongban.core.csp_policy import CachedPolicyCSPMiddleware
from tongban.identity.models import User

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")

#: What a view may do to the policy (django-csp's decorators set these attributes).
VARIANTS: dict[str, Callable[[HttpRequest, HttpResponse], object]] = {
    "plain": lambda request, response: None,
    "nonce asked": lambda request, response: str(request.csp_nonce),  # type: ignore[attr-defined]
    "replace": lambda request, response: setattr(
        response, "_csp_replace", {"frame-ancestors": ["'self'"], "object-src": ["'self'"]}
    ),
    "update": lambda request, response: setattr(
        response, "_csp_update", {"img-src": ["https://tiles.example.cn"]}
    ),
    "config": lambda request, response: setattr(
        response, "_csp_config", {"default-src": ["'none'"]}
    ),
    "exempt": lambda request, response: setattr(response, "_csp_exempt", True),
    "exempt report-only": lambda request, response: setattr(response, "_csp_exempt_ro", True),
    "update report-only": lambda request, response: setattr(
        response, "_csp_update_ro", {"img-src": ["data:"]}
    ),
    "header already set": lambda request, response: response.headers.__setitem__(
        "Content-Security-Policy", "default-src 'none'"
    ),
}

REPORT_ONLY = {
    "DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"},
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs"],
}


def _headers(middleware_class: type[DjangoCSPMiddleware], path: str, variant: str) -> dict:
    request = RequestFactory().get(path)

    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(b"ok", status=404 if path.endswith("missing/") else 200)
        VARIANTS[variant](request, response)
        return response

    response = cast(HttpResponse, middleware_class(view)(request))
    return {name: response.get(name) for name in HEADERS}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("path", ["/", "/api/v1/matters/x", "/api/v1/docs", "/missing/"])
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"CONTENT_SECURITY_POLICY_REPORT_ONLY": REPORT_ONLY},
        {"DEBUG": True},
        {"CONTENT_SECURITY_POLICY": {**settings.CONTENT_SECURITY_POLICY, **REPORT_ONLY}},
    ],
    ids=["settings", "report-only too", "debug", "excluded prefix"],
)
def test_every_variant_gets_the_headers_django_csp_would_send(
    variant: str, path: str, changes: dict[str, Any]
) -> None:
    with override_settings(**changes):
        ours = _headers(CachedPolicyCSPMiddleware, path, variant)
        theirs = _headers(DjangoCSPMiddleware, path, variant)
    assert ours == theirs
    if variant == "plain" and not changes:
        assert "default-src 'self'" in ours["Content-Security-Policy"]


def test_a_policy_changed_in_the_settings_is_sent_at_once() -> None:
    before = _headers(CachedPolicyCSPMiddleware, "/", "plain")["Content-Security-Policy"]
    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'none'"]}
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": directives}):
        changed = _headers(CachedPolicyCSPMiddleware, "/", "plain")["Content-Security-Policy"]
    assert "img-src 'none'" in changed and "img-src 'none'" not in before
    assert _headers(CachedPolicyCSPMiddleware, "/", "plain")["Content-Security-Policy"] == before


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error() -> None:
    request = RequestFactory().get("/")
    CachedPolicyCSPMiddleware(lambda request: HttpResponse(b"ok"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]


def test_the_stack_has_one_csp_middleware_and_it_is_ours() -> None:
    csp = [m for m in settings.MIDDLEWARE if "csp" in m.lower() or "CSP" in m]
    assert csp == ["tongban.core.csp_policy.CachedPolicyCSPMiddleware"]
    # Before WhiteNoise and the input boundary: their answers carry the policy too.
    assert settings.MIDDLEWARE.index(csp[0]) < settings.MIDDLEWARE.index(
        "whitenoise.middleware.WhiteNoiseMiddleware"
    )


#: The stack as it was: django-csp twice (inside and outside), building the policy per response.
BEFORE = [
    "csp.middleware.CSPMiddleware" if m.endswith("CachedPolicyCSPMiddleware") else m
    for m in settings.MIDDLEWARE
]
BEFORE.insert(BEFORE.index("axes.middleware.AxesMiddleware"), "csp.middleware.CSPMiddleware")

#: Headers that differ between two answers of the same page by nature.
VARYING = {"Set-Cookie", "Date", "ETag", "Content-Length", "Expires"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search/?q=x",
        "/login/",
        "/no-such-page/",
        "/matters/no-such-matter/",
        "/api/v1/matters",
        "/api/v1/matters/no-such-matter",
        "/api/v1/openapi.json",
        "/static/portal/css/portal.css",
        "/search/?q=%00",  # refused by the input boundary
        "/my/cases/",  # a redirect to sign in
        "/workbench/",  # signed in as staff
    ],
)
def test_every_page_type_has_the_same_security_headers_as_before(path: str, clerk: User) -> None:
    def answer(middleware: list[str]) -> dict[str, str]:
        with override_settings(MIDDLEWARE=middleware):
            client = Client()
            if path.startswith("/workbench/"):
                client.force_login(clerk)
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        return {k: v for k, v in response.headers.items() if k not in VARYING}

    before = answer(BEFORE)
    after = answer(list(settings.MIDDLEWARE))
    assert after == before
    assert "Content-Security-Policy" in after
