"""The django-axes lockout response (settings.AXES_LOCKOUT_CALLABLE)."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core.problems import problem_response


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 after too many failed sign-ins: problem JSON for the API, a styled page otherwise."""
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    if minutes:
        detail = _("登录失败次数过多，请在 %(minutes)d 分钟后再试") % {"minutes": minutes}
    else:
        detail = _("登录失败次数过多，登录已被锁定，请联系管理员")
    if request.path.startswith("/api/"):
        response = problem_response(
            status=429,
            title=_("尝试次数过多"),
            detail=detail,
            type_slug="too-many-attempts",
            errors=[{"field": "password", "message": detail}],
        )
    else:
        retry_at = timezone.localtime(timezone.now() + cool_off) if cool_off else None
        response = render(
            request,
            "registration/locked.html",
            {"detail": detail, "retry_at": retry_at},
            status=429,
        )
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
