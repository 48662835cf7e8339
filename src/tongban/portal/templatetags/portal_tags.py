"""Display helpers for the portal templates: bilingual content and query strings."""

from __future__ import annotations

from django import template
from django.http import QueryDict

from tongban.cases.choices import ROUTE_REASONS_WITH_VALUES
from tongban.catalog.models import localized as catalog_localized
from tongban.core.i18n import stored_text

register = template.Library()


@register.filter
def localized(obj: object, field: str) -> str:
    """``{{ matter|localized:"summary" }}``: the English text under the English locale."""
    return catalog_localized(obj, field)


@register.filter
def stored(text: str) -> str:
    """``{{ task.name|stored }}``: a text the system stored in Chinese, in the reader's language."""
    return stored_text(text)


@register.filter
def route_reason(reason: str) -> str:
    """``{{ case.route_reason|route_reason }}``: the reason in the reader's language."""
    return stored_text(reason, ROUTE_REASONS_WITH_VALUES)


@register.simple_tag
def query_with(params: QueryDict, **changes: object) -> str:
    """The current query string with some parameters replaced (an empty value drops one)."""
    query = params.copy()
    for name, value in changes.items():
        if value is None or value == "":
            query.pop(name, None)
        else:
            query[name] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


#: Longest path carried as ``next`` (a huge query string is not worth keeping).
MAX_NEXT_LENGTH = 1000


@register.simple_tag(takes_context=True)
def next_path(context: template.Context) -> str:
    """Where to come back to after switching language or signing in."""
    request = context.get("request")
    if request is None:
        return "/"
    full_path: str = request.get_full_path()
    return full_path if len(full_path) <= MAX_NEXT_LENGTH else str(request.path)


@register.filter
def percent(rate: object, digits: int = 1) -> str:
    """``{{ 0.9011|percent }}`` → "90.1%"; no figure (no case yet) → "—"."""
    if rate is None or rate == "":
        return "—"
    try:
        value = float(rate)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def figure(value: object, digits: int = 1) -> str:
    """A number of days or a count for a table cell: one decimal at most; none → "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    if number == int(number):
        return str(int(number))
    return f"{number:.{int(digits)}f}"
