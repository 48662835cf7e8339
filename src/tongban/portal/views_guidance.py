"""批前指导 / 预约预审 pages of the portal: ask before applying, read the answer, apply on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.catalog.jsonschema_form import form_errors_split, form_fields, form_parse, form_posted
from tongban.catalog.models import Matter
from tongban.core.errors import DomainError, FieldError, NotFound
from tongban.counter import selectors, services
from tongban.counter.choices import GuidanceKind, GuidanceStatus
from tongban.identity.models import User
from tongban.identity.selectors import user_enterprises
from tongban.portal.forms_cases import APPLY_AS_SELF, applicant_choice
from tongban.workflow.calendar import SHANGHAI

UNPROCESSABLE = 422


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _matter_or_404(code: str) -> Matter:
    matter = Matter.objects.select_related("department").filter(code=code, is_active=True).first()
    if matter is None or not services.matter_guidance_kinds(matter=matter):
        raise Http404(_("该事项未开通批前指导或预约预审"))
    return matter


def _appointment_parse(raw: str) -> tuple[dt.datetime | None, list[FieldError]]:
    raw = (raw or "").strip()
    if not raw:
        return None, []
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None, [FieldError("appointment_at", _("请按“年-月-日 时:分”填写预约时间"))]
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)), []


def _draft_errors(errors: list[FieldError]) -> list[FieldError]:
    # The service names draft fields "draft_form.x"; the form widgets expect "form.x".
    return [
        FieldError(e.field.removeprefix("draft_"), e.message)
        if e.field.startswith("draft_form.")
        else e
        for e in errors
    ]


@login_required
@require_http_methods(["GET", "POST"])
def guidance_new(request: HttpRequest, matter_code: str) -> HttpResponse:
    matter = _matter_or_404(matter_code)
    user = _user(request)
    kinds = services.matter_guidance_kinds(matter=matter)
    enterprises = user_enterprises(user=user)
    schema = matter.form_schema
    errors: list[FieldError] = []
    shown: dict[str, Any] = {}
    values = {"kind": kinds[0], "description": "", "appointment_at": "", "applicant": APPLY_AS_SELF}
    if request.method == "POST":
        values = {key: request.POST.get(key, default) for key, default in values.items()}
        shown = form_posted(request.POST)
        applicant, errors = applicant_choice(values["applicant"], enterprises)
        draft, parse_errors = form_parse(schema, request.POST)
        appointment_at, time_errors = _appointment_parse(values["appointment_at"])
        errors += parse_errors + time_errors
        if not errors:
            try:
                guidance = services.guidance_request(
                    actor=user,
                    matter_code=matter.code,
                    kind=values["kind"],
                    description=values["description"],
                    draft_form=draft,
                    appointment_at=appointment_at,
                    applicant=applicant,
                )
            except DomainError as exc:
                errors = _draft_errors(list(exc.errors) or [FieldError("", str(exc.detail))])
            else:
                messages.success(request, _("已提交，部门答复后将在“我的批前指导”中显示。"))
                return redirect("portal:my_guidance_detail", guidance_id=guidance.pk)
    field_errors, other_errors = form_errors_split(errors)
    context = {
        "matter": matter,
        "kinds": [(k, GuidanceKind(k).label) for k in kinds],
        "values": values,
        "enterprises": enterprises,
        "applicant_value": values["applicant"],
        "fields": form_fields(schema, data=shown, errors=field_errors),
        "field_errors": {e.field: e.message for e in other_errors},
        "errors": [str(e.message) for e in other_errors],
        "has_errors": bool(errors),
        "hours": "、".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in services.OPENING_HOURS),
    }
    return render(
        request, "portal/guidance/new.html", context, status=UNPROCESSABLE if errors else 200
    )


@login_required
def my_guidance(request: HttpRequest) -> HttpResponse:
    rows = selectors.guidance_list_for_applicant(user=_user(request))[:200]
    return render(request, "portal/guidance/list.html", {"rows": rows})


@login_required
def my_guidance_detail(request: HttpRequest, guidance_id: int) -> HttpResponse:
    user = _user(request)
    try:
        guidance = selectors.guidance_get_for_user(user=user, guidance_id=guidance_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    if not selectors.guidance_visible_to_applicant(user=user, guidance=guidance):
        raise Http404(_("指导申请不存在"))
    schema = guidance.matter.form_schema
    draft = [
        (field.label, field.value)
        for field in form_fields(schema, data=guidance.draft_form or {})
        if field.value not in ("", None)
    ]
    context = {
        "guidance": guidance,
        "draft": draft,
        "can_apply": guidance.status == GuidanceStatus.ANSWERED,
    }
    return render(request, "portal/guidance/detail.html", context)
