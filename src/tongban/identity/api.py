"""Sign-in for API clients and the caller's own identity."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from tongban.catalog.models import localized
from tongban.identity import selectors, services
from tongban.identity.auth import signed_in
from tongban.identity.masking import mask_id_number, mask_phone
from tongban.identity.models import Person, User
from tongban.identity.schemas import MeEnterprise, MeOut, MePerson, MeStaff, TokenIn, TokenOut

router = Router(tags=["identity"])


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
    person = Person.objects.filter(user=user).first()
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
