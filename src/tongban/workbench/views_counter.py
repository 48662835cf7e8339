"""The service center in the workbench: a window clerk's "my window" and the center admin's day.

Thin views over the counter services and selectors.  A clerk acts at a window they
staff today (the services refuse anyone else); every action is a POST that redirects
back (PRG), and a refusal is shown with its 4xx status and nothing changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tongban.core.errors import DomainError, FieldError
from tongban.counter import selectors as counter_selectors
from tongban.counter import services as counter_services
from tongban.counter.models import Window
from tongban.counter.rules import local_now
from tongban.identity.choices import StaffRole
from tongban.workbench.views import StaffRequest, staff_context, staff_required

UNPROCESSABLE = 422
#: Actions of the "my window" page and the service each calls with the held ticket's number.
TICKET_ACTIONS = {
    "recall": counter_services.ticket_recall,
    "start": counter_services.ticket_start,
    "finish": counter_services.ticket_finish,
    "no_show": counter_services.ticket_no_show,
}
MAX_FIELD = 40


def _posted(request: StaffRequest, name: str) -> str:
    value = request.POST.get(name, "")
    return value.strip()[: MAX_FIELD * 4] if isinstance(value, str) else ""


def _window_choice(windows: list[Window], code: str) -> Window | None:
    """The window asked for among those staffed (None if it is not one), else the first."""
    if not code:
        return windows[0] if windows else None
    return next((w for w in windows if w.code == code), None)


def _forbidden(request: StaffRequest, nav: str, title: str, detail: str) -> HttpResponse:
    context = {**staff_context(request, nav), "title": title, "detail": detail}
    return render(request, "workbench/counter/forbidden.html", context, status=403)


@require_http_methods(["GET", "POST"])
@staff_required
def my_window(request: StaffRequest) -> HttpResponse:
    """我的窗口: call the next ticket, serve the current one, recall, no-show, transfer."""
    today = local_now().date()
    if not counter_selectors.is_center_window_clerk(user=request.user, day=today):
        return _forbidden(
            request,
            "window",
            _("仅供今天值班的中心窗口人员使用"),
            _("您今天没有在行政服务中心的窗口值班。排班由中心管理员在后台设置。"),
        )
    windows = counter_selectors.windows_staffed_by(user=request.user, day=today)
    code = request.POST.get("window") or request.GET.get("window") or ""
    window = _window_choice(windows, code.strip()[:MAX_FIELD] if isinstance(code, str) else "")
    if window is None:
        return _forbidden(
            request,
            "window",
            _("您今天不在该窗口值班"),
            _("只能在今天排班的窗口叫号和办理。"),
        )
    error = ""
    status = 200
    if request.method == "POST":
        try:
            notice = _act(request, window)
        except DomainError as exc:
            error, status = str(exc.detail), exc.status
        else:
            messages.success(request, notice)
            url = reverse("workbench:my_window") + "?" + urlencode({"window": window.code})
            return redirect(url)
    held = counter_selectors.held_ticket(user=request.user, window=window)
    sections = counter_selectors.center_sections()
    context: dict[str, Any] = {
        **staff_context(request, "window"),
        "windows": windows,
        "window": window,
        "held": held,
        "held_view": counter_selectors.ticket_view_of(ticket=held) if held else None,
        "waiting": next((s.waiting for s in sections if s.code == window.section.code), 0),
        "other_sections": [s for s in sections if s.code != window.section.code],
        "error": error,
    }
    return render(request, "workbench/counter/my_window.html", context, status=status)


def _act(request: StaffRequest, window: Window) -> str:
    """Run the posted action at ``window``; the notice to show, or a DomainError."""
    action = _posted(request, "action")
    if action == "call":
        ticket = counter_services.ticket_call_next(actor=request.user, window_code=window.code)
        if ticket is None:
            return _("目前没有人在等候。")
        return _("已叫号 %(number)s。") % {"number": ticket.number}
    number = _posted(request, "number")
    if action in TICKET_ACTIONS:
        ticket = TICKET_ACTIONS[action](actor=request.user, number=number)
        return _("%(number)s：%(status)s。") % {
            "number": ticket.number,
            "status": ticket.get_status_display(),
        }
    if action == "transfer":
        section = _posted(request, "section")
        if not section:
            raise DomainError(
                _("请选择要转去的板块"),
                errors=[FieldError(field="section", message=_("请选择要转去的板块"))],
            )
        ticket = counter_services.ticket_transfer(
            actor=request.user, number=number, section_code=section
        )
        new = ticket.transferred_to
        return _("%(number)s 已转到其他板块，新号码 %(new)s。") % {
            "number": ticket.number,
            "new": new.number if new is not None else "",
        }
    raise DomainError(_("未知的操作"))


def _day_param(raw: str, today: dt.date) -> tuple[dt.date, str]:
    if not raw:
        return today, ""
    try:
        return dt.date.fromisoformat(raw[:10]), ""
    except ValueError:
        return today, _("日期应为“年-月-日”，如 2026-09-15")


@require_GET
@staff_required
def center_day(request: StaffRequest) -> HttpResponse:
    """中心管理: today's queue per section, waiting and service times, no-shows, slots."""
    if StaffRole.CENTER_ADMIN not in request.roles:
        return _forbidden(
            request,
            "center",
            _("仅供中心管理员使用"),
            _("您没有中心管理员岗位。"),
        )
    today = local_now().date()
    raw = request.GET.get("day", "")
    day, error = _day_param(raw if isinstance(raw, str) else "", today)
    slots = list(counter_selectors.appointment_slots_of_day(day=day))
    context = {
        **staff_context(request, "center"),
        "today": today,
        "queues": counter_selectors.queue_today(),
        "day": day,
        "slots": slots,
        "booked_total": sum(slot.booked for slot in slots),
        "capacity_total": sum(slot.capacity for slot in slots),
        "error": error,
    }
    return render(
        request, "workbench/counter/center_day.html", context, status=400 if error else 200
    )
