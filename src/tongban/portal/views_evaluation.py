"""好差评 pages: the applicant's rating page, the counter device page and the public scores.

Thin views: ``tongban.evaluation`` services decide and validate.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.cases.models import Case
from tongban.catalog.models import localized
from tongban.core.errors import DomainError, FieldError, NotFound
from tongban.evaluation import selectors, services
from tongban.evaluation.choices import Dimension, RatingChannel, Score, Stage
from tongban.portal.case_pages import UNPROCESSABLE, errors_of, own_case_or_404, request_user

#: Posted input of one dimension's grade: ``dim.<code>``.
DIMENSION_PREFIX = "dim."


def _grade(raw: str | None) -> Any:
    """A posted grade as an int when it is a small number; else as posted (the service refuses)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 2 else (raw or None)


def _posted(request: HttpRequest) -> dict[str, Any]:
    dimensions = {}
    for code in Dimension.values:
        value = _grade(request.POST.get(DIMENSION_PREFIX + code))
        if value is not None:
            dimensions[code] = value
    return {
        "score": _grade(request.POST.get("score")),
        "comment": request.POST.get("comment", ""),
        "dimensions": dimensions,
    }


def _form_context(
    *, stage: str, posted: dict[str, Any] | None, errors: list[FieldError]
) -> dict[str, Any]:
    posted = posted or {}
    chosen = posted.get("dimensions") or {}
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field.split(".", 1)[0] or "form", []).append(str(error.message))
    return {
        "stage": stage,
        "stage_label": Stage(stage).label if stage in Stage.values else "",
        "scores": [(value, label) for value, label in reversed(Score.choices)],
        "score": posted.get("score"),
        "dimensions": [
            {"code": code, "label": label, "value": chosen.get(code)}
            for code, label in Dimension.choices
        ],
        "comment": posted.get("comment", ""),
        "errors": by_field,
    }


def _channel(request: HttpRequest) -> str:
    agent = request.headers.get("User-Agent", "")
    return RatingChannel.MOBILE if "Mobile" in agent else RatingChannel.ONLINE


def _case_title(case: Case) -> str:
    if case.matter is not None:
        return localized(case.matter, "name")
    return localized(case.theme, "name") if case.theme is not None else ""


@login_required
@require_http_methods(["GET", "POST"])
def my_case_evaluate(request: HttpRequest, case_id: int) -> HttpResponse:
    """一事一评: the applicant rates a stage of their case (phone-friendly)."""
    case = own_case_or_404(request, case_id)
    user = request_user(request)
    stages = selectors.case_rating_stages(user=user, case=case)
    asked = request.POST.get("stage") or request.GET.get("stage") or ""
    open_stages = [s for s in stages if s.open]
    stage = asked if asked in Stage.values else (open_stages[-1].stage if open_stages else "")
    if request.method == "POST":
        posted = _posted(request)
        try:
            services.evaluation_create(
                actor=user,
                case=case,
                stage=stage or None,
                channel=_channel(request),
                **posted,
            )
        except DomainError as exc:
            context = {
                "case": case,
                "title": _case_title(case),
                "summary": str(exc.detail),
                **_form_context(stage=stage, posted=posted, errors=errors_of(exc)),
            }
            return render(request, "portal/evaluation/rate.html", context, status=exc.status)
        messages.success(request, _("感谢您的评价！"))
        return redirect("portal:my_case", case_id=case.pk)
    if not stage or not any(s.stage == stage and s.open for s in stages):
        messages.error(request, _("该环节暂不能评价（尚未办理或已评价）。"))
        return redirect("portal:my_case", case_id=case.pk)
    context = {
        "case": case,
        "title": _case_title(case),
        **_form_context(stage=stage, posted=None, errors=[]),
    }
    return render(request, "portal/evaluation/rate.html", context)


@require_http_methods(["GET", "POST"])
def device_rate(request: HttpRequest, token: str) -> HttpResponse:
    """评价器: the counter device page the window clerk hands over; no staff session needed."""
    try:
        rating_request = services.rating_request_get(token=token)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    case = rating_request.case
    base = {"case": case, "title": _case_title(case), "device": True}
    if request.method == "POST":
        posted = _posted(request)
        try:
            services.rating_request_rate(token=token, **posted)
        except DomainError as exc:
            context = {
                **base,
                "summary": str(exc.detail),
                **_form_context(stage=rating_request.stage, posted=posted, errors=errors_of(exc)),
            }
            status = exc.status if exc.status != 404 else UNPROCESSABLE
            return render(request, "portal/evaluation/rate.html", context, status=status)
        return render(request, "portal/evaluation/thanks.html", base)
    context = {**base, **_form_context(stage=rating_request.stage, posted=None, errors=[])}
    return render(request, "portal/evaluation/rate.html", context)


def scores(request: HttpRequest) -> HttpResponse:
    """Public 好差评 scores per department and per matter."""
    departments = [
        {"department": department, "name": localized(department, "name"), "s": satisfaction}
        for department, satisfaction in selectors.evaluation_summary()
    ]
    matters = []
    for row in selectors.satisfaction_by_matter():
        english = request.LANGUAGE_CODE == "en"
        if row["matter__code"]:
            name = (english and row["matter__name_en"]) or row["matter__name"]
        else:
            name = (english and row["theme__name_en"]) or row["theme__name"]
        matters.append({"name": name, "s": row["satisfaction"], "theme": not row["matter__code"]})
    return render(
        request, "portal/evaluation/scores.html", {"departments": departments, "matters": matters}
    )
