"""The API: one NinjaAPI at /api/v1/, one router module per app."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.errors import AuthorizationError as NinjaAuthorizationError

from tongban.cases.api import router as cases_router
from tongban.catalog.api import router as catalog_router
from tongban.certificates.api import router as certificates_router
from tongban.core.errors import DomainError
from tongban.core.problems import (
    domain_error_response,
    problem_response,
    validation_errors_to_fields,
)
from tongban.counter.api import router as counter_router
from tongban.delivery.api import router as delivery_router
from tongban.evaluation.api import router as evaluation_router
from tongban.exchange.api import router as exchange_router
from tongban.identity.api import router as identity_router
from tongban.payments.api import router as payments_router
from tongban.stats.api import router as stats_router
from tongban.workflow.api import router as workflow_router

#: RFC 7807 problem JSON, the shape of every 4xx answer (core/problems.py).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 7807 问题详情 / RFC 7807 problem details",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

#: The 4xx answers every operation may give, and when (see core/boundary.py for 400/413).
_PROBLEMS = {
    "400": "请求含有无效字符、嵌套过深或数值超出范围 / control characters, deep JSON, big numbers",
    "401": "未登录或令牌无效 / not signed in",
    "403": "无权操作 / not allowed",
    "404": "对象不存在或无权查看 / not found",
    "409": "状态冲突 / conflict with the current state",
    "413": "请求正文过大 / request body too large",
    "422": "输入有误（逐字段说明）/ invalid input, with field errors",
    "429": "请求过于频繁 / too many requests",
}


class TongbanAPI(NinjaAPI):
    """The API whose OpenAPI document also lists every problem answer an operation can give."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                codes = {"400", "413", "422", "429"}
                if operation.get("security"):
                    codes |= {"401", "403"}
                if "{" in path:
                    codes.add("404")
                if method in {"post", "put", "patch", "delete"}:
                    # A sign-in with a wrong password is a 401 too.
                    codes |= {"401", "403", "404", "409"}
                responses = operation.setdefault("responses", {})
                for code in sorted(codes):
                    responses.setdefault(code, {"description": _PROBLEMS[code], **problem})
        return schema


api = TongbanAPI(
    title="通办 Tongban API",
    version="1",
    description="一网通办平台接口 / The Tongban one-network government service API",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return domain_error_response(request, exc)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(
        status=422,
        title=_("输入有误"),
        detail=_("请求中有字段不符合要求"),
        type_slug="validation-error",
        errors=validation_errors_to_fields(list(exc.errors)),
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        status=401,
        title=_("未登录"),
        detail=_("请先登录或提供有效的访问令牌"),
        type_slug="unauthenticated",
    )
    response["WWW-Authenticate"] = 'Bearer realm="tongban"'
    return response


@api.exception_handler(NinjaAuthorizationError)
def _forbidden(request: HttpRequest, exc: NinjaAuthorizationError) -> HttpResponse:
    return problem_response(
        status=403, title=_("无权操作"), detail=str(exc) or _("无权操作"), type_slug="forbidden"
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(
        status=404, title=_("未找到"), detail=_("请求的对象不存在"), type_slug="not-found"
    )


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = problem_response(
        status=429,
        title=_("请求过于频繁"),
        detail=_("请求过于频繁，请稍后再试"),
        type_slug="too-many-requests",
    )
    if exc.wait:
        response["Retry-After"] = str(max(1, round(exc.wait)))
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(status=exc.status_code, title=str(exc), detail=str(exc))


api.add_router("", identity_router)
api.add_router("", catalog_router)
api.add_router("", workflow_router)
api.add_router("", cases_router)
api.add_router("", exchange_router)
api.add_router("", payments_router)
api.add_router("", certificates_router)
api.add_router("", delivery_router)
api.add_router("", counter_router)
api.add_router("", evaluation_router)
api.add_router("", stats_router)
