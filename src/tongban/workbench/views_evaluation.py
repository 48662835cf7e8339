"""好差评 in the workbench: the supervisor's bad ratings (answer, appeal), the center admin's
appeals, and the window clerk's rating request for the counter device.

Thin views: ``tongban.evaluation`` services decide and validate.
"""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongban.core.errors import DomainError, NotFound
from tongban.evaluation import selectors, services
from tongban.evaluation.choices import AppealKind, AppealState, Stage
from tongban.evaluation.models import Evaluation
from tongban.identity.choices import StaffRole
from tongban.workbench.views import (
    StaffRequest,
    message_of,
    staff_context,
    staff_required,
    status_of,
)
from tongban.workflow.calendar import work_calendar

#: The tabs of the supervisor's list, in order.
STATES = ("open", "answered", "appealed", "all")


def _state_tabs() -> list[tuple[str, str]]:
    return [
        ("open", _("待整改答复")),
        ("answered", _("已答复")),
        ("appealed", _("已申诉")),
        ("all", _("全部")),
    ]


def _rows(request: StaffRequest, state: str) -> list[dict[str, Any]]:
    calendar = work_calendar()
    today = timezone.localdate()
    rows = []
    for evaluation in selectors.bad_ratings_for_supervisor(user=request.user, state=state)[:200]:
        due = evaluation.follow_up_due_date
        remaining = None
        if due is not None and evaluation.answered_at is None:
            remaining = (
                calendar.working_days_between(today, due)
                if due >= today
                else -calendar.working_days_between(due, today)
            )
        rows.append(
            {
                "e": evaluation,
                "appeal": evaluation.appeal if hasattr(evaluation, "appeal") else None,
                "remaining": remaining,
                "overdue": remaining is not None and remaining < 0,
                "open": evaluation.answered_at is None and evaluation.excluded_at is None,
            }
        )
    return rows


def _render_list(
    request: StaffRequest,
    *,
    state: str = "open",
    status: int = 200,
    error: str = "",
    failed: int | None = None,
    field_errors: dict[str, str] | None = None,
) -> HttpResponse:
    context = {
        **staff_context(request, "evaluations"),
        "state": state,
        "states": _state_tabs(),
        "rows": _rows(request, state),
        "appeal_kinds": AppealKind.choices,
        "error": error,
        "failed": failed,
        "field_errors": field_errors or {},
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "workbench/evaluations.html", context, status=status)


def _supervisor(request: StaffRequest) -> bool:
    return StaffRole.SUPERVISOR in request.roles


@require_GET
@staff_required
def evaluation_list(request: StaffRequest) -> HttpResponse:
    """差评整改: the department's bad ratings for its supervisors."""
    if not _supervisor(request):
        return render(request, "workbench/403.html", status=403)
    state = request.GET.get("state", "open")
    return _render_list(request, state=state if state in STATES else "open")


def _evaluation_or_404(evaluation_id: int) -> Evaluation:
    evaluation = (
        Evaluation.objects.select_related("case", "department", "follow_up_task")
        .filter(pk=evaluation_id)
        .first()
    )
    if evaluation is None:
        raise NotFound(_("评价不存在"))
    return evaluation


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {e.field.removeprefix("data."): str(e.message) for e in exc.errors}


@require_POST
@staff_required
def evaluation_answer(request: StaffRequest, evaluation_id: int) -> HttpResponse:
    verified_raw = request.POST.get("verified", "")
    verified: Any = {"yes": True, "no": False}.get(verified_raw, verified_raw or None)
    try:
        evaluation = _evaluation_or_404(evaluation_id)
        if evaluation.follow_up_task is None:
            raise NotFound(_("评价不存在"))
        services.follow_up_answer(
            actor=request.user,
            task=evaluation.follow_up_task,
            verified=verified,
            rectification=request.POST.get("rectification", ""),
            answer=request.POST.get("answer", ""),
        )
    except DomainError as exc:
        return _render_list(
            request,
            status=422 if exc.status == 422 else status_of(exc),
            error=message_of(exc),
            failed=evaluation_id,
            field_errors=_field_errors(exc),
        )
    messages.success(request, _("已答复申请人。"))
    return redirect(reverse("workbench:evaluations") + "?state=answered")


@require_POST
@staff_required
def evaluation_appeal(request: StaffRequest, evaluation_id: int) -> HttpResponse:
    try:
        services.appeal_open(
            actor=request.user,
            evaluation=_evaluation_or_404(evaluation_id),
            kind=request.POST.get("kind", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        return _render_list(
            request,
            status=422 if exc.status == 422 else status_of(exc),
            error=message_of(exc),
            failed=evaluation_id,
            field_errors=_field_errors(exc),
        )
    messages.success(request, _("已提交申诉，等待中心管理员复核。"))
    return redirect(reverse("workbench:evaluations") + "?state=appealed")


def _render_appeals(
    request: StaffRequest,
    *,
    state: str,
    status: int = 200,
    error: str = "",
    failed: int | None = None,
    field_errors: dict[str, str] | None = None,
) -> HttpResponse:
    context = {
        **staff_context(request, "appeals"),
        "state": state,
        "states": [("open", _("待复核")), ("all", _("全部"))],
        "appeals": selectors.appeals_for_admin(
            user=request.user, state=AppealState.OPEN if state == "open" else ""
        )[:200],
        "error": error,
        "failed": failed,
        "field_errors": field_errors or {},
    }
    return render(request, "workbench/appeals.html", context, status=status)


@require_GET
@staff_required
def appeal_list(request: StaffRequest) -> HttpResponse:
    """申诉复核: the center admin's list of appeals."""
    if StaffRole.CENTER_ADMIN not in request.roles:
        return render(request, "workbench/403.html", status=403)
    state = request.GET.get("state", "open")
    return _render_appeals(request, state=state if state in ("open", "all") else "open")


@require_POST
@staff_required
def appeal_decide(request: StaffRequest, appeal_id: int) -> HttpResponse:
    uphold: Any = {"uphold": True, "refuse": False}.get(request.POST.get("verdict", ""))
    try:
        appeal = selectors.appeal_get_for_admin(user=request.user, appeal_id=appeal_id)
        services.appeal_decide(
            actor=request.user,
            appeal=appeal,
            uphold=uphold,
            comment=request.POST.get("comment", ""),
        )
    except DomainError as exc:
        if StaffRole.CENTER_ADMIN not in request.roles:
            return render(request, "workbench/403.html", status=403)
        return _render_appeals(
            request,
            state="open",
            status=422 if exc.status == 422 else status_of(exc),
            error=message_of(exc),
            failed=appeal_id,
            field_errors=_field_errors(exc),
        )
    messages.success(request, _("已复核。"))
    return redirect("workbench:appeals")


@require_POST
@staff_required
def rating_request(request: StaffRequest, case_id: int) -> HttpResponse:
    """评价器: the clerk opens a single-use link for the applicant on the counter device."""
    try:
        case = selectors.case_for_window_clerk(user=request.user, case_id=case_id)
        opened = services.rating_request_open(
            actor=request.user, case=case, stage=request.POST.get("stage") or None
        )
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    except DomainError as exc:
        messages.error(request, message_of(exc))
        return redirect("workbench:case", case_id=case_id)
    return redirect("workbench:rating_request", request_id=opened.pk)


@require_GET
@staff_required
def rating_request_show(request: StaffRequest, request_id: int) -> HttpResponse:
    """The link and QR code of a window rating request, for the counter device."""
    try:
        opened = selectors.rating_request_for_staff(user=request.user, request_id=request_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    url = request.build_absolute_uri(reverse("portal:device_rate", args=[opened.token]))
    qr = segno.make(url, error="m").svg_inline(scale=5, dark="#0b2f6b")
    context = {
        **staff_context(request, ""),
        "case": opened.case,
        "rating_request": opened,
        "stage_label": Stage(opened.stage).label,
        "url": url,
        "qr_svg": qr,
        "usable": opened.used_at is None and opened.expires_at > timezone.now(),
    }
    return render(request, "workbench/rating_request.html", context)
