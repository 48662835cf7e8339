"""批前指导 / 预约预审 in the workbench: the department's requests and the answer form."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.core.errors import DomainError, FieldError, NotFound
from tongban.counter import selectors, services
from tongban.counter.choices import GuidanceStatus
from tongban.workbench.views import StaffRequest, staff_context, staff_required

UNPROCESSABLE = 422


@staff_required
def guidance_list(request: StaffRequest) -> HttpResponse:
    status = request.GET.get("status", GuidanceStatus.REQUESTED)
    if status not in GuidanceStatus.values:
        status = GuidanceStatus.REQUESTED
    rows = selectors.guidance_list_for_staff(user=request.user, status=status)[:200]
    context = {
        **staff_context(request, "guidance"),
        "rows": rows,
        "status": status,
        "statuses": GuidanceStatus.choices,
    }
    return render(request, "workbench/guidance_list.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def guidance_detail(request: StaffRequest, guidance_id: int) -> HttpResponse:
    try:
        guidance = selectors.guidance_get_for_user(user=request.user, guidance_id=guidance_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    if not selectors.guidance_visible_to_staff(user=request.user, guidance=guidance):
        raise Http404(_("指导申请不存在"))
    errors: list[FieldError] = []
    error = ""
    answer = request.POST.get("answer", "")
    checked = request.POST.get("checked_items", "")
    if request.method == "POST":
        items = [line.strip() for line in checked.splitlines() if line.strip()]
        try:
            services.guidance_answer(
                actor=request.user, guidance=guidance, answer=answer, checked_items=items
            )
        except DomainError as exc:
            errors = list(exc.errors)
            error = str(exc.detail)
        else:
            messages.success(request, _("已答复，申请人可据此正式申请。"))
            return redirect("workbench:guidance_detail", guidance_id=guidance.pk)
    context = {
        **staff_context(request, "guidance"),
        "guidance": guidance,
        "draft": sorted((guidance.draft_form or {}).items()),
        "answer": answer,
        "checked": checked,
        "error": error,
        "field_errors": {e.field.split("[", 1)[0]: str(e.message) for e in errors},
        "can_answer": guidance.status == GuidanceStatus.REQUESTED,
    }
    return render(
        request,
        "workbench/guidance_detail.html",
        context,
        status=UNPROCESSABLE if error else 200,
    )
