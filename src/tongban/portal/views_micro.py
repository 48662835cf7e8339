"""微门户: the center's mobile pages a WeChat public account links to (under /m/).

Service information (guides, sections, windows, hours, today's queues), 微查询 (a
case's status by number and the applicant's ID, no sign-in), 微预约 (book, see and
cancel one's appointments) and a ticket from the phone.  Thin views over the
catalogue, counter and cases selectors and services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tongban.cases import selectors as case_selectors
from tongban.catalog import selectors as catalog_selectors
from tongban.core.errors import DomainError, NotFound, TooManyAttempts
from tongban.counter import selectors as counter_selectors
from tongban.counter import services as counter_services
from tongban.counter.choices import AppointmentStatus, TicketSource
from tongban.counter.rules import bookable_days_ahead, local_now
from tongban.counter.selectors.windows import windows_for_matter
from tongban.identity.models import User
from tongban.identity.throttle import client_ip, micro_query_throttle
from tongban.portal.views_center import (
    MAX_FIELD,
    UNPROCESSABLE,
    errors_by_field,
    field,
    issue_ticket_from,
    section_matters,
    signed_in_user,
)

#: Guides listed by the micro-portal's search.
GUIDES_PER_PAGE = 20
TOO_MANY = 429


def _signed_in_or_login(request: HttpRequest) -> User | HttpResponse:
    user = signed_in_user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    return user


# --- 办事服务 ------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Service information: today's queue per section, hours, and a search of the guides."""
    query = request.GET.get("q", "").strip()[:100]
    guides: list[Any] = []
    error = ""
    if query:
        try:
            guides = catalog_selectors.matter_search(query=query, page_size=GUIDES_PER_PAGE).items
        except DomainError as exc:
            error = str(exc.detail)
    context = {
        "tab": "info",
        "sections": counter_selectors.center_sections(),
        "query": query,
        "guides": guides,
        "error": error,
    }
    response = render(request, "portal/m/home.html", context, status=400 if error else 200)
    patch_cache_control(response, no_store=True)
    return response


@require_GET
def matter(request: HttpRequest, code: str) -> HttpResponse:
    """A guide's summary for the phone: where (section, windows, hours), how long, the queue."""
    try:
        item = catalog_selectors.matter_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    section = next(
        (s for s in counter_selectors.center_sections() if s.code == item.section.code), None
    )
    context = {
        "tab": "info",
        "matter": item,
        "section": section,
        "windows": windows_for_matter(matter=item),
        "negative": getattr(item, "negative_list_entry", None),
        "materials": list(item.materials.all()),
    }
    return render(request, "portal/m/matter.html", context)


# --- 微查询 --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def query(request: HttpRequest) -> HttpResponse:
    """微查询: a case's status by its number and the applicant's ID number or credit code.

    Posted, not in the address, so the ID stays out of logs and browser history.  An
    unknown case and a wrong ID read the same; failures are throttled per client IP.
    """
    values = {"case_no": "", "id": ""}
    field_errors: dict[str, str] = {}
    error = ""
    result = None
    status = 200
    if request.method == "POST":
        values = {"case_no": field(request, "case_no"), "id": field(request, "id")}
        if not values["case_no"]:
            field_errors["case_no"] = _("请填写办件编号")
        if not values["id"]:
            field_errors["id"] = _("请填写申请人身份证号码或统一社会信用代码")
        if field_errors:
            error, status = _("请填写办件编号和证件号码"), UNPROCESSABLE
        else:
            throttle = micro_query_throttle()
            client = client_ip(request)
            try:
                throttle.check(client=client)
                try:
                    result = case_selectors.case_micro_query(
                        case_no=values["case_no"], applicant_id=values["id"]
                    )
                except NotFound:
                    throttle.fail(client=client)
                    raise
            except TooManyAttempts as exc:
                error, status = str(exc.detail), TOO_MANY
            except NotFound as exc:
                error, status = str(exc.detail), 404
    context = {
        "tab": "query",
        # The ID is never echoed back into the page.
        "values": {"case_no": values["case_no"][:MAX_FIELD]},
        "field_errors": field_errors,
        "error": error,
        "result": result,
    }
    response = render(request, "portal/m/query.html", context, status=status)
    patch_cache_control(response, no_store=True)
    return response


# --- 微预约 --------------------------------------------------------------------------------------


@require_GET
def appointments(request: HttpRequest) -> HttpResponse:
    """The signed-in person's appointments, the latest first, with a cancel button."""
    user = _signed_in_or_login(request)
    if isinstance(user, HttpResponse):
        return user
    rows = list(counter_selectors.appointments_of(user=user)[:50])
    context = {
        "tab": "appointments",
        "appointments": rows,
        "booked": AppointmentStatus.BOOKED,
    }
    return render(request, "portal/m/appointments.html", context)


def _day_parse(raw: str, today: dt.date) -> tuple[dt.date, str]:
    if not raw:
        return today, ""
    try:
        return dt.date.fromisoformat(raw[:10]), ""
    except ValueError:
        return today, _("请按“年-月-日”选择日期")


def _slot_parse(raw: str) -> tuple[dt.datetime | None, str]:
    if not raw:
        return None, _("请选择一个时段")
    try:
        moment = dt.datetime.fromisoformat(raw[:40])
    except ValueError:
        return None, _("所选时段无效，请重新选择")
    return moment, ""


@require_http_methods(["GET", "POST"])
def appointment_new(request: HttpRequest) -> HttpResponse:
    """Book: a section (and matter), a day, then a slot with places left."""
    user = _signed_in_or_login(request)
    if isinstance(user, HttpResponse):
        return user
    method = "POST" if request.method == "POST" else "GET"
    values = {name: field(request, name, method=method) for name in ("section", "matter", "day")}
    today = local_now().date()
    day, day_error = _day_parse(values["day"], today)
    field_errors: dict[str, str] = {}
    if day_error:
        field_errors["day"] = day_error
    for name, value in values.items():
        if len(value) > MAX_FIELD or "\x00" in value:
            field_errors[name] = _("内容无效")
    error = ""
    status = 200
    if request.method == "POST" and not field_errors:
        start, slot_error = _slot_parse(field(request, "start"))
        if start is None:
            field_errors["start"] = slot_error
        else:
            try:
                booked = counter_services.appointment_book(
                    actor=user,
                    section_code=values["section"],
                    matter_code=values["matter"] or None,
                    start=start,
                )
            except DomainError as exc:
                field_errors.update(errors_by_field(exc))
                status = exc.status
            else:
                messages.success(
                    request,
                    _("预约成功，预约码 %(code)s。到中心后在取号机输入预约码签到。")
                    % {"code": booked.code},
                )
                return redirect("portal:m_appointments")
    slots: list[Any] = []
    if values["section"] and not field_errors.get("section") and not field_errors.get("day"):
        try:
            slots = counter_selectors.slots_for(
                section_code=values["section"], matter_code=values["matter"] or None, day=day
            )
        except DomainError as exc:
            field_errors.update(errors_by_field(exc))
    if field_errors:
        error = field_errors.pop("", "") or _("预约信息有误")
        status = status if status != 200 else UNPROCESSABLE
    context = {
        "tab": "appointments",
        "sections": counter_selectors.center_sections(),
        "matters": section_matters(values["section"]),
        "values": values,
        "day": day,
        "min_day": today,
        "max_day": today + dt.timedelta(days=bookable_days_ahead()),
        "slots": slots,
        "error": error,
        "field_errors": field_errors,
    }
    return render(request, "portal/m/appointment_new.html", context, status=status)


@require_POST
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Cancel one of one's own appointments (anyone else's does not exist: 404)."""
    user = _signed_in_or_login(request)
    if isinstance(user, HttpResponse):
        return user
    try:
        counter_services.appointment_cancel(actor=user, appointment_id=appointment_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.detail))
        return redirect("portal:m_appointments")
    messages.success(request, _("预约已取消。"))
    return redirect("portal:m_appointments")


# --- 手机取号 ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def ticket(request: HttpRequest) -> HttpResponse:
    """A ticket from the phone (signed in, so one person cannot flood a queue)."""
    user = _signed_in_or_login(request)
    if isinstance(user, HttpResponse):
        return user
    values = {"section": field(request, "section", method="GET"), "matter": "", "appointment": ""}
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        issued, values, field_errors = issue_ticket_from(
            request, source=TicketSource.PHONE, user=user
        )
        if issued is not None:
            return redirect("portal:ticket", number=issued.number)
    error = field_errors.pop("", "")
    context = {
        "tab": "ticket",
        "sections": counter_selectors.center_sections(),
        "matters": section_matters(values["section"]),
        "values": values,
        "error": error,
        "field_errors": field_errors,
    }
    return render(request, "portal/m/ticket.html", context, status=UNPROCESSABLE if error else 200)
