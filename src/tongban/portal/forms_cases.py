"""Small forms of the applicant's pages (the matter's own form comes from its JSON Schema)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.core.errors import FieldError
from tongban.identity.models import Enterprise

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
