"""Small forms of the applicant's pages (the matter's own form comes from its JSON Schema)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.catalog.jsonschema_form import form_parse, form_posted
from tongban.core.errors import DomainError, FieldError
from tongban.identity.models import Enterprise

if TYPE_CHECKING:
    from tongban.cases.models import Case

#: Value of the "apply as" choice for applying as oneself (a person).
APPLY_AS_SELF = "self"


def applicant_choice(
    value: str, enterprises: list[Enterprise]
) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """The ``applicant`` argument of case_create for the chosen identity.

    ``None`` applies as the signed-in person; an enterprise must be one the
    user is a live agent of (the service checks again).
    """
    if value in ("", APPLY_AS_SELF):
        return None, []
    for enterprise in enterprises:
        if enterprise.uscc == value:
            return {"type": "enterprise", "uscc": enterprise.uscc}, []
    return None, [FieldError("applicant", _("请选择以本人或您代理的企业名义申请"))]


class WithdrawForm(forms.Form):
    """撤回: a deliberate tick and an optional reason."""

    confirm = forms.BooleanField(
        label=gettext_lazy("我确认撤回这件申请，撤回后如需办理须重新申请"),
        error_messages={"required": gettext_lazy("请勾选确认后再撤回")},
    )
    reason = forms.CharField(
        label=gettext_lazy("撤回原因（选填）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@dataclass
class ApplyAttempt:
    """One visit of an apply page: what to show again, or the draft case it created."""

    shown: dict[str, Any]
    applicant_value: str
    idempotency_key: str
    errors: list[FieldError] = field(default_factory=list)
    case: Case | None = None


def apply_attempt(
    request: HttpRequest,
    *,
    enterprises: list[Enterprise],
    schema: dict[str, Any],
    create: Callable[[dict[str, Any] | None, dict[str, Any], str], Case],
    initial: dict[str, Any] | None = None,
) -> ApplyAttempt:
    """Read an apply page (who applies + the JSON-Schema form); create the draft when it is clean.

    ``create(applicant, form, idempotency_key)`` is the one service call; a repeated post
    carries the same key, so a double click gives one case.
    """
    attempt = ApplyAttempt(
        shown=dict(initial or {}), applicant_value=APPLY_AS_SELF, idempotency_key=uuid.uuid4().hex
    )
    if request.method != "POST":
        return attempt
    attempt.shown = form_posted(request.POST)
    attempt.idempotency_key = (request.POST.get("idempotency_key") or "")[
        :100
    ] or attempt.idempotency_key
    attempt.applicant_value = request.POST.get("applicant", APPLY_AS_SELF)
    applicant, errors = applicant_choice(attempt.applicant_value, enterprises)
    form, parse_errors = form_parse(schema, request.POST)
    errors += parse_errors
    if not errors:
        try:
            attempt.case = create(applicant, form, attempt.idempotency_key)
        except DomainError as exc:
            errors = list(exc.errors) or [FieldError("", str(exc.detail))]
    attempt.errors = errors
    return attempt
