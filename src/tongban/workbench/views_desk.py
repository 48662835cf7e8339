"""The center's counter pages: 前台综合受理 for a walk-in, and 统一出件 at the output window.

Only a center window clerk on duty today uses them (others get the 403 page).  The walk-in
is identified, a matter or theme chosen, the draft created with ``channel="window"``; the
clerk fills in the same JSON-Schema form as the portal, scans the paper materials, records
how the result is to be collected, submits and prints the receipt.  The output window finds
results by case number, ticket or ID number and hands them over against a signature.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tongban.cases import selectors as case_selectors
from tongban.cases import services as cases
from tongban.cases.choices import ApplicantType, CaseStatus, MaterialStatus
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.rules import case_form_schema, is_theme_parent
from tongban.cases.services.output_window import output_hand_over
from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.jsonschema_form import (
    form_errors_split,
    form_fields,
    form_names,
    form_parse,
    form_posted,
)
from tongban.catalog.models import localized
from tongban.core.errors import DomainError, FieldError, NotFound
from tongban.counter.selectors import is_center_window_clerk
from tongban.delivery.choices import DeliveryMethod
from tongban.workbench.views import StaffRequest, staff_context, staff_required, status_of

UNPROCESSABLE = 422
#: Input name of a material's scan: ``file.<requirement>`` (as the portal's draft page).
FILE_PREFIX = "file."
#: Inputs of the walk-in's identity on the acceptance page, and the JSON keys they fill.
PERSON_INPUTS = ("id_number", "name", "mobile")
#: Address inputs when the walk-in wants the result posted (递送).
ADDRESS_INPUTS = ("recipient", "phone", "province", "city", "district", "address")
#: Longest search text on the acceptance page.
SEARCH_MAX = 50


def window_clerk_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Center window clerks on duty today only; other staff see the 403 page."""

    @staff_required
    @wraps(view)
    def wrapper(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_center_window_clerk(user=request.user):
            context = {
                **staff_context(request, "desk"),
                "message": _("只有今日在岗的中心窗口工作人员可以使用窗口受理和统一出件。"),
            }
            return render(request, "workbench/403.html", context, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _clean(value: str | None, limit: int = 200) -> str:
    """A posted text without control characters (PostgreSQL refuses NUL), cut to ``limit``."""
    return "".join(c for c in (value or "") if ord(c) >= 32)[:limit].strip()


# --- 前台综合受理: identify, choose, create ---------------------------------------------------


def _posted_applicant(post: Any) -> dict[str, Any]:
    kind = post.get("applicant_type", ApplicantType.PERSON)
    if kind == ApplicantType.ENTERPRISE:
        return {
            "type": ApplicantType.ENTERPRISE,
            "uscc": _clean(post.get("uscc"), 18),
            "name": _clean(post.get("enterprise_name")),
            "agent": {key: _clean(post.get(f"agent_{key}"), 50) for key in PERSON_INPUTS},
        }
    return {"type": ApplicantType.PERSON, **{k: _clean(post.get(k), 50) for k in PERSON_INPUTS}}


def _target(value: str) -> tuple[str | None, str | None]:
    """``matter:<code>`` or ``theme:<code>`` → (matter, theme)."""
    kind, _sep, code = value.partition(":")
    code = _clean(code, 60)
    if kind == "matter" and code:
        return code, None
    if kind == "theme" and code:
        return None, code
    return None, None


def _choices(q: str) -> dict[str, Any]:
    """Matters and themes matching the clerk's search (the catalogue's own search)."""
    if not q:
        return {"matters": [], "themes": []}
    try:
        found = catalog_selectors.matter_search(query=q, page_size=10)
    except DomainError:
        return {"matters": [], "themes": []}
    themes = [
        t
        for t in catalog_selectors.theme_list()
        if q in t.name or q.lower() in (t.name_en or "").lower() or q in (t.keywords or "")
    ]
    return {"matters": found.items, "themes": themes[:5]}


@require_http_methods(["GET", "POST"])
@window_clerk_required
def desk_accept(request: StaffRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    ticket = _clean(source.get("ticket"), 8).upper()
    q = _clean(source.get("q"), SEARCH_MAX)
    applicant = _posted_applicant(request.POST) if request.method == "POST" else {}
    target = _clean(request.POST.get("target"), 80)
    errors: list[FieldError] = []
    if request.method == "POST":
        matter_code, theme_code = _target(target)
        if matter_code is None and theme_code is None:
            errors.append(FieldError("target", _("请先搜索并选择要办理的事项或主题服务")))
        else:
            try:
                case = cases.case_create(
                    actor=request.user,
                    matter_code=matter_code,
                    theme_code=theme_code,
                    applicant=applicant,
                    channel="window",
                    ticket_number=ticket or None,
                    idempotency_key=_clean(request.POST.get("idempotency_key"), 100) or None,
                )
            except DomainError as exc:
                errors = list(exc.errors) or [FieldError("", str(exc.detail))]
            else:
                messages.success(
                    request,
                    _("已为 %(name)s 创建申请 %(no)s，请填写申请表并扫描材料。")
                    % {"name": case.applicant_name, "no": case.case_no},
                )
                return redirect("workbench:desk_case", case_id=case.pk)
    by_field: dict[str, list[str]] = {}
    for error in errors:
        key = error.field.removeprefix("applicant.").replace(".", "_") or "general"
        by_field.setdefault(key, []).append(str(error.message))
    person_errors_keys = {"id_number", "name", "mobile", "uscc", "type", "agent"}
    general = [
        m
        for key, values in by_field.items()
        if key not in person_errors_keys and not key.startswith("agent_")
        for m in values
    ]
    context = {
        **staff_context(request, "desk"),
        "ticket": ticket,
        "q": q,
        "applicant": applicant,
        "agent": applicant.get("agent") or {},
        "applicant_type": applicant.get("type", ApplicantType.PERSON),
        "target": target,
        "errors": by_field,
        "general_errors": general,
        "has_errors": bool(errors),
        "idempotency_key": uuid.uuid4().hex,
        **_choices(q),
    }
    return render(
        request,
        "workbench/desk_accept.html",
        context,
        status=UNPROCESSABLE if errors else 200,
    )


# --- the window draft: form, scans, collection, submit ----------------------------------------


def _window_case(request: StaffRequest, case_id: int) -> Case:
    try:
        case = case_selectors.case_get_for_user(user=request.user, case_id=case_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    if case.channel != "window" or case.parent_id is not None:
        raise Http404(_("不是窗口受理的办件"))
    return case


def _posted_files(request: HttpRequest, codes: set[str]) -> dict[str, UploadedFile]:
    files: dict[str, UploadedFile] = {}
    for key in request.FILES:
        code = key.removeprefix(FILE_PREFIX)
        upload = request.FILES.get(key)
        if key.startswith(FILE_PREFIX) and code in codes and isinstance(upload, UploadedFile):
            files[code] = upload
    return files


def _material_rows(materials: list[CaseMaterial], errors: list[FieldError]) -> list[dict[str, Any]]:
    by_code: dict[str, list[str]] = {}
    for error in errors:
        for prefix in ("materials.", FILE_PREFIX):
            if error.field.startswith(prefix):
                code = error.field.removeprefix(prefix).split(".", 1)[0]
                by_code.setdefault(code, []).append(str(error.message))
    return [
        {
            "material": m,
            "errors": by_code.get(m.requirement_code, []),
            "input_name": FILE_PREFIX + m.requirement_code,
            "needs_upload": m.status in (MaterialStatus.MISSING, MaterialStatus.REJECTED),
            "sha_short": m.sha256[:12],
        }
        for m in materials
    ]


def _draft_step(request: StaffRequest, case: Case) -> tuple[Case, list[FieldError], bool]:
    """Save the form, store the scans, record the collection choice; submit when asked."""
    schema = case_form_schema(case)
    form, errors = form_parse(schema, request.POST)
    if not errors:
        try:
            cleared: dict[str, Any] = dict.fromkeys(form_names(schema))
            case = cases.case_update_form(actor=request.user, case=case, form=cleared | form)
        except DomainError as exc:
            errors = list(exc.errors) or [FieldError("", str(exc.detail))]
    codes = {m.requirement_code for m in case.materials.all()}
    for code, upload in _posted_files(request, codes).items():
        try:
            cases.material_upload(actor=request.user, case=case, requirement_code=code, file=upload)
        except DomainError as exc:
            errors += [FieldError(f"{FILE_PREFIX}{code}", str(e.message)) for e in exc.errors] or [
                FieldError(f"{FILE_PREFIX}{code}", str(exc.detail))
            ]
    method = request.POST.get("delivery_method", "")
    if not errors and method and method != case.delivery_method:
        address = {k: _clean(request.POST.get(k), 200) for k in ADDRESS_INPUTS}
        try:
            case = cases.case_delivery_choose(
                actor=request.user,
                case=case,
                method=method,
                address=address if method == DeliveryMethod.POST else None,
            )
        except DomainError as exc:
            errors += [FieldError(f"delivery.{e.field}", str(e.message)) for e in exc.errors] or [
                FieldError("delivery", str(exc.detail))
            ]
    if errors or request.POST.get("action") != "submit":
        return case, errors, False
    try:
        case = cases.case_submit(
            actor=request.user,
            case=case,
            idempotency_key=_clean(request.POST.get("idempotency_key"), 100) or None,
            commitment={"signed": request.POST.get("commitment_signed") == "on"},
        )
    except DomainError as exc:
        return case, list(exc.errors) or [FieldError("", str(exc.detail))], False
    return case, [], True


@require_http_methods(["GET", "POST"])
@window_clerk_required
def desk_case(request: StaffRequest, case_id: int) -> HttpResponse:
    case = _window_case(request, case_id)
    if case.status != CaseStatus.DRAFT:
        return redirect("workbench:desk_receipt", case_id=case.pk)
    errors: list[FieldError] = []
    shown: dict[str, Any] = dict(case.form_data or {})
    if request.method == "POST":
        case, errors, submitted = _draft_step(request, case)
        if submitted:
            messages.success(request, _("申请已提交，办件编号 %(no)s。") % {"no": case.case_no})
            return redirect("workbench:desk_receipt", case_id=case.pk)
        if not errors:
            messages.success(request, _("已保存。"))
            return redirect("workbench:desk_case", case_id=case.pk)
        shown = form_posted(request.POST)
    schema = case_form_schema(case)
    field_errors, other_errors = form_errors_split(errors)
    materials = list(case.materials.all())
    codes = {m.requirement_code for m in materials}
    delivery_errors = [str(e.message) for e in other_errors if e.field.startswith("delivery")]
    general = [
        str(e.message)
        for e in other_errors
        if not e.field.startswith(("delivery", FILE_PREFIX))
        and not (e.field.startswith("materials.") and e.field.split(".")[1] in codes)
    ]
    context = {
        **staff_context(request, "desk"),
        "case": case,
        "title": localized(case.theme, "name")
        if is_theme_parent(case)
        else localized(case.matter, "name"),
        "fields": form_fields(schema, data=shown, errors=field_errors),
        "materials": _material_rows(materials, other_errors),
        "errors": general,
        "has_errors": bool(errors),
        "delivery_errors": delivery_errors,
        "delivery_method": request.POST.get("delivery_method") or case.delivery_method,
        "delivery_methods": DeliveryMethod.choices,
        "address": {k: request.POST.get(k, "") for k in ADDRESS_INPUTS},
        "idempotency_key": uuid.uuid4().hex,
        "commitment_eligible": case.matter is not None and case.matter.commitment_eligible,
    }
    return render(
        request, "workbench/desk_case.html", context, status=UNPROCESSABLE if errors else 200
    )


@require_GET
@window_clerk_required
def desk_receipt(request: StaffRequest, case_id: int) -> HttpResponse:
    case = _window_case(request, case_id)
    if case.status == CaseStatus.DRAFT:
        return redirect("workbench:desk_case", case_id=case.pk)
    context = {
        **staff_context(request, "desk"),
        "case": case,
        "title": localized(case.theme, "name")
        if is_theme_parent(case)
        else localized(case.matter, "name"),
        "received": [m for m in case.materials.all() if m.uploaded_at or m.shared_at],
        "due_date": case_selectors.case_due_date(case=case),
        "children": list(case.children.select_related("matter").order_by("stage", "id")),
    }
    return render(request, "workbench/desk_receipt.html", context)


# --- 统一出件 -----------------------------------------------------------------------------------


def _outputs_page(
    request: StaffRequest,
    *,
    q: str,
    failed_id: int | None = None,
    errors: list[FieldError] | None = None,
    detail: str = "",
    status: int = 200,
) -> HttpResponse:
    rows: list[Any] = []
    search_error = ""
    try:
        rows = case_selectors.outputs_for_window(user=request.user, state="ready", q=q)
    except DomainError as exc:
        search_error = "；".join(str(e.message) for e in exc.errors) or str(exc.detail)
        status = status_of(exc) if status == 200 else status
        if status == 400:
            status = UNPROCESSABLE
    context = {
        **staff_context(request, "outputs"),
        "q": q,
        "rows": rows,
        "search_error": search_error,
        "failed_id": failed_id,
        "failed_detail": detail,
        "failed_errors": {e.field: str(e.message) for e in errors or []},
        "posted": request.POST,
    }
    return render(request, "workbench/desk_outputs.html", context, status=status)


@require_GET
@window_clerk_required
def desk_outputs(request: StaffRequest) -> HttpResponse:
    return _outputs_page(request, q=_clean(request.GET.get("q"), 60))


@require_POST
@window_clerk_required
def desk_hand_over(request: StaffRequest, case_id: int) -> HttpResponse:
    q = _clean(request.POST.get("q"), 60)
    try:
        case = case_selectors.output_get_for_window(user=request.user, case_id=case_id)
        output_hand_over(
            actor=request.user,
            case=case,
            id_number=_clean(request.POST.get("id_number"), 18),
            signed=request.POST.get("signed") == "on",
            agent_authorisation=_clean(request.POST.get("agent_authorisation"), 200),
        )
    except DomainError as exc:
        status = status_of(exc)
        return _outputs_page(
            request,
            q=q,
            failed_id=case_id,
            errors=list(exc.errors),
            detail=str(exc.detail),
            status=UNPROCESSABLE if status == 400 else status,
        )
    messages.success(request, _("办件 %(no)s 的结果已交付，办结。") % {"no": case.case_no})
    url = reverse("workbench:desk_outputs")
    return redirect(f"{url}?{urlencode({'q': q})}" if q else url)
