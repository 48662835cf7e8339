"""Staff workbench pages: thin views over the cases selectors and services.

Access is decided by the selectors (a case or task of another department is
404); the views only require a signed-in member of staff, shape the input and
turn a DomainError into the page's message with a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar, cast

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from tongban.cases import selectors as case_selectors
from tongban.cases.choices import (
    FINAL_STATUSES,
    CaseStatus,
    Decision,
    SlaState,
    TaskState,
)
from tongban.cases.models import Case, CaseMaterial, Task
from tongban.cases.rules import case_form_schema
from tongban.cases.selectors_position import position_page_context
from tongban.cases.selectors_promise import identity_mismatches
from tongban.cases.services import joint_review, outputs, sla
from tongban.catalog.forms import schema_field_title
from tongban.catalog.jsonschema_form import choice_labelled
from tongban.catalog.models import localized
from tongban.core.errors import (
    Conflict,
    DomainError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
)
from tongban.core.files import INLINE_TYPES, private_file_response
from tongban.counter.selectors import CENTER_DEPARTMENT, is_center_window_clerk
from tongban.delivery.choices import DeliveryMethod, DeliveryStatus
from tongban.evaluation import selectors as evaluation_selectors
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import StaffProfile, User
from tongban.workbench.forms import CaseSearchForm, DecisionForm, ExtensionForm, SupplementForm
from tongban.workflow.calendar import WorkCalendar, work_calendar

#: Carrier code of the sandbox carrier, whose parcels staff may move on by hand.
SANDBOX_CARRIER = "sandbox"
#: Cases per page of 办件查询.
CASES_PER_PAGE = 20
#: Content types a browser shows inline in the case page.
R = TypeVar("R", bound=HttpResponseBase)


class StaffRequest(HttpRequest):
    """A request that ``staff_required`` let through: a signed-in member of staff."""

    user: User
    staff: StaffProfile
    roles: list[str]


# --- access ----------------------------------------------------------------------------------


def staff_required(view: Callable[..., R]) -> Callable[..., HttpResponseBase]:
    """Signed-in staff only: anonymous → sign-in page, any other account → 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        profile = identity_selectors.user_staff(user=user)
        if profile is None:
            return render(request, "workbench/403.html", status=403)
        staff_request = cast(StaffRequest, request)
        staff_request.staff = profile
        staff_request.roles = identity_selectors.user_roles(user=user)
        return view(staff_request, *args, **kwargs)

    return wrapper


#: Roles that see the internal indicator dashboard: the center admin and department heads.
STATS_ROLES = frozenset({StaffRole.CENTER_ADMIN, StaffRole.APPROVER, StaffRole.SUPERVISOR})


def staff_context(request: StaffRequest, nav: str) -> dict[str, Any]:
    labels = dict(StaffRole.choices)
    return {
        "nav": nav,
        "may_see_stats": bool(STATS_ROLES.intersection(request.roles)),
        "staff": request.staff,
        "role_labels": [labels[r] for r in request.roles],
        "roles": request.roles,
        "open_count": case_selectors.task_list_for_staff(user=request.user, state="open").count(),
        # 窗口受理 / 统一出件 in the menu for the center's window clerks on duty.
        "desk_clerk": request.staff.department.code == CENTER_DEPARTMENT
        and is_center_window_clerk(user=request.user),
        # The service center's pages (the pages themselves check today's staffing).
        "center_clerk": request.staff.department.code == CENTER_DEPARTMENT
        and StaffRole.CLERK in request.roles,
        "center_admin": StaffRole.CENTER_ADMIN in request.roles,
    }


def status_of(exc: DomainError) -> int:
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    return 400


def message_of(exc: DomainError) -> str:
    if isinstance(exc, Conflict) and not isinstance(exc, InvalidStateChange):
        # Whatever the engine said, the clerk needs to know someone else was faster.
        return _("办件已被他人处理，请刷新")
    return str(exc.detail)


# --- 待办 --------------------------------------------------------------------------------------


@require_GET
@staff_required
def task_list(request: StaffRequest) -> HttpResponse:
    state = request.GET.get("state", TaskState.OPEN)
    if state not in (TaskState.OPEN, TaskState.COMPLETED):
        state = TaskState.OPEN
    tasks = case_selectors.task_list_for_staff(user=request.user, state=state).select_related(
        "case", "case__matter", "claimed_by"
    )
    calendar = work_calendar()
    today = timezone.localdate()
    rows = [_task_row(task, calendar, today) for task in tasks]
    context = {
        **staff_context(request, "tasks"),
        "rows": rows,
        "state": state,
        "states": [(TaskState.OPEN, _("待办")), (TaskState.COMPLETED, _("已办"))],
    }
    return render(request, "workbench/task_list.html", context)


def _task_row(task: Task, calendar: WorkCalendar, today: date) -> dict[str, Any]:
    case = task.case
    due = task.due_date or case.due_date
    sla_state = _sla_state(case, today, calendar) if task.state == TaskState.OPEN else ""
    return {
        "task": task,
        "case": case,
        "due": due,
        "remaining": _remaining(calendar, due, today),
        "sla_state": sla_state,
        "sla_label": dict(SlaState.choices).get(sla_state, ""),
    }


def _sla_state(case: Case, today: date, calendar: WorkCalendar | None = None) -> str:
    return sla.case_sla_state(case=case, today=today, calendar=calendar)


def _remaining(calendar: WorkCalendar, due: date | None, today: date) -> int | None:
    """Working days after today up to ``due``: 0 = due today, negative = days overdue."""
    if due is None:
        return None
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


# --- 办件查询 ----------------------------------------------------------------------------------


@require_GET
@staff_required
def case_list(request: StaffRequest) -> HttpResponse:
    form = CaseSearchForm(request.GET)
    valid = form.is_valid()
    q = form.cleaned_data.get("q", "").strip()
    status = form.cleaned_data.get("status", "") or None
    error = ""
    page = None
    http_status = 200
    if not valid:
        error = _("搜索内容不能超过 100 个字。")
        http_status = 400
    else:
        try:
            cases = case_selectors.case_list_for_staff(user=request.user, q=q, status=status)
            paginator = Paginator(cases.select_related("matter", "department"), CASES_PER_PAGE)
            page = paginator.get_page(request.GET.get("page"))
        except DomainError as exc:
            error = "；".join([str(exc.detail), *(str(e.message) for e in exc.errors)])
            http_status = status_of(exc)
    context = {
        **staff_context(request, "cases"),
        "form": form,
        "q": q[:100],
        "status": status or "",
        "status_choices": CaseStatus.choices,
        "page": page,
        "error": error,
    }
    return render(request, "workbench/case_list.html", context, status=http_status)


# --- case detail and actions -------------------------------------------------------------------


def case_or_404(request: StaffRequest, case_id: int) -> Case:
    try:
        return case_selectors.case_get_for_user(user=request.user, case_id=case_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc


def task_or_404(request: StaffRequest, task_id: int) -> Task:
    try:
        return case_selectors.task_get_for_staff(user=request.user, task_id=task_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc


def _my_open_task(request: StaffRequest, case: Case) -> Task | None:
    return (
        case_selectors.task_list_for_staff(user=request.user, state="open")
        .filter(case=case)
        .select_related("claimed_by")
        .first()
    )


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return _("、").join(_display(v) for v in value)
    if isinstance(value, dict):
        return _("；").join(f"{k}{_('：')}{_display(v)}" for k, v in value.items())
    return str(value)


def case_form_rows(case: Case) -> list[dict[str, str]]:
    """The form data with the titles of the version's schema, schema order first."""
    properties = case_form_schema(case).get("properties") or {}
    data = case.form_data or {}
    rows = []
    for key, spec in properties.items():
        title = schema_field_title(spec, key)
        value = choice_labelled(spec, data.get(key))
        rows.append({"key": key, "title": title, "value": _display(value)})
    for key, value in data.items():
        if key not in properties:
            rows.append({"key": key, "title": key, "value": _display(value)})
    return rows


def _material_rows(case: Case) -> list[dict[str, Any]]:
    rows = []
    for material in case.materials.all():
        rows.append(
            {
                "material": material,
                "inline": INLINE_TYPES.get(material.content_type, "") if material.file else "",
                "url": reverse("workbench:material", args=[case.pk, material.pk])
                if material.file
                else "",
            }
        )
    return rows


def _applicant(case: Case) -> dict[str, str]:
    if case.applicant_enterprise_id is not None and case.applicant_enterprise is not None:
        enterprise = case.applicant_enterprise
        return {
            "name": enterprise.name,
            "number_label": _("统一社会信用代码"),
            "number": enterprise.uscc,
            "type": _("法人"),
            "agent": case.applicant_user.get_full_name() or case.applicant_user.get_username(),
        }
    person = case.applicant_person
    return {
        "name": case.applicant_name,
        "number_label": _("身份证号"),
        "number": person.masked_id_number if person is not None else "—",
        "type": _("自然人"),
        "agent": "",
    }


def render_case(
    request: StaffRequest,
    case: Case,
    *,
    status: int = 200,
    error: str = "",
    decision_form: DecisionForm | None = None,
    supplement_form: SupplementForm | None = None,
    extension_form: ExtensionForm | None = None,
    field_errors: dict[str, str] | None = None,
) -> HttpResponse:
    task = _my_open_task(request, case)
    form_rows = case_form_rows(case)
    materials = _material_rows(case)
    roles = request.roles
    today = timezone.localdate()
    if task is not None:
        decision_form = decision_form or DecisionForm(kind=task.kind)
        if Decision.REQUEST_SUPPLEMENT in _decisions(task):
            supplement_form = supplement_form or supplement_form_for(case, form_rows)
        else:
            supplement_form = None
    sla_state = _sla_state(case, today) if case.status not in FINAL_STATUSES else ""
    # Only offered where the service would allow it; the service still decides.
    may_extend = (
        StaffRole.APPROVER in roles
        and case.extension_days == 0
        and case.status in (CaseStatus.ACCEPTED, CaseStatus.UNDER_REVIEW)
    )
    context = {
        **staff_context(request, ""),
        "case": case,
        "title": _case_title(case),
        "task": task,
        "decisions": _decision_buttons(task) if task is not None else [],
        "claimed_by_other": task is not None
        and task.claimed_by_id is not None
        and task.claimed_by_id != request.user.pk,
        "decision_form": decision_form,
        "supplement_form": supplement_form,
        "extension_form": (extension_form or ExtensionForm()) if may_extend else None,
        "applicant": _applicant(case),
        "form_rows": form_rows,
        # A form that names somebody else where the applicant's own ID belongs: the clerk checks.
        "identity_mismatches": identity_mismatches(case, case_form_schema(case)),
        "materials": materials,
        "timeline": case_selectors.case_timeline_for(user=request.user, case=case),
        "sla_state": sla_state,
        "sla_label": dict(SlaState.choices).get(sla_state, ""),
        "remaining": _remaining(work_calendar(), case.due_date, today)
        if case.status not in FINAL_STATUSES
        else None,
        "error": error,
        "field_errors": field_errors or {},
        # 评价器: a window clerk hands a stage's rating to the applicant on the counter device.
        "rating_stages": evaluation_selectors.case_rating_stages_for_staff(case=case)
        if StaffRole.CLERK in roles
        else [],
        **_outputs_context(request, case),
        **position_page_context(user=request.user, case=case),
        # The opinions of every department are for the lead department, which decides.
        **(
            joint_review.joint_review_context(case=case)
            if request.staff.department_id == case.department_id
            else {}
        ),
    }
    return render(request, "workbench/case_detail.html", context, status=status)


def sandbox_buttons() -> bool:
    """Whether staff may move sandbox parcels on by hand (development and the demo only)."""
    return bool(settings.DEBUG or settings.DEMO_MODE)


def _outputs_context(request: StaffRequest, case: Case) -> dict[str, Any]:
    results = outputs.case_outputs_summary(case=case)
    delivery = results["delivery"]
    return {
        "outputs": results,
        # Only offered where the service would allow it; the service still decides.
        "may_confirm_pickup": case.status == CaseStatus.ISSUED
        and case.delivery_method == DeliveryMethod.PICKUP
        and StaffRole.CLERK in request.roles
        and request.staff.department_id == case.department_id,
        "may_advance_parcel": sandbox_buttons()
        and delivery["carrier"] == SANDBOX_CARRIER
        and delivery["status"] not in (None, DeliveryStatus.DELIVERED),
    }


def _case_title(case: Case) -> str:
    subject = case.matter or case.theme
    return localized(subject, "name") if subject is not None else "—"


def _decisions(task: Task) -> list[str]:
    return case_selectors.task_decisions(task)


#: Decisions that end or turn back a case, shown as a secondary (not primary) button.
NEGATIVE = {Decision.REJECT, Decision.FAIL, Decision.DENY}


def _decision_buttons(task: Task) -> list[dict[str, Any]]:
    labels = dict(Decision.choices)
    return [
        {"value": d, "label": labels[d], "negative": d in NEGATIVE}
        for d in _decisions(task)
        if d != Decision.REQUEST_SUPPLEMENT
    ]


def supplement_form_for(
    case: Case, form_rows: list[dict[str, str]], data: Any = None
) -> SupplementForm:
    return SupplementForm(
        data,
        materials=[(m.requirement_code, m.name) for m in case.materials.all()],
        fields=[(row["key"], row["title"]) for row in form_rows],
    )


@require_GET
@staff_required
def case_detail(request: StaffRequest, case_id: int) -> HttpResponse:
    return render_case(request, case_or_404(request, case_id))


@require_GET
@staff_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]  # typed for (request) views
def material_view(request: StaffRequest, case_id: int, material_id: int) -> FileResponse:
    """The file of one material, shown inline in the case page (same origin only)."""
    case = case_or_404(request, case_id)
    material: CaseMaterial | None = case.materials.filter(pk=material_id).first()
    if material is None or not material.file:
        raise Http404(_("材料不存在"))
    return private_file_response(
        material.file,
        content_type=material.content_type,
        filename=material.original_name,
    )
