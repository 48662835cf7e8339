"""Citizen portal pages: thin views that call the catalogue selectors and render."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib.auth import views as auth_views
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from tongban.cases.selectors_promise import SHARED, matter_promises, theme_promises
from tongban.catalog import selectors
from tongban.catalog.choices import Audience, Channel, OnlineDepth
from tongban.catalog.forms import schema_field_title
from tongban.catalog.guides import (
    GuideStamp,
    guide_cache_get,
    guide_cache_set,
    guide_stamp,
    not_modified,
)
from tongban.catalog.services import theme_form_schema
from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.identity.choices import StaffRole
from tongban.identity.oidc import oidc_enabled
from tongban.portal.forms import PortalAuthenticationForm
from tongban.workflow.selectors import process_staff_steps

#: Stands for the reader's CSRF token in a page rendered once for every anonymous reader
#: (letters only: the same after HTML escaping; the length of a real token).
CSRF_PLACEHOLDER = "csrftokenplaceholder" * 3 + "csrf"

#: How many matters the home page lists as hot services.
HOT_SERVICES = 8

SEARCH_FIELDS = ("q", "audience", "section", "department", "online_depth")

#: Labels of the search parameters, to name a field in an error message.
FIELD_LABELS = {
    "q": _("搜索内容"),
    "query": _("搜索内容"),
    "audience": _("服务对象"),
    "section": _("板块"),
    "department": _("实施部门"),
    "online_depth": _("网办深度"),
    "page": _("页码"),
    "page_size": _("每页条数"),
}


def home(request: HttpRequest) -> HttpResponse:
    hot_matters = selectors.matter_search(page_size=HOT_SERVICES).items
    _with_negative_list(hot_matters)
    context = {
        "sections": list(selectors.section_list()),
        "themes": list(selectors.theme_list()),
        "hot_matters": hot_matters,
    }
    return render(request, "portal/home.html", context)


def search(request: HttpRequest) -> HttpResponse:
    params = {name: request.GET.get(name, "").strip() for name in SEARCH_FIELDS}
    errors: list[FieldError] = []
    result = None
    page = _parse_page(request.GET.get("page", ""), errors)
    if not errors:
        try:
            result = selectors.matter_search(
                query=params["q"],
                audience=params["audience"] or None,
                section=params["section"] or None,
                department=params["department"] or None,
                online_depth=params["online_depth"] or None,
                page=page,
            )
        except ValidationFailed as exc:
            errors = list(exc.errors) or [FieldError("q", exc.detail)]
        else:
            _with_negative_list([*result.items, *result.suggested_matters])
    context: dict[str, Any] = {
        "params": params,
        "result": result,
        "errors": [
            {"field": e.field, "label": FIELD_LABELS.get(e.field, e.field), "message": e.message}
            for e in errors
        ],
        "sections": list(selectors.section_list()),
        "departments": list(selectors.department_list()),
        "audience_choices": Audience.choices,
        "online_depth_choices": OnlineDepth.choices,
        # A 10,000-character query is not echoed back into the page.
        "query_value": params["q"][:200],
    }
    partial = request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "portal/_search_results.html" if partial else "portal/search.html"
    response = render(request, template, context, status=400 if errors else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _with_negative_list(matters: list[Any]) -> None:
    """Load each matter's negative-list entry (不进驻中心) in one query for the list."""
    prefetch_related_objects(matters, "negative_list_entry")


def _parse_page(raw: str, errors: list[FieldError]) -> int:
    if raw == "":
        return 1
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if page < 1 or len(raw) > 6:
        errors.append(FieldError("page", _("页码必须是正整数。")))
        return 1
    return page


def matter_detail(request: HttpRequest, code: str) -> HttpResponse:
    # Served by published version (catalog.guides): one query reads the stamp; the guide body
    # is rendered once per version, language and signed-in-or-not, and shared by everyone;
    # the page around it (user menu, CSRF token) is rendered per request. A client that holds
    # this very page gets a 304: the ETag covers the user, the CSRF cookie and the path too.
    stamp = guide_stamp(code=code)
    if stamp is None:
        raise Http404(_("事项“%(code)s”不存在或已下线") % {"code": code})
    signed_in = bool(request.user.is_authenticated)
    etag = _guide_page_etag(request, stamp)
    last_modified = stamp.last_modified
    not_modified = get_conditional_response(
        request,
        etag=etag,
        # If-Modified-Since alone (no ETag) is trusted for anonymous readers only.
        last_modified=None if signed_in else int(last_modified.timestamp()),
    )
    if not_modified is not None:
        response = not_modified
    else:
        page = None if signed_in else _anonymous_guide_page(request, stamp, code)
        if page is not None:
            # The reader's own CSRF token in the page's form (and its cookie, when new).
            response = HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))
        else:
            title, body = _guide_body(request, stamp, code, signed_in=signed_in)
            response = render(
                request,
                "portal/matter_page.html",
                {"guide_title": title, "guide_html": mark_safe(body)},
            )
        # Rendering may have issued the CSRF cookie: the tag names the page as sent.
        etag = _guide_page_etag(request, stamp)
    _guide_page_headers(response, stamp, etag)
    return response


def _guide_body(
    request: HttpRequest, stamp: GuideStamp, code: str, *, signed_in: bool
) -> tuple[str, str]:
    """(title, HTML) of the guide body, rendered once per version, language and signed-in-or-not."""
    key = stamp.key("page", signed_in)
    cached = guide_cache_get(key)
    if cached is None:
        cached = _matter_guide_render(request, code)
        guide_cache_set(key, cached)
    title, body = cached
    return title, body


def _anonymous_guide_page(request: HttpRequest, stamp: GuideStamp, code: str) -> str | None:
    """The whole page as every anonymous reader of this path gets it, with CSRF_PLACEHOLDER
    where their own CSRF token goes; rendered once per version and language.

    Around the guide body an anonymous page differs only by its path (the language switch and
    the sign-in link return to it) and the CSRF token of the language switch. A path with a
    query string is rendered per request (no cache entry per made-up query), and so is a page
    whose every token is not the placeholder (never cache one reader's token for another).
    """
    if request.META.get("QUERY_STRING"):
        return None
    key = stamp.key("page", "anonymous", request.path)
    page = guide_cache_get(key)
    if isinstance(page, str):
        return page
    title, body = _guide_body(request, stamp, code, signed_in=False)
    page = render_to_string(
        "portal/matter_page.html",
        {"guide_title": title, "guide_html": mark_safe(body), "csrf_token": CSRF_PLACEHOLDER},
        request=request,
    )
    if page.count(CSRF_PLACEHOLDER) != page.count('name="csrfmiddlewaretoken"'):
        return None
    guide_cache_set(key, page)
    return page


def _guide_page_etag(request: HttpRequest, stamp: GuideStamp) -> str:
    """The page's tag: the guide's stamp, the reader (name in the menu), their CSRF secret (in
    the page's forms) and the path (the language switch returns to it)."""
    user = request.user
    signed_in = bool(user.is_authenticated)
    return _page_etag(
        stamp,
        user.pk if signed_in else None,
        getattr(user, "first_name", ""),
        user.get_username() if signed_in else "",
        request,
    )


def _page_etag(
    stamp: GuideStamp, user_pk: Any, first_name: str, username: str, request: HttpRequest
) -> str:
    return stamp.etag(
        "page",
        user_pk,
        first_name,
        username,
        request.META.get("CSRF_COOKIE", ""),
        request.get_full_path(),
    )


def guide_page_not_modified(request: HttpRequest, code: str) -> HttpResponse | None:
    """The guide page's 304 for an anonymous reader holding this very page, or None (then the
    view answers). For PortalAnswerMiddleware, which runs before the user and the CSRF secret
    are known: the caller makes sure there is no session (an anonymous reader) and has run
    CsrfViewMiddleware's ``process_request`` (the secret in ``META``, as the view sees it)."""
    stamp = guide_stamp(code=code)
    if stamp is None:
        return None
    # An anonymous reader's tag, as _guide_page_etag gives it for AnonymousUser.
    etag = _page_etag(stamp, None, "", "", request)
    response = not_modified(request, etag, stamp.last_modified)
    if response is not None:
        _guide_page_headers(response, stamp, etag)
    return response


def _guide_page_headers(response: HttpResponse, stamp: GuideStamp, etag: str) -> None:
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = stamp.http_last_modified
    response.headers["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie", "Accept-Language"])


def _matter_guide_render(request: HttpRequest, code: str) -> tuple[str, str]:
    """(title, HTML) of the guide body: the same for every reader of this version."""
    try:
        matter = selectors.matter_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    materials = list(matter.materials.all())
    # 免提交 as the application will keep it: the one rule of cases.selectors_promise.
    promises = matter_promises(matter=matter)
    for material, promise in zip(materials, promises, strict=True):
        material.promise = promise  # type: ignore[attr-defined]
    channel_labels = dict(Channel.choices)
    context = {
        "matter": matter,
        "materials": materials,
        "shared_count": sum(1 for p in promises if p.provision == SHARED),
        "uploads_count": sum(1 for p in promises if p.asked),
        "channels": [channel_labels.get(c, c) for c in matter.channels or []],
        "form_fields": _form_fields(matter.form_schema),
        "apply_url": _apply_url(matter.code),
        # 不进驻中心负面清单: the counter's entry for this matter, or None.
        "negative": getattr(matter, "negative_list_entry", None),
        "process_steps": _process_steps(matter),
    }
    body = render_to_string("portal/matter_detail.html", context, request=request)
    return str(matter.display_name), str(body)


def _process_steps(matter: Any) -> list[dict[str, str]]:
    """办理流程: the staff steps of the matter's process (one for a filing), with who acts."""
    roles = dict(StaffRole.choices)
    return [
        {"label": step.label, "role": str(roles.get(step.role, step.role))}
        for step in process_staff_steps(name=matter.process)
    ]


def theme_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        theme = selectors.theme_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    links = sorted(theme.theme_matters.all(), key=lambda link: (link.stage, link.order))
    stages = [
        {"number": number, "links": list(group)}
        for number, group in groupby(links, key=lambda link: link.stage)
    ]
    promises = theme_promises(theme=theme)
    context = {
        "promises": promises,
        "uploads_count": sum(1 for p in promises if p.asked),
        "shared_count": sum(1 for p in promises if p.provision == SHARED),
        "theme": theme,
        "stages": stages,
        "matter_count": len(links),
        "form_fields": _form_fields(theme_form_schema(theme=theme)),
    }
    return render(request, "portal/theme_detail.html", context)


def section_detail(request: HttpRequest, code: str) -> HttpResponse:
    return redirect(f"{reverse('portal:search')}?{urlencode({'section': code})}")


def _form_fields(schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The fields of a JSON Schema form, in order, with their titles."""
    if not isinstance(schema, dict):
        return []
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return [
        {
            "key": key,
            "title": schema_field_title(spec, key),
            "required": key in required,
        }
        for key, spec in properties.items()
    ]


def _apply_url(code: str) -> str:
    # The online application flow comes with a later issue; until then the
    # button leads through sign-in to where that flow will live.
    return f"{reverse('portal:login')}?{urlencode({'next': f'/apply/{code}/'})}"


class PortalLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = PortalAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = oidc_enabled()
        return context
