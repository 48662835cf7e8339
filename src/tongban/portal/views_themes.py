"""Applying for a theme (一件事) in the portal: one merged form, then the parent draft page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.cases import services as cases
from tongban.cases.selectors_promise import theme_promises, who_applies
from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.choices import Audience
from tongban.catalog.jsonschema_form import form_errors_split, form_fields
from tongban.catalog.models import Theme
from tongban.catalog.services import theme_form_schema
from tongban.core.errors import NotFound
from tongban.identity.models import User
from tongban.identity.selectors import user_enterprises
from tongban.portal.forms_cases import apply_attempt

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
    attempt = apply_attempt(
        request,
        enterprises=enterprises,
        schema=schema,
        create=lambda applicant, form, key: cases.case_create(
            actor=user,
            theme_code=theme.code,
            applicant=applicant,
            form=form,
            channel="online",
            idempotency_key=key,
        ),
    )
    if attempt.case is not None:
        messages.success(request, _("申请表已保存。每项材料只需上传一次，各事项共用。"))
        return redirect("portal:my_case_edit", case_id=attempt.case.pk)
    errors = attempt.errors
    field_errors, other_errors = form_errors_split(errors)
    links = list(
        theme.theme_matters.select_related("matter__department").order_by("stage", "order")
    )
    if request.method == "GET" and enterprises and theme.audience == Audience.ENTERPRISE:
        attempt.applicant_value = enterprises[0].uscc
    chosen = next((e for e in enterprises if e.uscc == attempt.applicant_value), None)
    promises = theme_promises(theme=theme, who=who_applies(user=user, enterprise=chosen))
    context = {
        "promises": promises,
        "uploads_asked": sum(1 for p in promises if p.asked),
        "theme": theme,
        "links": links,
        "enterprises": enterprises,
        "applicant_value": attempt.applicant_value,
        "fields": form_fields(schema, data=attempt.shown, errors=field_errors),
        "errors": [str(e.message) for e in other_errors],
        "has_errors": bool(errors),
        "idempotency_key": attempt.idempotency_key,
    }
    return render(
        request,
        "portal/cases/theme_apply.html",
        context,
        status=UNPROCESSABLE if errors else 200,
    )
