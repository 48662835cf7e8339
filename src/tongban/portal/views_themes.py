"""Applying for a theme (一件事) in the portal: one merged form, then the parent draft page."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.cases import services as cases
from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.models import Theme
from tongban.catalog.services import theme_form_schema
from tongban.core.errors import DomainError, FieldError, NotFound
from tongban.identity.models import User
from tongban.identity.selectors import user_enterprises
from tongban.portal.forms_cases import APPLY_AS_SELF, applicant_choice
from tongban.portal.jsonschema_form import form_errors_split, form_fields, form_parse, form_posted

#: Status code of a page shown again with field errors (as the API's 422).
UNPROCESSABLE = 422


def _theme_or_404(code: str) -> Theme:
    try:
        return catalog_selectors.theme_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc


@login_required
@require_http_methods(["GET", "POST"])
def theme_apply(request: HttpRequest, theme_code: str) -> HttpResponse:
    theme = _theme_or_404(theme_code)
    user = request.user
    assert isinstance(user, User)
    enterprises = user_enterprises(user=user)
    schema = theme_form_schema(theme=theme)
    errors: list[FieldError] = []
    shown: dict[str, Any] = {}
    applicant_value = APPLY_AS_SELF
    idempotency_key = uuid.uuid4().hex
    if request.method == "POST":
        shown = form_posted(request.POST)
        idempotency_key = (request.POST.get("idempotency_key") or "")[:100] or idempotency_key
        applicant_value = request.POST.get("applicant", APPLY_AS_SELF)
        applicant, errors = applicant_choice(applicant_value, enterprises)
        form, parse_errors = form_parse(schema, request.POST)
        errors += parse_errors
        if not errors:
            try:
                case = cases.case_create(
                    actor=user,
                    theme_code=theme.code,
                    applicant=applicant,
                    form=form,
                    channel="online",
                    idempotency_key=idempotency_key,
                )
            except DomainError as exc:
                errors = list(exc.errors) or [FieldError("", str(exc.detail))]
            else:
                messages.success(request, _("申请表已保存。每项材料只需上传一次，各事项共用。"))
                return redirect("portal:my_case_edit", case_id=case.pk)
    field_errors, other_errors = form_errors_split(errors)
    links = list(
        theme.theme_matters.select_related("matter__department").order_by("stage", "order")
    )
    context = {
        "theme": theme,
        "links": links,
        "enterprises": enterprises,
        "applicant_value": applicant_value,
        "fields": form_fields(schema, data=shown, errors=field_errors),
        "errors": [str(e.message) for e in other_errors],
        "has_errors": bool(errors),
        "idempotency_key": idempotency_key,
    }
    return render(
        request,
        "portal/cases/theme_apply.html",
        context,
        status=UNPROCESSABLE if errors else 200,
    )
