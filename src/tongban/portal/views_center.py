"""The service center's hall pages: the ticket kiosk, a ticket's status, the call screen.

Thin views over the counter services and selectors; no sign-in anywhere here (the
kiosk and the screen stand in the hall).  A DomainError becomes the page's message
with a 4xx status and nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_GET, require_http_methods

from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.models import Matter
from tongban.core.errors import DomainError, NotFound
from tongban.counter import selectors as counter_selectors
from tongban.counter import services as counter_services
from tongban.counter.choices import TicketSource
from tongban.identity.models import User

UNPROCESSABLE = 422
#: Longest text read from a form field of these pages (a section code, a ticket number …).
MAX_FIELD = 40
#: Tickets the call screen lists.
SCREEN_TICKETS = 8
#: Seconds between two refreshes of the call screen and a ticket page.
SCREEN_POLL_SECONDS = 3
TICKET_POLL_SECONDS = 15


def field(request: HttpRequest, name: str, *, method: str = "POST") -> str:
    """A short form value, stripped; an overlong or NUL-carrying value reads as given but cut."""
    source = request.POST if method == "POST" else request.GET
    value = source.get(name, "")
    return value.strip()[: MAX_FIELD * 4] if isinstance(value, str) else ""


def signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def errors_by_field(exc: DomainError) -> dict[str, str]:
    """The service's field errors by field (the first one of each), and the summary under ''."""
    out: dict[str, str] = {}
    for error in exc.errors:
        out.setdefault(error.field.split(".", 1)[0], str(error.message))
    out[""] = str(exc.detail)
    return out


def section_matters(section_code: str) -> list[Matter]:
    """The matters of a section, for the optional choice of a matter when taking a ticket."""
    if not section_code or len(section_code) > MAX_FIELD or "\x00" in section_code:
        return []
    try:
        return list(catalog_selectors.matter_search(section=section_code, page_size=100).items)
    except DomainError:
        return []


def issue_ticket_from(
    request: HttpRequest, *, source: str, user: User | None
) -> tuple[Any, dict[str, str], dict[str, str]]:
    """Take a ticket with the posted section, matter and appointment code.

    Returns the ticket (or None), the values posted, and the errors by field.
    """
    values = {
        "section": field(request, "section"),
        "matter": field(request, "matter"),
        "appointment": field(request, "appointment"),
    }
    errors: dict[str, str] = {}
    if not values["section"]:
        errors["section"] = _("请选择板块")
    for name, value in values.items():
        if len(value) > MAX_FIELD or "\x00" in value:
            errors[name] = _("内容无效")
    if errors:
        errors[""] = _("取号信息有误")
        return None, values, errors
    try:
        ticket = counter_services.ticket_issue(
            section_code=values["section"],
            matter_code=values["matter"] or None,
            appointment_code=values["appointment"] or None,
            user=user,
            source=source,
        )
    except DomainError as exc:
        return None, values, errors_by_field(exc)
    return ticket, values, {}


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest) -> HttpResponse:
    """取号机: choose a section (and matter), or check in with an appointment code."""
    values = {"section": field(request, "section", method="GET"), "matter": "", "appointment": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        ticket, values, errors = issue_ticket_from(request, source=TicketSource.KIOSK, user=None)
        if ticket is not None:
            return redirect("portal:ticket", number=ticket.number)
    error = errors.pop("", "")
    context = {
        "sections": counter_selectors.center_sections(),
        "values": values,
        "error": error,
        "field_errors": errors,
        "matters": section_matters(values["section"]),
    }
    return render(
        request, "portal/center/kiosk.html", context, status=UNPROCESSABLE if error else 200
    )


@require_GET
def kiosk_matters(request: HttpRequest) -> HttpResponse:
    """The matter choices of a section (htmx swaps them into the kiosk form)."""
    section = field(request, "section", method="GET")
    return render(
        request,
        "portal/center/_matter_options.html",
        {"matters": section_matters(section), "selected": ""},
    )


@require_GET
def ticket(request: HttpRequest, number: str) -> HttpResponse:
    """One ticket of today: its status, window, people ahead and the estimated wait."""
    try:
        view = counter_selectors.ticket_view(number=number)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    partial = request.headers.get("HX-Request") == "true"
    template = "portal/center/_ticket_status.html" if partial else "portal/center/ticket.html"
    context = {"ticket": view, "poll_seconds": TICKET_POLL_SECONDS}
    response = render(request, template, context)
    patch_cache_control(response, no_store=True)
    return response


# --- 叫号屏 -------------------------------------------------------------------------------------


def _board_context() -> dict[str, Any]:
    called = counter_selectors.called_tickets(limit=SCREEN_TICKETS)
    sections = counter_selectors.center_sections()
    rows = []
    for item in called:
        window_zh = item.window_name
        window_en = item.window_name_en or item.window_name
        with override("zh-hans"):
            say_zh = _("请%(number)s号到%(window)s办理") % {
                "number": item.number,
                "window": window_zh,
            }
        with override("en"):
            say_en = _("请%(number)s号到%(window)s办理") % {
                "number": " ".join(item.number),
                "window": window_en,
            }
        rows.append(
            {
                "ticket": item,
                "window_zh": window_zh,
                "window_en": window_en,
                # Changes with every call and recall, so the screen announces each once.
                "announce_key": f"{item.number}@{item.announced_at.isoformat()}",
                "say_zh": say_zh,
                "say_en": say_en,
            }
        )
    names = {section.code: section for section in catalog_selectors.section_list()}
    queues = [
        {
            "view": section,
            "name_zh": names[section.code].name if section.code in names else section.name,
            "name_en": (names[section.code].name_en if section.code in names else "")
            or section.name,
        }
        for section in sections
    ]
    return {"rows": rows, "queues": queues, "poll_seconds": SCREEN_POLL_SECONDS}


@require_GET
def call_screen(request: HttpRequest) -> HttpResponse:
    """叫号屏 for the hall: the latest called tickets and their windows, bilingual, live."""
    return render(request, "portal/center/screen.html", _board_context())


@require_GET
def call_screen_board(request: HttpRequest) -> HttpResponse:
    """The live part of the call screen (htmx polls it)."""
    response = render(request, "portal/center/_screen_board.html", _board_context())
    patch_cache_control(response, no_store=True)
    return response
