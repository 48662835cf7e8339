"""Anonymous catalogue reads answered before the inner half of the middleware stack.

Three answers are decided from what the request already carries, with no view to run: a guide
API client revalidating the version it holds (304), the same for an anonymous reader of the
guide page (304: no session cookie; the CSRF secret read as CsrfViewMiddleware reads it, since
the page's tag covers it), and a search repeated within the result cache's lifetime (the bytes
the view stored under this very query string). Everything else — a 200 guide, a signed-in
reader, a new search, an error, any other path — goes on down the stack unchanged.

Placed after ``InputBoundaryMiddleware`` (the request's input is checked first) and after
``LocaleMiddleware`` (the answer is the reader's language's). The middleware above it still
see every answer: security headers (``SecurityMiddleware``, ``XFrameOptionsMiddleware``, listed
above for that), the Content-Security-Policy, the session's and the language's ``Vary``. What is
skipped is what such an answer does not need: CommonMiddleware's redirects (these paths are
served as they are), CSRF (a GET), the lazy user, messages, axes (login attempts), URL
resolving and django-ninja's parameter parsing. ``portal/tests/test_answer_middleware.py``
compares every header and byte with the stack without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from tongban.catalog.api import guide_not_modified, search_cached_answer
from tongban.portal.views import guide_page_not_modified

#: The guide API (``/api/v1/matters/{code}``, django-ninja's ``str`` path parameter).
_GUIDE_API = re.compile(r"/api/v1/matters/([^/]+)")
#: The search API.
_SEARCH_API = "/api/v1/matters"
#: The guide page (``matters/<slug:code>/``).
_GUIDE_PAGE = re.compile(r"/matters/([-a-zA-Z0-9_]+)/")


class PortalAnswerMiddleware:
    """A guide API 304 and a cached search page, answered here (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Its process_request only: the reader's CSRF secret into META, as further down.
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            answer = self._answer(request)
            if answer is not None:
                # As CommonMiddleware would (below this one): the length of what is sent.
                answer.headers["Content-Length"] = str(len(answer.content))
                return answer
        return self.get_response(request)

    def _answer(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if path == _SEARCH_API:
            return search_cached_answer(request)
        if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
            match = _GUIDE_API.fullmatch(path)
            if match is not None:
                return guide_not_modified(request, match.group(1))
            match = _GUIDE_PAGE.fullmatch(path)
            if match is not None and settings.SESSION_COOKIE_NAME not in request.COOKIES:
                self.csrf.process_request(request)
                return guide_page_not_modified(request, match.group(1))
        return None
