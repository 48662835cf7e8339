"""The applicant's pages: apply online, the draft, 我的办件 and a case with its steps.

Thin views: the cases services decide and validate; these pages parse the
posted form, call one service, and show its field errors next to the inputs.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from tongban.cases import selectors as cases_selectors
from tongban.cases import selectors_my
from tongban.cases import services as cases
from tongban.cases.choices import (
    WITHDRAWABLE_STATUSES,
    CaseStatus,
)
from tongban.cases.models import Case, SupplementRequest
from tongban.cases.rules import case_form_schema
from tongban.cases.selectors_position import position_page_context
from tongban.cases.selectors_promise import (
    MaterialPromise,
    case_material_sources,
    case_prefill,
    fields_mark,
    form_prefill,
    matter_promises,
    who_applies,
)
from tongban.cases.services import deferral, joint_review, outputs, parties, themes
from tongban.cases.services import routes as case_routes
from tongban.cases.services.matter import submit_problems
from tongban.catalog.choices import Audience
from tongban.catalog.jsonschema_form import (
    form_errors_split,
    form_fields,
    form_names,
    form_parse,
    form_posted,
)
from tongban.catalog.models import Matter, localized
from tongban.core.errors import DomainError, FieldError, ValidationFailed
from tongban.core.files import private_file_response
from tongban.counter.models import GuidanceRequest
from tongban.counter.selectors import guidance_visible_to_applicant
from tongban.delivery.choices import DeliveryMethod
from tongban.evaluation import selectors as evaluation_selectors
from tongban.identity import selectors as identity_selectors
from tongban.identity.models import User
from tongban.identity.selectors import user_enterprises
from tongban.payments.choices import PaymentStatus
from tongban.portal.case_pages import (
    DEFER_PREFIX,
    FILE_PREFIX,
    STATUS_TONE,
    UNPROCESSABLE,
    deferred_posted,
    errors_of,
    general_errors,
    material_errors,
    material_rows,
    matter_or_404,
    own_case_or_404,
    posted_files,
    request_user,
)
from tongban.portal.forms_cases import apply_attempt

#: Cases shown per page of 我的办件.
MY_PAGE_SIZE = 20

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
    matter = matter_or_404(matter_code)
    user = request_user(request)
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
    if request.method == "GET" and enterprises and matter.audience == Audience.ENTERPRISE:
        # An enterprise's matter: an agent applies for their enterprise unless they choose.
        attempt.applicant_value = enterprises[0].uscc
    promises = _apply_promises(matter, user, enterprises, attempt.applicant_value)
    chosen = next((e for e in enterprises if e.uscc == attempt.applicant_value), None)
    prefill = form_prefill(
        schema=schema, person=identity_selectors.user_person(user_id=user.pk), enterprise=chosen
    )
    shown = dict(attempt.shown)
    if request.method == "GET":
        # 自动填写: what the person (or the enterprise they act for) already told us.
        shown = {name: known.value for name, known in prefill.items()} | shown
    fields = form_fields(schema, data=shown, errors=field_errors)
    fields_mark(fields, prefill, shown)
    context = {
        "matter": matter,
        "enterprises": enterprises,
        "applicant_value": attempt.applicant_value,
        "fields": fields,
        "errors": [str(e.message) for e in other_errors],
        "has_errors": bool(errors),
        "idempotency_key": attempt.idempotency_key,
        "promises": promises,
        "uploads_asked": sum(1 for p in promises if p.asked),
        "guidance_id": guidance_id,
    }
    return render(
        request, "portal/cases/apply.html", context, status=UNPROCESSABLE if errors else 200
    )


def _apply_promises(
    matter: Matter, user: User, enterprises: list[Any], applicant_value: str
) -> list[MaterialPromise]:
    """Step 1's promise for who applies (the same rule as the guide and the draft)."""
    enterprise = next((e for e in enterprises if e.uscc == applicant_value), None)
    return matter_promises(matter=matter, who=who_applies(user=user, enterprise=enterprise))


# --- the draft: form, uploads, submit ------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    case = own_case_or_404(request, case_id)
    if case.status != CaseStatus.DRAFT:
        return redirect("portal:my_case", case_id=case.pk)
    user = request_user(request)
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
                errors = errors_of(exc)
                shown = form_posted(request.POST)
        if not errors:
            # Each file is its own change: a refused one does not undo the others.
            codes = {m.requirement_code for m in case.materials.all()}
            for code, upload in posted_files(request, codes).items():
                try:
                    cases.material_upload(actor=user, case=case, requirement_code=code, file=upload)
                except DomainError as exc:
                    errors += [
                        FieldError(f"{FILE_PREFIX}{code}", str(e.message)) for e in errors_of(exc)
                    ]
        if not errors and (action == "check" or request.POST.get("return") == "check"):
            # 检查并提交: the submit button is on the check page only.
            return redirect(check_url(case, request))
        if not errors:
            if action == "upload":
                messages.success(request, _("材料已上传。"))
            else:
                messages.success(request, _("草稿已保存。"))
            return redirect("portal:my_case_edit", case_id=case.pk)
    materials = list(case.materials.all())
    field_errors, other_errors = form_errors_split(errors)
    made = case_material_sources(case)
    rows = material_rows(materials, material_errors(other_errors, materials), made)
    fields = form_fields(schema, data=shown, errors=field_errors)
    fields_mark(fields, case_prefill(case, schema), shown)
    context = {
        "case": case,
        "fields": fields,
        "materials": rows,
        "uploads_asked": sum(1 for row in rows if row["asked"]),
        "errors": general_errors(other_errors, materials),
        "has_errors": bool(errors),
        "commitment_text": (
            case_routes.commitment_text(case=case)
            if case.matter is not None
            and (case.matter.commitment_eligible or "signed" in made.values())
            else ""
        ),
        "commitment_signed": request.POST.get("commitment_signed") == "on",
        "return_to": "check" if request.GET.get("return") == "check" else "",
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


def check_url(case: Case, request: HttpRequest) -> str:
    """The check page, carrying the draft page's 容缺 dates and commitment tick."""
    query = QueryDict(mutable=True)
    for item in deferred_posted(request, case):
        query[DEFER_PREFIX + item["requirement"]] = item["until"]
    if request.POST.get("commitment_signed") == "on":
        query["commitment_signed"] = "on"
    url = reverse("portal:my_case_check", args=[case.pk])
    return f"{url}?{query.urlencode()}" if query else url


@login_required
@require_http_methods(["GET", "POST"])
def my_case_check(request: HttpRequest, case_id: int) -> HttpResponse:
    """检查您的答案: every answer and material with a 修改 link, then the one submit button."""
    case = own_case_or_404(request, case_id)
    if case.status != CaseStatus.DRAFT:
        return redirect("portal:my_case", case_id=case.pk)
    user = request_user(request)
    source = request.POST if request.method == "POST" else request.GET
    deferred = [
        {"requirement": m.requirement_code, "until": until}
        for m in case.materials.all()
        if (until := (source.get(DEFER_PREFIX + m.requirement_code) or "").strip()[:10])
    ]
    # What would be refused now: shown with links, and no submit button until fixed.
    blocking = submit_problems(
        case=case, deferred_codes=frozenset(d["requirement"] for d in deferred)
    )
    errors: list[FieldError] = []
    if request.method == "POST" and not blocking:
        try:
            case = cases.case_submit(
                actor=user,
                case=case,
                idempotency_key=(request.POST.get("idempotency_key") or "")[:100] or None,
                # 告知承诺: the checkbox signs the commitment text shown above it.
                commitment={"signed": request.POST.get("commitment_signed") == "on"},
                deferred=deferred or None,
            )
        except DomainError as exc:
            errors = errors_of(exc)
        else:
            messages.success(
                request,
                _("申请已提交，办件编号 %(no)s。受理结果将以短信或邮件通知您。")
                % {"no": case.case_no},
            )
            return redirect("portal:my_case", case_id=case.pk)
    errors = errors or blocking
    context = _check_context(case, errors, deferred)
    context["commitment_signed"] = source.get("commitment_signed") == "on"
    context["submittable"] = not blocking
    # A refused submission is 422; the page itself lists what is missing with a 200.
    refused = request.method == "POST" and bool(errors)
    return render(
        request, "portal/cases/check.html", context, status=UNPROCESSABLE if refused else 200
    )


def _check_context(
    case: Case, errors: list[FieldError], deferred: list[dict[str, str]]
) -> dict[str, Any]:
    schema = case_form_schema(case)
    edit = reverse("portal:my_case_edit", args=[case.pk]) + "?return=check"
    fields = form_fields(schema, data=case.form_data)
    fields_mark(fields, case_prefill(case, schema), case.form_data)
    labels = {f.name: f for f in fields}
    answers = [
        {
            "label": f.label,
            "text": _answer_text(f),
            "source": f.source,
            "change": f"{edit}#{f.input_id}",
            "name": f.name,
        }
        for f in fields
    ]
    materials = list(case.materials.all())
    made = case_material_sources(case)
    until = {d["requirement"]: d["until"] for d in deferred}
    summary: list[dict[str, str]] = []
    for error in errors:
        name = error.field.removeprefix("form.").split(".")[0].split("[")[0]
        code = error.field.removeprefix("materials.")
        material = next((m for m in materials if m.requirement_code == code), None)
        if error.field.startswith("materials.") and material is not None:
            # "Please provide" names the material in the reader's language; another reason
            # (a refused 容缺 date) is shown as the service gave it.
            text = str(error.message)
            if text == _("请提供材料“%(name)s”") % {"name": material.name}:
                text = _("请提供材料“%(name)s”") % {"name": localized(material, "name")}
            summary.append({"text": text, "href": f"{edit}#{FILE_PREFIX}{code}"})
            continue
        elif name in labels:
            href = f"{edit}#{labels[name].input_id}"
            label = labels[name].label
            text = _("%(label)s：%(message)s") % {"label": label, "message": error.message}
            summary.append({"text": text, "href": href})
            continue
        elif error.field == "commitment":
            href = "#commitment"
        else:
            href = f"{edit}#materials" if error.field.startswith("materials") else edit
        summary.append({"text": str(error.message), "href": href})
    matter = case.matter
    return {
        "case": case,
        "answers": answers,
        "materials": [
            {
                "material": m,
                "provision": made.get(m.requirement_code, ""),
                "until": until.get(m.requirement_code, ""),
                "change": f"{edit}#{FILE_PREFIX}{m.requirement_code}",
            }
            for m in materials
        ],
        "deferred": deferred,
        "summary": summary,
        "edit_url": edit,
        "fee": getattr(matter, "fee", None),
        "promised_days": getattr(matter, "promised_limit_days", None),
        "delivery": case.get_delivery_method_display() if case.delivery_method else "",
        "idempotency_key": uuid.uuid4().hex,
        "commitment_text": (
            case_routes.commitment_text(case=case)
            if matter is not None and (matter.commitment_eligible or "signed" in made.values())
            else ""
        ),
    }


def _answer_text(field: Any) -> str:
    """What the applicant answered, as they read it (a choice's label, 是/否)."""
    if field.widget == "checkbox":
        return str(_("是") if field.checked else _("否"))
    if field.rows:
        return str(_("%(n)s 行") % {"n": len(field.rows)})
    if field.values:
        names = {c.value: c.label for c in field.choices}
        return "、".join(str(names.get(v, v)) for v in field.values)
    if field.choices:
        return str(next((c.label for c in field.choices if c.value == field.value), field.value))
    return str(field.value)


# --- 我的办件 ------------------------------------------------------------------------------


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    show, query = request.GET.get("show", ""), request.GET.get("q", "")
    try:
        cases = selectors_my.my_cases(user=user, show=show, query=query)
    except ValidationFailed as exc:
        context = {"rows": [], "show": "", "q": "", "filter_errors": exc.errors}
        context["show_choices"] = my_case_filters()
        return render(request, "portal/cases/list.html", context, status=400)
    page = Paginator(cases.select_related("matter", "department"), MY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"case": case, "tone": STATUS_TONE.get(case.status, "plain")} for case in page]
    # 多方申请: applications in which the caller is named as another party (the buyer).
    party_rows = [
        {
            "case": case,
            "role": parties.party_role_label(party.role),
            "confirmed": party.confirmed_at is not None,
            "tone": STATUS_TONE.get(case.status, "plain"),
        }
        for case, party in parties.party_cases_for_user(user=user)
    ]
    context = {"rows": rows, "page": page, "show": show, "q": query.strip()}
    context.update(party_rows=party_rows, show_choices=my_case_filters())
    return render(request, "portal/cases/list.html", context)


def my_case_filters() -> list[tuple[str, str]]:
    """The choices of 我的办件's filter: groups first, then each status."""
    groups = [("", _("全部")), ("open", pgettext("办件筛选", "办理中")), ("action", _("待我处理"))]
    groups.append(("done", _("已结束")))
    return groups + [(value, str(label)) for value, label in CaseStatus.choices]


def open_supplement(case: Case) -> SupplementRequest | None:
    if case.status != CaseStatus.SUPPLEMENT_REQUIRED:
        return None
    return cases_selectors.case_open_supplement(case=case)


def detail_context(
    request: HttpRequest,
    case: Case,
    *,
    supplement_errors: list[FieldError] | None = None,
    supplement_shown: dict[str, Any] | None = None,
    delivery_errors: list[FieldError] | None = None,
    delivery_shown: dict[str, Any] | None = None,
) -> dict[str, Any]:
    user = request_user(request)
    schema = case_form_schema(case)
    materials = list(case.materials.all())
    supplement = open_supplement(case)
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
            "materials": material_rows(
                [m for m in materials if m.requirement_code in material_codes],
                material_errors(other_errors, materials),
            ),
            "errors": general_errors(other_errors, materials),
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
        "materials": material_rows(materials, {}),
        "supplement": supplement_context,
        "withdrawable": case.status in WITHDRAWABLE_STATUSES,
        "theme_children": [
            {**child, "tone": STATUS_TONE.get(child["status"], "plain")}
            for child in themes.theme_children_view(case=case)
        ],
        "clock_paused": case.status == CaseStatus.SUPPLEMENT_REQUIRED,
        **_outputs_context(case, delivery_errors=delivery_errors, delivery_shown=delivery_shown),
        **joint_review.joint_review_context(case=case),
        "rating_stages": evaluation_selectors.case_rating_stages(user=user, case=case),
        **position_page_context(user=user, case=case),
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
    switch_to_post = outputs.delivery_post_switchable(case)
    return {
        "outputs": results,
        "pay_open": payment is not None and payment["status"] == PaymentStatus.PENDING,
        # 重新缴费: a failed order is never charged again; paying again makes a new one.
        "pay_again": payment is not None and payment["status"] == PaymentStatus.FAILED,
        "delivery_choosable": case.status in outputs.DELIVERY_CHOOSABLE or switch_to_post,
        # 统一出件: waiting at the output window, the licence may still be posted instead.
        "delivery_switch_to_post": switch_to_post,
        "delivery_method": DeliveryMethod.POST if switch_to_post else method,
        "delivery_methods": [
            (value, label)
            for value, label in DeliveryMethod.choices
            if not switch_to_post or value == DeliveryMethod.POST
        ],
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
    case = own_case_or_404(request, case_id)
    context = detail_context(request, case)
    context["deferred"] = material_rows(deferral.case_deferred_materials(case=case), {})
    return render(request, "portal/cases/detail.html", context)


@login_required
@require_http_methods(["GET"])
def my_case_material(request: HttpRequest, case_id: int, material_id: int) -> FileResponse:
    """The file of one of the caller's materials (applicant or agent); else 404."""
    case = own_case_or_404(request, case_id)
    material = case.materials.filter(pk=material_id).first()
    if material is None or not material.file:
        raise Http404(_("材料不存在"))
    return private_file_response(
        material.file, content_type=material.content_type, filename=material.original_name
    )
