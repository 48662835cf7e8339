"""What staff do on a case from the workbench: claim, decide, ask for supplements, extend,
hand over at the window; each posts to one service and shows the case again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.cases import services as case_services
from tongban.cases.choices import (
    Decision,
)
from tongban.cases.models import Case
from tongban.cases.services import outputs
from tongban.core.errors import (
    DomainError,
)
from tongban.delivery.choices import DeliveryStatus
from tongban.delivery.models import DeliveryOrder
from tongban.delivery.services import delivery_advance
from tongban.workbench.forms import DecisionForm, ExtensionForm
from tongban.workbench.views import (
    SANDBOX_CARRIER,
    StaffRequest,
    case_form_rows,
    case_or_404,
    message_of,
    render_case,
    sandbox_buttons,
    staff_required,
    status_of,
    supplement_form_for,
    task_or_404,
)


def _after(request: StaffRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("workbench:case", case_id=case.pk)


def _refused(request: StaffRequest, case: Case, exc: DomainError, **forms: Any) -> HttpResponse:
    field_errors = {e.field: str(e.message) for e in exc.errors}
    # The task or case moved on (or the refusal named it): show the page as it is now.
    case.refresh_from_db()
    return render_case(
        request,
        case,
        status=status_of(exc),
        error=message_of(exc),
        field_errors=field_errors,
        **forms,
    )


@require_POST
@staff_required
def task_claim(request: StaffRequest, task_id: int) -> HttpResponse:
    task = task_or_404(request, task_id)
    try:
        case_services.task_claim(actor=request.user, task=task)
    except DomainError as exc:
        return _refused(request, task.case, exc)
    return _after(request, task.case, _("已认领，请办理。"))


@require_POST
@staff_required
def task_decide(request: StaffRequest, task_id: int) -> HttpResponse:
    task = task_or_404(request, task_id)
    case = task.case
    form = DecisionForm(request.POST, kind=task.kind)
    if not form.is_valid():
        return render_case(
            request,
            case,
            status=400,
            error=_("请检查填写的内容。"),
            decision_form=form,
            field_errors={k: str(v[0]) for k, v in form.errors.items()},
        )
    decision = form.cleaned_data["decision"]
    try:
        case_services.task_complete(
            actor=request.user,
            task=task,
            decision=decision,
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        return _refused(request, case, exc, decision_form=form)
    label = dict(Decision.choices)[decision]
    return _after(request, case, _("已办理：%(decision)s") % {"decision": label})


@require_POST
@staff_required
def task_supplement(request: StaffRequest, task_id: int) -> HttpResponse:
    task = task_or_404(request, task_id)
    case = task.case
    form = supplement_form_for(case, case_form_rows(case), request.POST)
    if not form.is_valid():
        return render_case(
            request,
            case,
            status=400,
            error=" ".join(str(e) for e in form.non_field_errors()) or _("请检查填写的内容。"),
            supplement_form=form,
        )
    message = form.cleaned_data.get("message", "")
    try:
        case_services.task_complete(
            actor=request.user,
            task=task,
            decision=Decision.REQUEST_SUPPLEMENT,
            comment=message,
            data={"items": form.items},
        )
    except DomainError as exc:
        return _refused(request, case, exc, supplement_form=form)
    return _after(
        request,
        case,
        _("已一次性告知申请人补正 %(count)s 项内容。") % {"count": len(form.items)},
    )


@require_POST
@staff_required
def case_extend(request: StaffRequest, case_id: int) -> HttpResponse:
    case = case_or_404(request, case_id)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        return render_case(
            request,
            case,
            status=400,
            error=_("请检查延期天数和理由。"),
            extension_form=form,
        )
    try:
        case_services.case_extend(
            actor=request.user,
            case=case,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        return _refused(request, case, exc, extension_form=form)
    return _after(
        request, case, _("已延期 %(days)s 个工作日。") % {"days": form.cleaned_data["days"]}
    )


@require_POST
@staff_required
def case_pickup(request: StaffRequest, case_id: int) -> HttpResponse:
    """确认领取: the applicant collected the licence at the window (one visit)."""
    case = case_or_404(request, case_id)
    try:
        outputs.case_pickup_confirm(actor=request.user, case=case)
    except DomainError as exc:
        return _refused(request, case, exc)
    return _after(request, case, _("已确认领取，办件已办结。"))


@require_POST
@staff_required
def case_parcel_advance(request: StaffRequest, case_id: int) -> HttpResponse:
    """推进快递（沙箱）: move a sandbox parcel one step on (development and demo only)."""
    case = case_or_404(request, case_id)
    if not sandbox_buttons():
        raise Http404(_("页面不存在"))
    order = DeliveryOrder.objects.filter(case=case, carrier=SANDBOX_CARRIER).first()
    if order is None:
        raise Http404(_("该办件没有沙箱快递"))
    try:
        order = delivery_advance(order=order)
    except DomainError as exc:
        return _refused(request, case, exc)
    return _after(
        request,
        case,
        _("快递状态：%(status)s") % {"status": DeliveryStatus(order.status).label},
    )
