"""PortalAnswerMiddleware: a guide API 304 and a repeated search answered before the inner
half of the stack — the same status, headers and bytes as the whole stack gives."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import resolve
from django.utils import translation

from tongban.catalog.guides import guide_stamps_forget
from tongban.catalog.models import Matter
from tongban.portal.middleware import PortalAnswerMiddleware

pytestmark = pytest.mark.django_db

MIDDLEWARE = "tongban.portal.middleware.PortalAnswerMiddleware"
GUIDE = "/api/v1/matters/food-business-licence"
SEARCHES = [
    "/api/v1/matters?q=" + quote("开饭店"),
    "/api/v1/matters?q=" + quote("营业执照") + "&page=1",
    "/api/v1/matters?q=&audience=person",
    "/api/v1/matters",
]
#: Headers that differ between two answers by nature.
VARYING = {"Date", "Expires"}


@pytest.fixture(autouse=True)
def _caches_on(settings: Any, catalogue: dict[str, Matter]) -> Any:
    settings.CATALOG_SEARCH_CACHE_SECONDS = 60
    settings.GUIDE_CACHE_SECONDS = 600
    cache.clear()
    guide_stamps_forget()
    yield
    cache.clear()


def _answer(path: str, middleware: list[str], **headers: str) -> tuple[int, dict[str, str], bytes]:
    with override_settings(MIDDLEWARE=middleware):
        response = Client().get(path, headers=headers)
    kept = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, kept, response.content


def _without() -> list[str]:
    return [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]


def test_the_paths_it_answers_are_the_views_it_stands_for() -> None:
    assert MIDDLEWARE in settings.MIDDLEWARE
    assert resolve("/api/v1/matters").url_name == "matters"
    assert resolve(GUIDE).url_name == "matter_guide"
    # After the input boundary and the locale, before the views' half of the stack; the
    # security headers' middleware above it.
    order = settings.MIDDLEWARE.index
    assert order("tongban.core.boundary.InputBoundaryMiddleware") < order(MIDDLEWARE)
    assert order("django.middleware.locale.LocaleMiddleware") < order(MIDDLEWARE)
    for outer in (
        "django.middleware.security.SecurityMiddleware",
        "tongban.core.csp_policy.CachedPolicyCSPMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
    ):
        assert order(outer) < order(MIDDLEWARE), outer


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_guide_304_is_the_same_answer_as_the_whole_stacks(language: str) -> None:
    first = Client().get(GUIDE, headers={"Accept-Language": language})
    assert first.status_code == 200
    for conditional in (
        {"If-None-Match": first["ETag"]},
        {"If-None-Match": f'"other", {first["ETag"]}'},
        {"If-Modified-Since": first["Last-Modified"]},
        {"If-None-Match": '"not-this-one"'},  # a 200: from the view, through both stacks
    ):
        headers = {"Accept-Language": language, **conditional}
        with_it = _answer(GUIDE, list(settings.MIDDLEWARE), **headers)
        without = _answer(GUIDE, _without(), **headers)
        assert with_it == without, conditional
        assert with_it[0] == (200 if "not-this-one" in str(conditional) else 304)
        for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
            assert header in with_it[1]
    # And a 304 is this middleware's answer: nothing below it ran.
    request = RequestFactory().get(GUIDE, headers={"If-None-Match": first["ETag"]})
    with translation.override(language):
        answer = PortalAnswerMiddleware(_must_not_run)(request)
    assert answer.status_code == 304 and answer["ETag"] == first["ETag"]


def test_the_etag_differs_by_language_and_a_304_needs_the_readers_language() -> None:
    chinese = Client().get(GUIDE)
    english = Client().get(GUIDE, headers={"Accept-Language": "en"})
    assert chinese["ETag"] != english["ETag"]
    again = Client().get(GUIDE, headers={"Accept-Language": "en", "If-None-Match": chinese["ETag"]})
    assert again.status_code == 200 and again["ETag"] == english["ETag"]
    assert again["Content-Language"] == "en"


def test_an_unknown_guide_and_a_failed_precondition_are_the_views_answers() -> None:
    for path, headers in (
        ("/api/v1/matters/no-such-matter", {"If-None-Match": '"x"'}),
        (GUIDE, {"If-None-Match": '"x"', "If-Match": '"y"'}),
    ):
        assert _answer(path, list(settings.MIDDLEWARE), **headers) == _answer(
            path, _without(), **headers
        )
    etag = Client().get(GUIDE)["ETag"]
    # A matching tag with a failing If-Match: 412 as Django decides, not the quick 304.
    refused = Client().get(GUIDE, headers={"If-None-Match": etag, "If-Match": '"y"'})
    assert refused.status_code == 412


@pytest.mark.parametrize("path", SEARCHES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_repeated_search_is_the_same_answer_as_the_whole_stacks(path: str, language: str) -> None:
    headers = {"Accept-Language": language}
    first = _answer(path, _without(), **headers)  # the view stores the answer
    assert first[0] == 200
    repeated = _answer(path, list(settings.MIDDLEWARE), **headers)
    assert repeated == first
    # And it was this middleware's answer: nothing below it ran.
    request = RequestFactory().get(path)
    with translation.override(language):
        answer = PortalAnswerMiddleware(_must_not_run)(request)
    assert answer.content == first[2]


def test_a_search_in_another_language_or_with_another_query_string_is_not_answered() -> None:
    path = SEARCHES[0]
    Client().get(path)
    for other_path, language in ((path, "en"), (path + "&page=1", "zh-hans")):
        request = RequestFactory().get(other_path)
        with translation.override(language):
            answer = PortalAnswerMiddleware(lambda request: HttpResponse(b"view"))(request)
        assert answer.content == b"view"


def test_a_refused_search_is_never_answered_from_the_cache() -> None:
    for _ in range(2):
        response = Client().get("/api/v1/matters?page=0")
        assert response.status_code == 422
    request = RequestFactory().get("/api/v1/matters?page=0")
    answer = PortalAnswerMiddleware(lambda request: HttpResponse(b"view"))(request)
    assert answer.content == b"view"


def test_with_the_search_cache_off_every_search_reaches_the_view(settings: Any) -> None:
    settings.CATALOG_SEARCH_CACHE_SECONDS = 0
    Client().get(SEARCHES[0])
    answer = PortalAnswerMiddleware(lambda request: HttpResponse(b"view"))(
        RequestFactory().get(SEARCHES[0])
    )
    assert answer.content == b"view"


def _must_not_run(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the view's half of the stack ran")


PAGE = "/matters/food-business-licence/"


def _page_reader(language: str = "zh-hans") -> tuple[str, str]:
    """(ETag, Cookie header) of an anonymous reader's first visit to the guide page."""
    first = Client().get(PAGE, headers={"Accept-Language": language})
    assert first.status_code == 200
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in first.cookies.items())
    assert "csrftoken=" in cookie
    return first["ETag"], cookie


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_anonymous_page_304_is_the_same_answer_as_the_whole_stacks(language: str) -> None:
    etag, cookie = _page_reader(language)
    for conditional in (
        {"If-None-Match": etag},
        {"If-Modified-Since": Client().get(PAGE)["Last-Modified"]},
        {"If-None-Match": '"not-this-one"'},
    ):
        headers = {"Accept-Language": language, "Cookie": cookie, **conditional}
        with_it = _answer(PAGE, list(settings.MIDDLEWARE), **headers)
        without = _answer(PAGE, _without(), **headers)
        if with_it[0] == 200:  # each render puts in a fresh mask of the reader's token
            with_it, without = with_it[:2], without[:2]
        assert with_it == without, conditional
        assert with_it[0] == (200 if "not-this-one" in str(conditional) else 304)
        assert "X-Frame-Options" in with_it[1] and "Content-Security-Policy" in with_it[1]
    request = RequestFactory().get(PAGE, headers={"If-None-Match": etag, "Cookie": cookie})
    with translation.override(language):
        answer = PortalAnswerMiddleware(_must_not_run)(request)
    assert answer.status_code == 304 and answer["ETag"] == etag


def test_a_page_304_needs_the_readers_own_csrf_cookie_and_no_session() -> None:
    etag, cookie = _page_reader()
    other_etag, _other_cookie = _page_reader()
    assert etag != other_etag
    # Another reader's tag with this reader's cookie: the page, not a 304.
    assert (
        Client().get(PAGE, headers={"If-None-Match": other_etag, "Cookie": cookie}).status_code
        == 200
    )
    # A session cookie: the reader may be signed in, so the view decides (here: a dead
    # session, an anonymous reader after all: the same 304).
    with_session = f"{cookie}; {settings.SESSION_COOKIE_NAME}=abc"
    request = RequestFactory().get(PAGE, headers={"If-None-Match": etag, "Cookie": with_session})
    answer = PortalAnswerMiddleware(lambda request: HttpResponse(b"view"))(request)
    assert answer.content == b"view"
    assert (
        Client().get(PAGE, headers={"If-None-Match": etag, "Cookie": with_session}).status_code
        == 304
    )
    # A broken CSRF cookie: a new secret, so a new tag: the page.
    broken = Client().get(PAGE, headers={"If-None-Match": etag, "Cookie": "csrftoken=x"})
    assert broken.status_code == 200 and "csrftoken" in broken.cookies
