"""The public verification page a certificate's QR code opens (mobile first)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tongban.certificates import selectors
from tongban.core.errors import NotFound


def verify_page(request: HttpRequest, number: str) -> HttpResponse:
    try:
        verdict = selectors.certificate_public(number=number)
    except NotFound:
        return render(request, "certificates/verify_not_found.html", {"number": number}, status=404)
    return render(request, "certificates/verify.html", {"v": verdict})
