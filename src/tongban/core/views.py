"""Core views: only the benchmark's baseline, mounted when ``TONGBAN_BENCH=1``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def bench_bare(request: HttpRequest) -> HttpResponse:
    """The cheapest Django response: the baseline that bench/catalog.py compares against."""
    return HttpResponse(b"ok", content_type="text/plain")
