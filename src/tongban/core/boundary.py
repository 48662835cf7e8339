"""The input boundary: what no request may carry past the first middleware.

Every request is looked at once, before any view or query runs, and refused with a clear 4xx
when it carries

- a NUL or another control character (C0 except tab, line feed and carriage return; DEL) in
  its path, query string, form fields, uploaded file names, or any string or key of a JSON body
  (PostgreSQL refuses NUL in text and would answer with a server error);
- JSON nested deeper than ``MAX_JSON_DEPTH`` (the parser would recurse out of the stack);
- an integer outside PostgreSQL's ``bigint`` (±(2⁶³−1)) in a JSON body or a path segment (the
  database would refuse it with a server error); integer query parameters carry their own
  bounds in the API (``Query(ge=…, le=…)``, documented in the OpenAPI, 422 beyond them);
- a body over the size limits, too many fields or files, or a multipart body that cannot be
  read (Django's DATA_UPLOAD_* limits; with DEBUG on they would show a traceback).

The API answers with RFC 7807 problem JSON naming the part of the request, the pages with the
styled 400 page; a control character in the path is a 404 (nothing can be found there).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from tongban.core.problems import problem_response

#: Deeper JSON than this is refused; no form or payload of Tongban nests beyond a handful.
MAX_JSON_DEPTH = 32
#: PostgreSQL's bigint: an integer beyond it cannot be an id, a page or an amount.
MAX_INT = 2**63 - 1
#: The highest page number a listing accepts (its OpenAPI says so): far beyond any real list.
MAX_PAGE = 100_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTEGER = re.compile(r"^[+-]?\d+$")
# JSON strings (with escapes) removed, the brackets left are the structure.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKETS = re.compile(rb"[\[\]{}]")


class Refused(Exception):
    """The request carries something the boundary refuses."""

    def __init__(self, status: int, title: str, detail: str, field: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field


def _control(text: str, where: str) -> None:
    if _CONTROL.search(text):
        raise Refused(
            400,
            _("请求含有无效字符"),
            _("“%(where)s”含有控制字符（如 NUL），请删除后重试") % {"where": where},
            where,
        )


def _json_depth(body: bytes) -> None:
    # Cheap first: a body with few brackets cannot be deep.
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_JSON_DEPTH:
            raise Refused(
                400,
                _("JSON 嵌套过深"),
                _("请求正文的嵌套层级超过 %(n)s 层") % {"n": MAX_JSON_DEPTH},
                "body",
            )


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_INT:
        raise Refused(400, _("数值超出范围"), _("请求正文中的数值超出允许范围"), "body")
    return value


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string (keys too) of a parsed JSON value with where it is, without recursion."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            yield item, where
        elif isinstance(item, dict):
            for key, child in item.items():
                child_where = f"{where}.{key}" if where else str(key)
                yield str(key), child_where
                stack.append((child, child_where))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


def _check_json(body: bytes) -> None:
    _json_depth(body)
    try:
        parsed = json.loads(body, parse_int=_bounded_int)
    except (ValueError, RecursionError):
        return  # not JSON at all: the view answers that with its own 4xx
    for text, where in _walk(parsed, ""):
        _control(text, where or "body")


def request_check(request: HttpRequest) -> None:
    """Raise Refused when ``request`` carries what the boundary refuses."""
    for segment in request.path_info.split("/"):
        # No page, resource or case number has a control character or an id beyond bigint:
        # nothing is there. The answer names the segment (control characters shown as �).
        if _CONTROL.search(segment) or (
            len(segment) > 18 and _INTEGER.match(segment) and abs(int(segment)) > MAX_INT
        ):
            shown = _CONTROL.sub("\ufffd", segment)[:100]
            raise Refused(
                404, _("未找到"), _("请求的对象不存在：%(what)s") % {"what": shown}, "path"
            )
    for name, value in request.COOKIES.items():
        _control(name + value, "cookie")
    for key, values in request.GET.lists():
        _control(key, key)
        for value in values:
            _control(value, key)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        _check_json(request.body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            _control(key, key)
            for value in values:
                _control(value, key)
        for key, uploads in request.FILES.lists():
            for upload in uploads:
                _control(upload.name or "", key)


def _refusal(request: HttpRequest, refused: Refused) -> HttpResponse:
    # Nobody is looked up for a refused request: the session cookie may be the bad part.
    request.user = AnonymousUser()
    if request.path_info.startswith("/api/"):
        errors = [{"field": refused.field, "message": refused.detail}] if refused.field else []
        return problem_response(
            status=refused.status,
            title=refused.title,
            detail=refused.detail,
            type_slug="bad-request" if refused.status == 400 else "request-refused",
            errors=errors,
        )
    template = "404.html" if refused.status == 404 else "400.html"
    return render(
        request,
        template,
        {"title": refused.title, "detail": refused.detail},
        status=refused.status,
    )


class InputBoundaryMiddleware:
    """Refuse bad input before any view runs (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request_check(request)
        except Refused as refused:
            return _refusal(request, refused)
        except RequestDataTooBig:
            return _refusal(
                request, Refused(413, _("请求过大"), _("请求正文超过允许的大小"), "body")
            )
        except TooManyFieldsSent:
            return _refusal(
                request, Refused(400, _("字段过多"), _("请求中的字段数量超过上限"), "body")
            )
        except (MultiPartParserError, SuspiciousOperation) as exc:
            return _refusal(
                request,
                Refused(
                    400,
                    _("请求格式错误"),
                    _("无法读取请求正文：%(error)s") % {"error": exc},
                    "body",
                ),
            )
        return self.get_response(request)
