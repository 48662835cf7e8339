"""The public 政务信息资源目录 pages: counts per department, a filterable list, one resource."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from tongban.catalog import selectors
from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.exchange.choices import ShareType
from tongban.exchange.selectors import (
    catalogue_department_counts,
    catalogue_resource_get,
    catalogue_resource_list,
)

FILTER_LABELS = {
    "department": _("提供部门"),
    "share_type": _("共享类型"),
    "q": _("搜索内容"),
}


def data_catalogue(request: HttpRequest) -> HttpResponse:
    params = {
        "department": request.GET.get("department", "").strip(),
        "share_type": request.GET.get("share_type", "").strip(),
        "q": request.GET.get("q", "").strip(),
    }
    errors: list[FieldError] = []
    resources: list[Any] = []
    try:
        resources = catalogue_resource_list(
            department=params["department"] or None,
            share_type=params["share_type"] or None,
            query=params["q"],
        )
    except ValidationFailed as exc:
        errors = list(exc.errors)
    counts = catalogue_department_counts()
    context = {
        "params": params,
        # A long query is refused, and not echoed back in full.
        "query_value": params["q"][:50],
        "resources": resources,
        "counts": counts,
        "total_resources": sum(c.resources for c in counts),
        "total_fields": sum(c.fields for c in counts),
        "departments": list(selectors.department_list()),
        "share_choices": ShareType.choices,
        "errors": [
            {"field": e.field, "label": FILTER_LABELS.get(e.field, e.field), "message": e.message}
            for e in errors
        ],
    }
    return render(request, "portal/data/catalogue.html", context, status=400 if errors else 200)


def data_resource(request: HttpRequest, code: str) -> HttpResponse:
    try:
        resource = catalogue_resource_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    context = {"resource": resource, "fields": list(resource.fields.order_by("order", "id"))}
    return render(request, "portal/data/resource.html", context)
