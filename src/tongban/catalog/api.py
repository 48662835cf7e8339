"""Catalogue endpoints: anonymous reads of departments, sections, matters and themes."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router

from tongban.catalog import selectors
from tongban.catalog.guides import (
    GuideStamp,
    guide_cache_get,
    guide_cache_set,
    guide_stamp,
    not_modified,
)
from tongban.catalog.models import Department, Matter, Section, Theme
from tongban.catalog.schemas import (
    DepartmentOut,
    MatterGuideOut,
    MatterPageOut,
    SectionOut,
    ThemeDetailOut,
    ThemeOut,
)
from tongban.catalog.search import search_cache_key
from tongban.catalog.services import matter_guide_snapshot, theme_form_schema
from tongban.core.boundary import MAX_PAGE
from tongban.core.errors import NotFound

router = Router(tags=["catalog"])


def _ref(obj: Department | Section | Any | None) -> dict[str, str] | None:
    if obj is None:
        return None
    return {"code": obj.code, "name": obj.name, "name_en": obj.name_en}


def _summary(matter: Matter) -> dict[str, Any]:
    return {
        "code": matter.code,
        "name": matter.name,
        "name_en": matter.name_en,
        "kind": matter.kind,
        "audience": matter.audience,
        "department": _ref(matter.department),
        "section": _ref(matter.section),
        "summary": matter.summary,
        "online_depth": matter.online_depth,
        "max_visits": matter.max_visits,
        "legal_limit_days": matter.legal_limit_days,
        "promised_limit_days": matter.promised_limit_days,
        "commitment_eligible": matter.commitment_eligible,
    }


def _theme_hit(theme: Theme) -> dict[str, Any]:
    return {
        "code": theme.code,
        "name": theme.name,
        "name_en": theme.name_en,
        "summary": theme.summary,
        "summary_en": theme.summary_en,
        "audience": theme.audience,
        "section": _ref(theme.section),
        "promised_limit_days": theme.promised_limit_days,
        "max_visits": theme.max_visits,
    }


def _theme(theme: Theme) -> dict[str, Any]:
    return {
        **_theme_hit(theme),
        "combined_certificate_type": _ref(theme.combined_certificate_type),
        "matters": [
            {
                "code": link.matter.code,
                "name": link.matter.name,
                "name_en": link.matter.name_en,
                "department": _ref(link.matter.department),
                "order": link.order,
                "stage": link.stage,
                "promised_limit_days": link.matter.promised_limit_days,
                "online_depth": link.matter.online_depth,
            }
            for link in theme.theme_matters.all()
        ],
    }


@router.get("/departments", response=list[DepartmentOut], summary="部门列表")
def departments(request: HttpRequest) -> Any:
    return selectors.department_list()


@router.get("/sections", response=list[SectionOut], summary="板块列表")
def sections(request: HttpRequest) -> Any:
    return selectors.section_list()


@router.get("/matters", response=MatterPageOut, summary="搜索事项")
def matters(
    request: HttpRequest,
    q: str = "",
    audience: str | None = None,
    section: str | None = None,
    department: str | None = None,
    online_depth: str | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE, description="页码"),
) -> Any:
    # Citizens ask the same few questions: the rendered page is cached under the catalogue
    # generation (see catalog.search), so a hit costs one cache read. Errors are never cached.
    key = search_cache_key(
        "api", get_language(), q, audience, section, department, online_depth, page
    )
    body: bytes | None = cache.get(key) if key else None
    if body is None:
        result = selectors.matter_search(
            query=q,
            audience=audience or None,
            section=section or None,
            department=department or None,
            online_depth=online_depth or None,
            page=page,
            use_cache=False,
        )
        data = {
            "items": [_summary(m) for m in result.items],
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "page_size": result.page_size,
            "query": result.query,
            "themes": [_theme_hit(t) for t in result.themes],
            "suggestions": (
                {
                    "sections": [_ref(s) for s in result.suggested_sections],
                    "matters": [_summary(m) for m in result.suggested_matters],
                }
                if result.suggested_sections or result.suggested_matters
                else None
            ),
        }
        # The hottest endpoint: the dict is built to MatterPageOut already (a test
        # checks it), so skip re-validating it; the schema still documents it. The encoded
        # bytes are cached, so a hit neither unpickles the dict nor encodes it again.
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
        if key:
            cache.set(key, body, settings.CATALOG_SEARCH_CACHE_SECONDS)
    # The same bytes under the request's own query string, for CatalogAnswerMiddleware: a
    # repeated search answered before the rest of the stack (a valid query only: errors and
    # refusals never reach this line).
    raw_key = search_raw_cache_key(request)
    if raw_key:
        cache.set(raw_key, body, settings.CATALOG_SEARCH_CACHE_SECONDS)
    return HttpResponse(body, content_type=SEARCH_CONTENT_TYPE)


#: The search answer's media type (as HttpResponse gives it; the middleware's hits too).
SEARCH_CONTENT_TYPE = "application/json"
#: Longest query string whose answer is kept under its own text (longer: through the view).
_RAW_QUERY_MAX = 512


def search_raw_cache_key(request: HttpRequest) -> str | None:
    """The cache key of a search answer under the request's raw query string and language, or
    None (cache off, a query string too long to key on)."""
    raw = request.META.get("QUERY_STRING", "")
    if len(raw) > _RAW_QUERY_MAX:
        return None
    return search_cache_key("api-raw", get_language(), raw)


def search_cached_answer(request: HttpRequest) -> HttpResponse | None:
    """A repeated search's answer from the result cache, or None (then the view answers).

    Only what the view stored for this very query string, language and catalogue generation:
    the same bytes the view would send."""
    key = search_raw_cache_key(request)
    body = cache.get(key) if key else None
    if not isinstance(body, bytes):
        return None
    return HttpResponse(body, content_type=SEARCH_CONTENT_TYPE)


@router.get("/matters/{code}", response=MatterGuideOut, summary="办事指南")
def matter_guide(request: HttpRequest, code: str) -> Any:
    # Served by published version: one query reads the generation; a client holding this
    # version gets a 304, another client the JSON rendered once per version (catalog.guides).
    stamp = guide_stamp(code=code)
    if stamp is None:
        raise NotFound(_("事项“%(code)s”不存在或已下线") % {"code": code})
    response = _guide_not_modified(request, stamp)
    if response is None:
        key = stamp.key("api")
        body = guide_cache_get(key)
        if body is None:
            matter = selectors.matter_get(code=code)
            data = {**matter_guide_snapshot(matter=matter), "version": matter.version}
            body = json.dumps(
                MatterGuideOut.model_validate(data).model_dump(mode="json"),
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            guide_cache_set(key, body)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        _guide_headers(response, stamp)
    return response


def guide_not_modified(request: HttpRequest, code: str) -> HttpResponse | None:
    """The guide API's 304 for a client holding this version, or None (then the view answers:
    a 200, or the 404 problem of an unknown matter)."""
    stamp = guide_stamp(code=code)
    return None if stamp is None else _guide_not_modified(request, stamp)


def _guide_not_modified(request: HttpRequest, stamp: GuideStamp) -> HttpResponse | None:
    response = not_modified(request, stamp.etag("api"), stamp.last_modified)
    if response is not None:
        _guide_headers(response, stamp)
    return response


def _guide_headers(response: HttpResponse, stamp: GuideStamp) -> None:
    response.headers["ETag"] = stamp.etag("api")
    response.headers["Last-Modified"] = stamp.http_last_modified
    response.headers["Cache-Control"] = "public, no-cache"
    patch_vary_headers(response, ["Accept-Language"])


@router.get(
    "/matters/{code}/versions/{version}", response=MatterGuideOut, summary="办事指南历史版本"
)
def matter_guide_version(request: HttpRequest, code: str, version: int) -> Any:
    found = selectors.matter_version_get(code=code, version=version)
    return {
        **found.guide,
        "version": found.version,
        "published_at": found.published_at.isoformat(),
    }


@router.get("/themes", response=list[ThemeOut], summary="主题服务列表")
def themes(request: HttpRequest) -> Any:
    return [_theme(t) for t in selectors.theme_list()]


@router.get("/themes/{code}", response=ThemeDetailOut, summary="主题服务详情")
def theme_detail(request: HttpRequest, code: str) -> Any:
    theme = selectors.theme_get(code=code)
    return {**_theme(theme), "form_schema": theme_form_schema(theme=theme)}
