"""Sign-in for API clients, self-registration and password reset, and the caller's own identity."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from tongban.catalog.models import localized
from tongban.core.clientip import client_ip
from tongban.identity import selectors, services, services_accounts
from tongban.identity.auth import signed_in
from tongban.identity.masking import mask_id_number, mask_phone
from tongban.identity.models import User
from tongban.identity.schemas import (
    CodeSentOut,
    CodeVerifyIn,
    MeEnterprise,
    MeOut,
    MePerson,
    MeStaff,
    PasswordResetCodeIn,
    RegisterCodeIn,
    RegisteredOut,
    TokenIn,
    TokenOut,
)

router = Router(tags=["identity"])

#: The SMS gateway did not take the code (services_accounts.SmsNotSent).
_SMS_NOT_SENT = {
    "responses": {
        "503": {
            "description": "短信发送失败 / the SMS gateway did not take the code; try again",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
    }
}


def _code_sent(sent: services_accounts.CodeSent) -> CodeSentOut:
    return CodeSentOut(
        challenge=sent.challenge,
        phone=sent.phone_masked,
        expires_at=sent.expires_at,
        resend_at=sent.resend_at,
    )


@router.post(
    "/accounts/register/code",
    response={202: CodeSentOut},
    auth=None,
    summary="注册：发送短信验证码",
    openapi_extra=_SMS_NOT_SENT,
)
def register_code(request: HttpRequest, payload: RegisterCodeIn) -> Status[CodeSentOut]:
    sent = services_accounts.registration_code_send(
        client=client_ip(request),
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
    )
    return Status(202, _code_sent(sent))


@router.post(
    "/accounts/register", response={201: RegisteredOut}, auth=None, summary="注册：验证并开通账户"
)
def register(request: HttpRequest, payload: CodeVerifyIn) -> Status[RegisteredOut]:
    user = services_accounts.registration_complete(
        client=client_ip(request),
        challenge=payload.challenge,
        code=payload.code,
        password=payload.password,
    )
    token, expires_at = services.api_token_create_for(user=user)
    return Status(201, RegisteredOut(username=user.username, token=token, expires_at=expires_at))


@router.post(
    "/accounts/password-reset/code",
    response={202: CodeSentOut},
    auth=None,
    summary="找回密码：发送短信验证码",
    openapi_extra=_SMS_NOT_SENT,
)
def password_reset_code(request: HttpRequest, payload: PasswordResetCodeIn) -> Status[CodeSentOut]:
    sent = services_accounts.password_reset_code_send(
        client=client_ip(request), id_number=payload.id_number, phone=payload.phone
    )
    return Status(202, _code_sent(sent))


@router.post(
    "/accounts/password-reset", response={204: None}, auth=None, summary="找回密码：设置新密码"
)
def password_reset(request: HttpRequest, payload: CodeVerifyIn) -> Status[None]:
    services_accounts.password_reset_complete(
        client=client_ip(request),
        challenge=payload.challenge,
        code=payload.code,
        password=payload.password,
    )
    return Status(204, None)


@router.post("/auth/token", response=TokenOut, auth=None, summary="获取访问令牌")
def token_issue(request: HttpRequest, payload: TokenIn) -> TokenOut:
    token, expires_at = services.api_token_issue(
        request=request, username=payload.username, password=payload.password
    )
    return TokenOut(token=token, expires_at=expires_at)


@router.get("/me", response=MeOut, auth=signed_in, summary="当前用户")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert isinstance(user, User)
    person = selectors.user_person(user_id=user.pk)
    staff = selectors.user_staff(user=user)
    return MeOut(
        username=user.username,
        person=MePerson(
            name=person.name,
            id_number=mask_id_number(person.id_number),
            phone=mask_phone(person.phone),
        )
        if person
        else None,
        enterprises=[
            MeEnterprise(uscc=e.uscc, name=e.name) for e in selectors.user_enterprises(user=user)
        ],
        staff=MeStaff(
            department=staff.department.code,
            department_name=localized(staff.department, "name"),
            roles=selectors.user_roles(user=user),
        )
        if staff
        else None,
    )
