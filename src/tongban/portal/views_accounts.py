"""Self-registration and password reset pages, each in two steps (identity.services_accounts).

Step 1 checks who asks and sends the SMS code; the challenge and what was typed stay in the
session (server-side), so step 2 asks only for the code and the password and can send a new
code without retyping.  Every refusal re-renders the page with a GOV.UK-style error summary.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from tongban.core.clientip import client_ip
from tongban.core.errors import DomainError, FieldError, ValidationFailed
from tongban.identity import services_accounts as accounts

#: The backend recorded in the session of a new account (it signs in with its password).
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"

REGISTER = "register"
RESET = "password_reset"

#: Fields of each step: (name, label, input type, autocomplete, input mode, help).
_FIELDS: dict[str, list[tuple[str, Any, str, str, str, Any]]] = {
    "register": [
        ("name", gettext_lazy("姓名"), "text", "name", "", ""),
        (
            "id_number",
            gettext_lazy("身份证号"),
            "text",
            "off",
            "",
            gettext_lazy("18 位居民身份证号码，末位可能是 X"),
        ),
        (
            "phone",
            gettext_lazy("手机号"),
            "tel",
            "tel-national",
            "numeric",
            gettext_lazy("验证码将以短信发送到该手机号；注册后用手机号登录"),
        ),
    ],
    "password_reset": [
        ("id_number", gettext_lazy("身份证号"), "text", "off", "", ""),
        (
            "phone",
            gettext_lazy("手机号"),
            "tel",
            "tel-national",
            "numeric",
            gettext_lazy("注册时填写的手机号"),
        ),
    ],
    "verify": [
        ("code", gettext_lazy("短信验证码"), "text", "one-time-code", "numeric", ""),
        (
            "password",
            gettext_lazy("新密码"),
            "password",
            "new-password",
            "",
            gettext_lazy("至少 8 位，不能全是数字，不能与手机号、姓名相近"),
        ),
        ("password2", gettext_lazy("再次输入新密码"), "password", "new-password", "", ""),
    ],
}
#: A new account has no old password: its labels say "choose", not "new".
_REGISTER_LABELS = {"password": gettext_lazy("设置密码"), "password2": gettext_lazy("再次输入密码")}


def _fields(
    step: str, values: dict[str, str], errors: list[FieldError], *, purpose: str
) -> list[dict[str, Any]]:
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(str(error.message))
    return [
        {
            "name": name,
            "input_id": f"id_{name}",
            "label": _REGISTER_LABELS.get(name, label) if purpose == REGISTER else label,
            "type": kind,
            "autocomplete": autocomplete,
            "inputmode": inputmode,
            "help": help_text,
            "value": "" if kind == "password" else values.get(name, ""),
            "errors": by_field.get(name, []),
        }
        for name, label, kind, autocomplete, inputmode, help_text in _FIELDS[step]
    ]


def _page(
    request: HttpRequest,
    *,
    template: str,
    purpose: str,
    step: str,
    values: dict[str, str],
    error: DomainError | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    errors = list(error.errors) if error is not None else []
    fields = _fields(step, values, errors, purpose=purpose)
    known = {f["name"] for f in fields}
    # A refusal without a field of this page (throttled, SMS down) is said at the top.
    general = [str(e.message) for e in errors if e.field not in known]
    if error is not None and (not errors or general):
        general = [str(error.detail)]
    context = {
        "purpose": purpose,
        "fields": fields,
        "errors": general,
        "has_errors": bool(error),
        **(extra or {}),
    }
    return render(request, template, context, status=error.status if error else 200)


def _posted(request: HttpRequest, names: list[str]) -> dict[str, str]:
    return {name: request.POST.get(name, "")[:200] for name in names}


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Step 1: name, ID number and mobile; the code goes out by SMS."""
    if request.user.is_authenticated:
        return redirect("portal:my_cases")
    return _start(request, purpose=REGISTER)


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Step 1 of a password reset: ID number and mobile; the code goes out by SMS."""
    return _start(request, purpose=RESET)


def _send(request: HttpRequest, *, purpose: str, values: dict[str, str]) -> None:
    client = client_ip(request)
    if purpose == REGISTER:
        sent = accounts.registration_code_send(
            client=client, name=values["name"], id_number=values["id_number"], phone=values["phone"]
        )
    else:
        sent = accounts.password_reset_code_send(
            client=client, id_number=values["id_number"], phone=values["phone"]
        )
    request.session[purpose] = {
        "challenge": sent.challenge,
        "phone_masked": sent.phone_masked,
        "values": values,
    }


def _start(request: HttpRequest, *, purpose: str) -> HttpResponse:
    template = f"registration/{purpose}.html"
    names = [name for name, *_rest in _FIELDS[purpose]]
    if request.method != "POST":
        return _page(request, template=template, purpose=purpose, step=purpose, values={})
    values = _posted(request, names)
    try:
        _send(request, purpose=purpose, values=values)
    except DomainError as error:
        return _page(
            request, template=template, purpose=purpose, step=purpose, values=values, error=error
        )
    return redirect(f"portal:{purpose}_verify")


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def register_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code and a password; the account is created and signed in."""
    return _verify(request, purpose=REGISTER)


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_reset_verify(request: HttpRequest) -> HttpResponse:
    """Step 2 of a password reset: the code and the new password."""
    return _verify(request, purpose=RESET)


def _verify(request: HttpRequest, *, purpose: str) -> HttpResponse:
    pending = request.session.get(purpose)
    if not isinstance(pending, dict) or "challenge" not in pending:
        return redirect(f"portal:{purpose}")

    def page(values: dict[str, str], error: DomainError | None = None) -> HttpResponse:
        return _page(
            request,
            template="registration/phone_code_verify.html",
            purpose=purpose,
            step="verify",
            values=values,
            error=error,
            extra={"phone_masked": pending["phone_masked"], "minutes": settings.PHONE_CODE_MINUTES},
        )

    if request.method != "POST":
        return page({})
    if request.POST.get("action") == "resend":
        try:
            _send(request, purpose=purpose, values=pending["values"])
        except DomainError as error:
            return page({}, error)
        messages.info(request, _("新的验证码已发送，之前的验证码不再有效"))
        return redirect(f"portal:{purpose}_verify")
    values = _posted(request, ["code", "password", "password2"])
    if values["password"] != values["password2"]:
        mismatch = _("两次输入的密码不一致")
        refused = ValidationFailed(mismatch, errors=[FieldError("password2", mismatch)])
        return page(values, refused)
    complete = (
        accounts.registration_complete if purpose == REGISTER else accounts.password_reset_complete
    )
    try:
        user = complete(
            client=client_ip(request),
            challenge=str(pending["challenge"]),
            code=values["code"],
            password=values["password"],
        )
    except DomainError as error:
        return page(values, error)
    del request.session[purpose]
    if purpose == REGISTER:
        login(request, user, backend=SESSION_BACKEND)
        messages.success(request, _("注册成功，今后可使用手机号和密码登录"))
        return redirect("portal:my_cases")
    messages.success(request, _("密码已重置，请使用新密码登录；此前在其他设备上的登录已全部退出"))
    return redirect("portal:login")
