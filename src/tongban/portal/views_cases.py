"""The applicant's pages: apply online, 我的办件, a case with its steps, supplement, withdraw.

Thin views: the cases services decide and validate; these pages parse the
posted form, call one service, and show its field errors next to the inputs.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tongban.cases import selectors as cases_selectors
from tongban.cases import services as cases
from tongban.cases.choices import (
    WITHDRAWABLE_STATUSES,
    CaseStatus,
    MaterialStatus,
)
from tongban.cases.models import Case, CaseMaterial, SupplementRequest
from tongban.cases.rules import case_form_schema, is_applicant
from tongban.cases.services import deferral, joint_review, outputs, themes
from tongban.cases.services import routes as case_routes
from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.models import Matter
from tongban.core.errors import DomainError, FieldError, NotFound
from tongban.counter.models import GuidanceRequest
from tongban.counter.selectors import guidance_visible_to_applicant
from tongban.delivery.choices import DeliveryMethod
from tongban.identity.models import User
from tongban.identity.selectors import user_enterprises
from tongban.payments.choices import PaymentStatus
from tongban.portal.forms_cases import WithdrawForm, apply_attempt
from tongban.portal.jsonschema_form import (
    form_errors_split,
    form_fields,
    form_names,
    form_parse,
    form_posted,
)

#: Input name of a material's file on the edit and supplement pages: ``file.<requirement>``.
FILE_PREFIX = "file."
#: Inputs of the promised date of a deferred (容缺) material: ``defer.<code>``.
DEFER_PREFIX = "defer."
#: Status code of a page shown again with field errors (as the API's 422).
UNPROCESSABLE = 422

#: The colour family of each status badge (waiting, the applicant must act, good, bad).
STATUS_TONE: dict[str, str] = {
    CaseStatus.DRAFT: "draft",
    CaseStatus.SUBMITTED: "progress",
    CaseStatus.ACCEPTED: "progress",
    CaseStatus.UNDER_REVIEW: "progress",
    CaseStatus.SUPPLEMENT_REQUIRED: "action",
    CaseStatus.APPROVED: "good",
    CaseStatus.ISSUED: "good",
    CaseStatus.COMPLETED: "good",
    CaseStatus.REJECTED: "bad",
    CaseStatus.DENIED: "bad",
    CaseStatus.WITHDRAWN: "plain",
}


# --- helpers -------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _matter_or_404(code: str) -> Matter:
    try:
        return catalog_selectors.matter_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc


def _own_case_or_404(request: HttpRequest, case_id: int) -> Case:
    """The case if the caller applied for it (or is agent of its enterprise); else 404.

    Staff may see a case through the workbench, but these are the applicant's pages.
    """
    user = _user(request)
    try:
        case = cases_selectors.case_get_for_user(user=user, case_id=case_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    if is_applicant(user, case):
        return case
    raise Http404(_("未找到该办件"))


def _errors_of(exc: DomainError) -> list[FieldError]:
    return list(exc.errors) or [FieldError("", str(exc.detail))]


def _material_code(error: FieldError, codes: set[str]) -> str | None:
    """The material an error names (``materials.<code>``, ``file.<code>``, ``files.<code>``)."""
    for prefix in ("materials.", FILE_PREFIX, "files."):
        if error.field.startswith(prefix):
            code = error.field.removeprefix(prefix).split(".", 1)[0]
            return code if code in codes else None
    return None


def _material_errors(
    errors: list[FieldError], materials: list[CaseMaterial]
) -> dict[str, list[str]]:
    """The errors of each material, by requirement code, to show under its upload input."""
    codes = {m.requirement_code for m in materials}
    out: dict[str, list[str]] = {}
    for error in errors:
        if (code := _material_code(error, codes)) is not None:
            out.setdefault(code, []).append(str(error.message))
    return out


def _posted_files(request: HttpRequest, allowed: set[str]) -> dict[str, UploadedFile]:
    files: dict[str, UploadedFile] = {}
    for key in request.FILES:
        code = key.removeprefix(FILE_PREFIX)
        if key.startswith(FILE_PREFIX) and code in allowed:
            upload = request.FILES.get(key)
            if isinstance(upload, UploadedFile):
                files[code] = upload
    return files


def _material_rows(
    materials: list[CaseMaterial], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    return [
        {
            "material": m,
            "errors": errors.get(m.requirement_code, []),
            "input_name": FILE_PREFIX + m.requirement_code,
            "needs_upload": m.status in (MaterialStatus.MISSING, MaterialStatus.REJECTED),
            "sha_short": m.sha256[:12],
        }
        for m in materials
    ]


def _deferred_posted(request: HttpRequest, case: Case) -> list[dict[str, str]]:
    """容缺: the non-key materials given a promised date instead of a file on the draft page."""
    return [
        {"requirement": m.requirement_code, "until": until}
        for m in case.materials.filter(status__in=(MaterialStatus.MISSING, MaterialStatus.REJECTED))
        if (until := (request.POST.get(DEFER_PREFIX + m.requirement_code) or "").strip())
    ]


def _general_errors(errors: list[FieldError], materials: list[CaseMaterial]) -> list[str]:
    """Errors that belong to no input on the page, shown in the box at the top."""
    codes = {m.requirement_code for m in materials}
    return [
        str(error.message)
        for error in errors
        if not error.field.startswith("form.") and _material_code(error, codes) is None
    ]


# --- apply ---------------------------------------------------------------------------------


def _guidance_for_apply(
    request: HttpRequest, user: User, matter: Matter
) -> tuple[int | None, dict[str, Any]]:
    """The ``?guidance=`` the applicant applies on, and its draft (the service checks it again)."""
    raw = request.POST.get("guidance") or request.GET.get("guidance") or ""
    if not raw.isdigit():
        return None, {}
    guidance = GuidanceRequest.objects.filter(pk=int(raw), matter=matter).first()
    if guidance is None or not guidance_visible_to_applicant(user=user, guidance=guidance):
        return None, {}
    return guidance.pk, dict(guidance.draft_form or {})


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, matter_code: str) -> HttpResponse:
    matter = _matter_or_404(matter_code)
    user = _user(request)
    enterprises = user_enterprises(user=user)
    schema = matter.form_schema
    # 批前指导: "据此申请" links the answered guidance and pre-fills its draft.
    guidance_id, guidance_draft = _guidance_for_apply(request, user, matter)
    attempt = apply_attempt(
        request,
        enterprises=enterprises,
        schema=schema,
        initial=guidance_draft,
        create=lambda applicant, form, key: cases.case_create(
            actor=user,
            matter_code=matter.code,
            applicant=applicant,
            form=form,
            channel="online",
            idempotency_key=key,
            guidance_id=guidance_id,
        ),
    )
    if attempt.case is not None:
        if request.POST.get("action") == "draft":
            messages.success(request, _("草稿已保存，可在“我的办件”中继续填写。"))
            return redirect("portal:my_cases")
        return redirect("portal:my_case_edit", case_id=attempt.case.pk)
    errors = attempt.errors
    field_errors, other_errors = form_errors_split(errors)
    context = {
        "matter": matter,
        "enterprises": enterprises,
        "applicant_value": attempt.applicant_value,
        "fields": form_fields(schema, data=attempt.shown, errors=field_errors),
        "errors": [str(e.message) for e in other_errors],
        "has_errors": bool(errors),
        "idempotency_key": attempt.idempotency_key,
        "materials": list(matter.materials.all()),
        "guidance_id": guidance_id,
    }
    return render(
        request, "portal/cases/apply.html", context, status=UNPROCESSABLE if errors else 200
    )


# --- the draft: form, uploads, submit ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _own_case_or_404(request, case_id)
    if case.status != CaseStatus.DRAFT:
        return redirect("portal:my_case", case_id=case.pk)
    user = _user(request)
    schema = case_form_schema(case)
    errors: list[FieldError] = []
    shown: dict[str, Any] = dict(case.form_data or {})
    if request.method == "POST":
        action = request.POST.get("action", "save")
        form, errors = form_parse(schema, request.POST)
        if errors:
            shown = form_posted(request.POST)
        else:
            try:
                # An input emptied on the page clears the saved value (null drops a field).
                cleared: dict[str, Any] = dict.fromkeys(form_names(schema))
                case = cases.case_update_form(actor=user, case=case, form=cleared | form)
            except DomainError as exc:
                errors = _errors_of(exc)
                shown = form_posted(request.POST)
        if not errors:
            # Each file is its own change: a refused one does not undo the others.
            codes = {m.requirement_code for m in case.materials.all()}
            for code, upload in _posted_files(request, codes).items():
                try:
                    cases.material_upload(actor=user, case=case, requirement_code=code, file=upload)
                except DomainError as exc:
                    errors += [
                        FieldError(f"{FILE_PREFIX}{code}", str(e.message)) for e in _errors_of(exc)
                    ]
        if not errors and action == "submit":
            try:
                case = cases.case_submit(
                    actor=user,
                    case=case,
                    idempotency_key=(request.POST.get("idempotency_key") or "")[:100] or None,
                    # 告知承诺: the checkbox signs the commitment text shown above it.
                    commitment={"signed": request.POST.get("commitment_signed") == "on"},
                    deferred=_deferred_posted(request, case) or None,
                )
            except DomainError as exc:
                errors = _errors_of(exc)
            else:
                messages.success(
                    request,
                    _("申请已提交，办件编号 %(no)s。受理结果将以短信或邮件通知您。")
                    % {"no": case.case_no},
                )
                return redirect("portal:my_case", case_id=case.pk)
        if not errors:
            if action == "upload":
                messages.success(request, _("材料已上传。"))
            else:
                messages.success(request, _("草稿已保存。"))
            return redirect("portal:my_case_edit", case_id=case.pk)
    materials = list(case.materials.all())
    field_errors, other_errors = form_errors_split(errors)
    context = {
        "case": case,
        "fields": form_fields(schema, data=shown, errors=field_errors),
        "materials": _material_rows(materials, _material_errors(other_errors, materials)),
        "errors": _general_errors(other_errors, materials),
        "has_errors": bool(errors),
        "idempotency_key": uuid.uuid4().hex,
        "commitment_text": (
            case_routes.commitment_text(case=case)
            if case.matter is not None and case.matter.commitment_eligible
            else ""
        ),
        "commitment_signed": request.POST.get("commitment_signed") == "on",
        # 容缺受理: non-key materials may be promised for a date up to this one.
        "deferral_latest": deferral.deferral_latest_date(today=timezone.localdate()),
        "deferral_posted": {
            key.removeprefix(DEFER_PREFIX): value
            for key, value in request.POST.items()
            if key.startswith(DEFER_PREFIX)
        },
    }
    return render(
        request, "portal/cases/edit.html", context, status=UNPROCESSABLE if errors else 200
    )


# --- 我的办件 ------------------------------------------------------------------------------


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = [
        {"case": case, "tone": STATUS_TONE.get(case.status, "plain")}
        for case in cases_selectors.case_list_for_applicant(user=user).select_related(
            "matter", "department"
        )
    ]
    return render(request, "portal/cases/list.html", {"rows": rows})


def _open_supplement(case: Case) -> SupplementRequest | None:
    if case.status != CaseStatus.SUPPLEMENT_REQUIRED:
        return None
    return cases_selectors.case_open_supplement(case=case)


def _detail_context(
    request: HttpRequest,
    case: Case,
    *,
    supplement_errors: list[FieldError] | None = None,
    supplement_shown: dict[str, Any] | None = None,
    delivery_errors: list[FieldError] | None = None,
    delivery_shown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    user = _user(request)
    schema = case_form_schema(case)
    materials = list(case.materials.all())
    supplement = _open_supplement(case)
    supplement_context: dict[str, Any] | None = None
    if supplement is not None:
        errors = supplement_errors or []
        field_errors, other_errors = form_errors_split(errors)
        items = [i for i in supplement.items or [] if isinstance(i, dict)]
        field_codes = [str(i.get("code")) for i in items if i.get("kind") == "field"]
        material_codes = {str(i.get("code")) for i in items if i.get("kind") == "material"}
        material_by_code = {m.requirement_code: m for m in materials}
        labels = {f.name: f.label for f in form_fields(schema)}
        supplement_context = {
            "request": supplement,
            "items": [
                {
                    "kind": i.get("kind"),
                    "code": i.get("code"),
                    "label": i.get("name")
                    or (
                        labels.get(str(i.get("code")))
                        if i.get("kind") == "field"
                        else getattr(material_by_code.get(str(i.get("code"))), "name", None)
                    ),
                    "reason": i.get("reason", ""),
                }
                for i in items
            ],
            "fields": form_fields(
                schema,
                data=supplement_shown if supplement_shown is not None else case.form_data,
                errors=field_errors,
                only=field_codes,
            ),
            "materials": _material_rows(
                [m for m in materials if m.requirement_code in material_codes],
                _material_errors(other_errors, materials),
            ),
            "errors": _general_errors(other_errors, materials),
        }
    steps = cases_selectors.case_steps(case=case)
    return {
        "case": case,
        "tone": STATUS_TONE.get(case.status, "plain"),
        "steps": steps,
        "timeline": cases_selectors.case_timeline_for(user=user, case=case),
        "fields": [
            f for f in form_fields(schema, data=case.form_data) if f.value not in ("", None)
        ],
        "form_extra": _form_display(schema, case.form_data),
        "materials": _material_rows(materials, {}),
        "supplement": supplement_context,
        "withdrawable": case.status in WITHDRAWABLE_STATUSES,
        "theme_children": [
            {**child, "tone": STATUS_TONE.get(child["status"], "plain")}
            for child in themes.theme_children_view(case=case)
        ],
        "clock_paused": case.status == CaseStatus.SUPPLEMENT_REQUIRED,
        **_outputs_context(case, delivery_errors=delivery_errors, delivery_shown=delivery_shown),
        **joint_review.joint_review_context(case=case),
    }


#: Inputs of the delivery address, in the order the page shows them.
ADDRESS_FIELDS: list[tuple[str, str, str]] = [
    ("recipient", "收件人", "text"),
    ("phone", "手机号码", "text"),
    ("province", "省（自治区、直辖市）", "text"),
    ("city", "市", "text"),
    ("district", "区（县）", "text"),
    ("address", "详细地址", "text"),
]


def _outputs_context(
    case: Case,
    *,
    delivery_errors: list[FieldError] | None = None,
    delivery_shown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Payment, certificates and delivery of the case page (只跑一次)."""
    results = outputs.case_outputs_summary(case=case)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    for error in delivery_errors or []:
        # The service names address inputs "address.<name>" (or just "<name>").
        name = error.field.removeprefix("address.")
        if name in {f[0] for f in ADDRESS_FIELDS} or name == "method":
            errors.setdefault(name, []).append(str(error.message))
        else:
            general.append(str(error.message))
    shown = delivery_shown or {}
    saved = dict(case.delivery_address or {})
    method = shown.get("method") or case.delivery_method
    payment = results["payment"]
    return {
        "outputs": results,
        "pay_open": payment is not None and payment["status"] == PaymentStatus.PENDING,
        "delivery_choosable": case.status in outputs.DELIVERY_CHOOSABLE,
        "delivery_method": method,
        "delivery_methods": DeliveryMethod.choices,
        "delivery_fields": [
            {
                "name": name,
                "label": _(label),
                "type": kind,
                "value": shown.get(name, saved.get(name, "")),
                "errors": errors.get(name, []),
            }
            for name, label, kind in ADDRESS_FIELDS
        ],
        "delivery_method_errors": errors.get("method", []),
        "delivery_general_errors": general,
        "delivery_has_errors": bool(delivery_errors),
    }


def _form_display(schema: dict[str, Any], data: Any) -> list[tuple[str, str]]:
    """(label, text) of every answered field, the enum's label instead of its code."""
    out: list[tuple[str, str]] = []
    for field in form_fields(schema, data=data if isinstance(data, dict) else {}):
        if field.value == "" and field.widget != "checkbox":
            continue
        if field.widget == "checkbox":
            text = _("是") if field.checked else _("否")
        elif field.choices:
            text = next((c.label for c in field.choices if c.value == field.value), field.value)
        else:
            text = field.value
        out.append((field.label, text))
    return out


@login_required
def my_case(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _own_case_or_404(request, case_id)
    context = _detail_context(request, case)
    context["deferred"] = _material_rows(deferral.case_deferred_materials(case=case), {})
    return render(request, "portal/cases/detail.html", context)


@login_required
@require_POST
def my_case_deferred(request: HttpRequest, case_id: int) -> HttpResponse:
    """容缺: upload the deferred materials after submission (each file is its own change)."""
    case = _own_case_or_404(request, case_id)
    pending = deferral.case_deferred_materials(case=case)
    files = _posted_files(request, {m.requirement_code for m in pending})
    errors: dict[str, list[str]] = {}
    if not files:
        errors = {m.requirement_code: [_("请选择要补交的文件")] for m in pending}
    for code, upload in files.items():
        try:
            cases.material_upload(
                actor=_user(request), case=case, requirement_code=code, file=upload
            )
        except DomainError as exc:
            errors[code] = [str(e.message) for e in _errors_of(exc)]
    if not errors:
        messages.success(request, _("容缺材料已补交。"))
        return redirect("portal:my_case", case_id=case.pk)
    case.refresh_from_db()
    context = _detail_context(request, case)
    context["deferred"] = _material_rows(deferral.case_deferred_materials(case=case), errors)
    return render(request, "portal/cases/detail.html", context, status=UNPROCESSABLE)


@login_required
@require_POST
def my_case_supplement(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _own_case_or_404(request, case_id)
    supplement = _open_supplement(case)
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
                actor=_user(request),
                case=case,
                form=form or None,
                files=_posted_files(request, material_codes) or None,
            )
        except DomainError as exc:
            errors = _errors_of(exc)
        else:
            messages.success(request, _("补正材料已提交，办理时限恢复计时。"))
            return redirect("portal:my_case", case_id=case.pk)
    case.refresh_from_db()
    context = _detail_context(
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
    case = _own_case_or_404(request, case_id)
    if case.status not in WITHDRAWABLE_STATUSES:
        messages.error(request, _("该办件已有处理结果，不能撤回。"))
        return redirect("portal:my_case", case_id=case.pk)
    form = WithdrawForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                cases.case_withdraw(
                    actor=_user(request), case=case, reason=form.cleaned_data["reason"]
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
    case = _own_case_or_404(request, case_id)
    try:
        order = outputs.case_payment_order(actor=_user(request), case=case)
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
    case = _own_case_or_404(request, case_id)
    method = (request.POST.get("method") or "").strip()
    address = {name: (request.POST.get(name) or "").strip() for name, _l, _t in ADDRESS_FIELDS}
    try:
        outputs.case_delivery_choose(
            actor=_user(request),
            case=case,
            method=method,
            address=address if method == DeliveryMethod.POST else None,
        )
    except DomainError as exc:
        case.refresh_from_db()
        context = _detail_context(
            request,
            case,
            delivery_errors=_errors_of(exc),
            delivery_shown={"method": method, **address},
        )
        return render(request, "portal/cases/detail.html", context, status=UNPROCESSABLE)
    messages.success(
        request,
        _("领证方式已设为：%(method)s") % {"method": DeliveryMethod(method).label},
    )
    return redirect("portal:my_case", case_id=case.pk)
