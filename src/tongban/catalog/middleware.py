"""Anonymous catalogue reads answered before the inner half of the middleware stack.

Two answers are decided from what the request already carries, with no view to run: a guide
API client revalidating the version it holds (304), and a search repeated within the result
cache's lifetime (the bytes the view stored under this very query string). Everything else —
a 200 guide, a new search, an error, any other path — goes on down the stack unchanged.

Placed after ``InputBoundaryMiddleware`` (the request's input is checked first) and after
``LocaleMiddleware`` (the answer is the reader's language's). The middleware above it still
see every answer: security headers (``SecurityMiddleware``, ``XFrameOptionsMiddleware``, listed
above for that), the Content-Security-Policy, the session's and the language's ``Vary``. What is
skipped is what such an answer does not need: CommonMiddleware's redirects (these paths are
served as they are), CSRF (a GET), the lazy user, messages, axes (login attempts), URL
resolving and django-ninja's parameter parsing. ``catalog/tests/test_answer_middleware.py``
compares every header and byte with the stack without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tongban.catalog.api import guide_not_modified, search_cached_answer

#: The guide API (``/api/v1/matters/{code}``, django-ninja's ``str`` path parameter).
_GUIDE_API = re.compile(r"/api/v1/matters/([^/]+)")
#: The search API.
_SEARCH_API = "/api/v1/matters"


class CatalogAnswerMiddleware:
    """A guide API 304 and a cached search page, answered here (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            answer = self._answer(request)
            if answer is not None:
                # As CommonMiddleware would (below this one): the length of what is sent.
                answer.headers["Content-Length"] = str(len(answer.content))
                return answer
        return self.get_response(request)

    @staticmethod
    def _answer(request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if path == _SEARCH_API:
            return search_cached_answer(request)
        if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
            match = _GUIDE_API.fullmatch(path)
            if match is not None:
                return guide_not_modified(request, match.group(1))
        return None
