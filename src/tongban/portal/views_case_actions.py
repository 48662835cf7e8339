"""What the applicant does on a case: deliver a deferred material, answer a supplement, withdraw,
pay, and choose how the licence arrives.

Thin views: the cases services decide and validate.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tongban.cases import services as cases
from tongban.cases.choices import (
    WITHDRAWABLE_STATUSES,
    CaseStatus,
)
from tongban.cases.rules import case_form_schema
from tongban.cases.services import deferral, outputs, parties
from tongban.catalog.forms import schema_field_title
from tongban.catalog.jsonschema_form import (
    form_parse,
    form_posted,
)
from tongban.core.errors import DomainError, FieldError
from tongban.delivery.choices import DeliveryMethod
from tongban.payments.choices import PaymentStatus
from tongban.portal.case_pages import (
    FILE_PREFIX,
    STATUS_TONE,
    UNPROCESSABLE,
    errors_of,
    material_rows,
    own_case_or_404,
    posted_files,
    request_user,
)
from tongban.portal.forms_cases import WithdrawForm
from tongban.portal.views_cases import ADDRESS_FIELDS, detail_context, open_supplement


@login_required
@require_POST
def my_case_deferred(request: HttpRequest, case_id: int) -> HttpResponse:
    """容缺: upload the deferred materials after submission (each file is its own change)."""
    case = own_case_or_404(request, case_id)
    pending = deferral.case_deferred_materials(case=case)
    files = posted_files(request, {m.requirement_code for m in pending})
    errors: dict[str, list[str]] = {}
    if not files:
        errors = {m.requirement_code: [_("请选择要补交的文件")] for m in pending}
    for code, upload in files.items():
        try:
            cases.material_upload(
                actor=request_user(request), case=case, requirement_code=code, file=upload
            )
        except DomainError as exc:
            errors[code] = [str(e.message) for e in errors_of(exc)]
    if not errors:
        messages.success(request, _("容缺材料已补交。"))
        return redirect("portal:my_case", case_id=case.pk)
    case.refresh_from_db()
    context = detail_context(request, case)
    context["deferred"] = material_rows(deferral.case_deferred_materials(case=case), errors)
    return render(request, "portal/cases/detail.html", context, status=UNPROCESSABLE)


@login_required
@require_POST
def my_case_supplement(request: HttpRequest, case_id: int) -> HttpResponse:
    case = own_case_or_404(request, case_id)
    supplement = open_supplement(case)
    if supplement is None:
        messages.error(request, _("该办件没有待补正的内容。"))
        return redirect("portal:my_case", case_id=case.pk)
    items = [i for i in supplement.items or [] if isinstance(i, dict)]
    field_codes = [str(i.get("code")) for i in items if i.get("kind") == "field"]
    material_codes = {str(i.get("code")) for i in items if i.get("kind") == "material"}
    schema = case_form_schema(case)
    form, errors = form_parse(schema, request.POST, only=field_codes)
    if not errors:
        try:
            cases.case_supplement_answer(
                actor=request_user(request),
                case=case,
                form=form or None,
                files=posted_files(request, material_codes) or None,
            )
        except DomainError as exc:
            errors = errors_of(exc)
        else:
            messages.success(request, _("补正材料已提交，办理时限恢复计时。"))
            return redirect("portal:my_case", case_id=case.pk)
    case.refresh_from_db()
    context = detail_context(
        request,
        case,
        supplement_errors=[_file_field(e) for e in errors],
        supplement_shown={**(case.form_data or {}), **form_posted(request.POST)},
    )
    return render(request, "portal/cases/detail.html", context, status=UNPROCESSABLE)


def _file_field(error: FieldError) -> FieldError:
    # The service may name an answered file "files.<code>"; the page knows it by its code.
    if error.field.startswith("files."):
        return FieldError(FILE_PREFIX + error.field.removeprefix("files."), error.message)
    return error


@login_required
@require_http_methods(["GET", "POST"])
def my_case_withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    case = own_case_or_404(request, case_id)
    if case.status not in WITHDRAWABLE_STATUSES:
        messages.error(request, _("该办件已有处理结果，不能撤回。"))
        return redirect("portal:my_case", case_id=case.pk)
    form = WithdrawForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                cases.case_withdraw(
                    actor=request_user(request), case=case, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                form.add_error(None, str(exc.detail))
            else:
                messages.success(request, _("申请已撤回。"))
                return redirect("portal:my_case", case_id=case.pk)
        status = UNPROCESSABLE
    return render(
        request, "portal/cases/withdraw.html", {"case": case, "form": form}, status=status
    )


# --- payment and delivery (只跑一次) --------------------------------------------------------


@login_required
@require_POST
def my_case_pay(request: HttpRequest, case_id: int) -> HttpResponse:
    """去缴费: the case's open payment order, then off to the provider's pay page."""
    case = own_case_or_404(request, case_id)
    try:
        order = outputs.case_payment_order(actor=request_user(request), case=case)
    except DomainError as exc:
        messages.error(request, str(exc.detail))
        return redirect("portal:my_case", case_id=case.pk)
    if order.status == PaymentStatus.PAID:
        messages.info(request, _("该办件已缴费，无需重复缴费。"))
        return redirect("portal:my_case", case_id=case.pk)
    if not order.pay_url:
        messages.error(request, _("支付渠道暂不可用，请稍后再试。"))
        return redirect("portal:my_case", case_id=case.pk)
    return redirect(order.pay_url)


@login_required
@require_POST
def my_case_delivery(request: HttpRequest, case_id: int) -> HttpResponse:
    """Choose e-certificate only, window pick-up, or post with an address."""
    case = own_case_or_404(request, case_id)
    method = (request.POST.get("method") or "").strip()
    address = {name: (request.POST.get(name) or "").strip() for name, _l, _t in ADDRESS_FIELDS}
    try:
        outputs.case_delivery_choose(
            actor=request_user(request),
            case=case,
            method=method,
            address=address if method == DeliveryMethod.POST else None,
        )
    except DomainError as exc:
        case.refresh_from_db()
        context = detail_context(
            request,
            case,
            delivery_errors=errors_of(exc),
            delivery_shown={"method": method, **address},
        )
        return render(request, "portal/cases/detail.html", context, status=UNPROCESSABLE)
    messages.success(
        request,
        _("领证方式已设为：%(method)s") % {"method": DeliveryMethod(method).label},
    )
    return redirect("portal:my_case", case_id=case.pk)


# --- 多方申请: another party confirms their part ------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_case_confirm(request: HttpRequest, case_id: int) -> HttpResponse:
    """The buyer (or another named party) reads the application and confirms their part."""
    user = request_user(request)
    try:
        case, party = parties.party_case_get(user=user, case_id=case_id)
    except DomainError as exc:
        raise Http404(str(exc.detail)) from exc
    error = ""
    status = 200
    if request.method == "POST":
        try:
            confirmed = cases.case_party_confirm(actor=user, case_id=case.pk)
        except DomainError as exc:
            error = str(exc.detail)
            status = exc.status
        else:
            if confirmed.status == CaseStatus.AWAITING_PARTIES:
                messages.success(request, _("您已确认，申请仍在等待其他当事人确认。"))
            else:
                messages.success(request, _("您已确认，各方当事人均已确认，申请已转入受理。"))
            return redirect("portal:my_case_confirm", case_id=case.pk)
        case, party = parties.party_case_get(user=user, case_id=case_id)
    schema = case_form_schema(case)
    properties = schema.get("properties") or {}
    fields = [
        {"title": schema_field_title(spec, key), "value": (case.form_data or {}).get(key)}
        for key, spec in properties.items()
        if isinstance(spec, dict) and (case.form_data or {}).get(key) not in (None, "", [])
    ]
    context = {
        "case": case,
        "party": party,
        "party_role": parties.party_role_label(party.role),
        "parties": [
            {"role": parties.party_role_label(p.role), "name": p.name, "confirmed": p.confirmed_at}
            for p in case.parties.all()
        ],
        "fields": fields,
        "tone": STATUS_TONE.get(case.status, "plain"),
        "error": error,
        "can_confirm": party.confirmed_at is None and case.status == CaseStatus.AWAITING_PARTIES,
    }
    return render(request, "portal/cases/confirm.html", context, status=status)
