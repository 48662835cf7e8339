"""Every page type carries the strict Content-Security-Policy (django-csp)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search/?q=营业执照",
        "/login/",
        "/no-such-page/",
        "/admin/login/",
        "/api/v1/docs",
        "/api/v1/openapi.json",
        "/center/screen/",
        "/stats/",
    ],
)
def test_every_page_type_has_the_strict_policy(client: Client, path: str) -> None:
    response = client.get(path)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in str(policy)
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]


def test_the_staff_workbench_has_it_too(client: Client, clerk: User) -> None:
    client.force_login(clerk)
    response = client.get("/workbench/")
    assert _directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_no_template_has_an_inline_script_or_handler() -> None:

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S):
            attributes, body = match.groups()
            if "src=" not in attributes and "application/json" not in attributes and body.strip():
                offenders.append(f"{template.relative_to(root)}: inline <script>")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{template.relative_to(root)}: inline event handler")
    assert offenders == []
