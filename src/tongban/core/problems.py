"""RFC 7807 problem JSON: the one shape of every API error."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from tongban.core.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(
    *,
    status: int,
    title: str,
    detail: str = "",
    type_slug: str = "about:blank",
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": type_slug if type_slug == "about:blank" else f"/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "errors": errors or [],
    }
    if extra:
        body.update(extra)
    return JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def domain_error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem_response(
        status=exc.status,
        title=str(exc.title or _(exc.default_title)),
        detail=str(exc.detail),
        type_slug=exc.type_slug,
        errors=exc.field_errors(),
        extra=exc.extra,
    )


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja locations look like ("body", "payload", "form", "name"); drop the transport part.
    parts = [str(p) for p in loc]
    # Only the leading transport part: a body field may itself be called "form" or "file".
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file", "payload"}:
        parts = parts[1:]
        if parts and parts[0] in {"payload", "data", "filters"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


_PYDANTIC_MESSAGES = {
    "missing": N_("此项为必填项"),
    "string_too_long": N_("内容过长"),
    "string_too_short": N_("内容过短"),
    "int_parsing": N_("应为整数"),
    "int_type": N_("应为整数"),
    "string_type": N_("应为文本"),
    "bool_parsing": N_("应为布尔值"),
    "date_from_datetime_parsing": N_("日期格式应为 YYYY-MM-DD"),
    "date_parsing": N_("日期格式应为 YYYY-MM-DD"),
    "date_from_datetime_inexact": N_("日期格式应为 YYYY-MM-DD"),
    "greater_than_equal": N_("数值过小"),
    "less_than_equal": N_("数值过大"),
    "literal_error": N_("取值无效"),
    "enum": N_("取值无效"),
    "json_invalid": N_("JSON 格式错误"),
    "model_attributes_type": N_("格式错误"),
    "dict_type": N_("应为对象"),
}


def validation_errors_to_fields(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        kind = str(err.get("type", ""))
        message = _PYDANTIC_MESSAGES.get(kind)
        text = _(message) if message else str(err.get("msg", _("取值无效")))
        out.append({"field": _field_name(err.get("loc", [])), "message": text})
    return out
