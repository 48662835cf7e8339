"""Business operations on accounts, people, enterprises, staff and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import Department
from tongban.core.errors import (
    AuthenticationFailed,
    FieldError,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from tongban.core.prepared import Param, Prepared
from tongban.identity.choices import StaffRole
from tongban.identity.models import Agent, ApiToken, Enterprise, Person, StaffProfile, User
from tongban.identity.validators import resident_id_problem, uscc_problem

#: Roles that run the center and therefore sign in to the Django admin.
ADMIN_SITE_ROLES = frozenset({StaffRole.CENTER_ADMIN, StaffRole.DATA_STEWARD})


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field, message)])


def _full_clean(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run the model's own validation and turn Django's error into a ValidationFailed."""
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        errors = [
            FieldError(field, str(message))
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        raise ValidationFailed(_("输入有误"), errors=errors) from exc


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    phone: str = "",
    password_hashed: bool = False,
) -> User:
    """Create an active account; ``password_hashed`` says ``password`` is already a hash."""
    username = username.strip()
    if not username:
        raise _refuse("username", _("请填写用户名"))
    if not password:
        raise _refuse("password", _("请填写密码"))
    if User.objects.filter(username=username).exists():
        raise _refuse("username", _("该用户名已被使用"))
    user = User(username=username, email=email, first_name=first_name, phone=phone)
    if password_hashed:
        user.password = password
    else:
        user.set_password(password)
    _full_clean(user, exclude=["password"])
    user.save()
    return user


@transaction.atomic
def person_create(
    *,
    name: str,
    id_number: str,
    user: User | None = None,
    phone: str = "",
    gender: str = "",
    address: str = "",
) -> Person:
    """Register a natural person under a valid resident ID number."""
    id_number = id_number.strip().upper()
    problem = resident_id_problem(id_number)
    if problem:
        raise _refuse("id_number", problem)
    if Person.objects.filter(id_number=id_number).exists():
        raise _refuse("id_number", _("该身份证号已登记"))
    if user is not None and Person.objects.filter(user=user).exists():
        raise _refuse("user", _("该账号已绑定自然人"))
    person = Person(
        name=name.strip(),
        id_number=id_number,
        user=user,
        phone=phone.strip(),
        gender=gender,
        address=address.strip(),
    )
    _full_clean(person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two registrations of the same number raced past the check above.
        raise _refuse("id_number", _("该身份证号已登记")) from None
    return person


@transaction.atomic
def person_account_ensure(*, person: Person) -> User:
    """The person's account; one without a usable password is opened for a walk-in.

    A walk-in applicant at the service center may have no account yet: their cases
    belong to this account, which they take over when they sign in through the unified
    identity (统一身份认证, matched by ID number) or when the center sets a password.
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.user_id is not None:
        assert person.user is not None
        return person.user
    user = User(
        username=f"walk-in-{secrets.token_hex(6)}",
        first_name=person.name,
        phone=person.phone,
    )
    user.set_unusable_password()
    user.save()
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    return user


@transaction.atomic
def enterprise_create(
    *,
    uscc: str,
    name: str,
    legal_representative: str = "",
    address: str = "",
    established_on: dt.date | None = None,
) -> Enterprise:
    """Register an enterprise under a valid unified social credit code."""
    uscc = uscc.strip().upper()
    problem = uscc_problem(uscc)
    if problem:
        raise _refuse("uscc", problem)
    if Enterprise.objects.filter(uscc=uscc).exists():
        raise _refuse("uscc", _("该统一社会信用代码已登记"))
    enterprise = Enterprise(
        uscc=uscc,
        name=name.strip(),
        legal_representative=legal_representative.strip(),
        address=address.strip(),
        established_on=established_on,
    )
    _full_clean(enterprise)
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:
        raise _refuse("uscc", _("该统一社会信用代码已登记")) from None
    return enterprise


@transaction.atomic
def agent_authorise(
    *, user: User, enterprise: Enterprise, valid_until: dt.date | None = None
) -> Agent:
    """Authorise ``user`` as 经办人 of ``enterprise`` (renews a revoked or lapsed one)."""
    if valid_until is not None and valid_until < timezone.localdate():
        raise _refuse("valid_until", _("授权有效期不能早于今天"))
    agent, _created = Agent.objects.select_for_update().get_or_create(
        user=user,
        enterprise=enterprise,
        defaults={"valid_until": valid_until},
    )
    if not _created:
        agent.valid_until = valid_until
        agent.revoked = False
        agent.save(update_fields=["valid_until", "revoked", "updated_at"])
    return agent


@transaction.atomic
def agent_revoke(*, user: User, enterprise: Enterprise) -> Agent:
    """Withdraw the authorisation of ``user`` for ``enterprise``."""
    agent = Agent.objects.select_for_update().filter(user=user, enterprise=enterprise).first()
    if agent is None or agent.revoked:
        raise NotFound(_("没有该经办人授权"))
    agent.revoked = True
    agent.save(update_fields=["revoked", "updated_at"])
    return agent


def _role_permissions(role: str) -> list[Permission]:
    perms = Permission.objects.select_related("content_type")
    if role == StaffRole.CENTER_ADMIN:
        # The center admin keeps the catalogue, configures the service center (sections' hours,
        # windows, staffing, the negative list, appointments) and enters each year's holidays.
        return list(
            perms.filter(content_type__app_label__in=["catalog", "counter"])
            | perms.filter(
                content_type__app_label="workflow",
                content_type__model__in=["calendaryear", "calendarday"],
            )
        )
    if role == StaffRole.DATA_STEWARD:
        # The data steward reads the catalogues and decides share grants (有条件共享).
        return list(
            perms.filter(
                content_type__app_label__in=["catalog", "workflow", "identity", "exchange"],
                codename__startswith="view_",
            )
            | perms.filter(content_type__app_label="exchange", codename="change_sharegrant")
        )
    return []


def _role_group(role: str, *, refresh: bool) -> Group:
    group, created = Group.objects.get_or_create(name=role)
    if created or refresh:
        group.permissions.set(_role_permissions(role))
    return group


@transaction.atomic
def role_groups_ensure() -> None:
    """Make sure a Django group exists for every staff role, with its permissions."""
    for role in StaffRole.values:
        _role_group(role, refresh=True)


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    department_code: str,
    roles: list[str],
    name: str = "",
    password_hashed: bool = False,
) -> User:
    """Create a member of staff of one department with the given roles."""
    department = Department.objects.filter(code=department_code).first()
    if department is None:
        raise _refuse("department_code", _("部门不存在：%(code)s") % {"code": department_code})
    unknown = [r for r in roles if r not in StaffRole.values]
    if unknown:
        raise _refuse("roles", _("未知的角色：%(roles)s") % {"roles": ", ".join(unknown)})
    if not roles:
        raise _refuse("roles", _("请至少指定一个角色"))
    user = user_create(
        username=username, password=password, first_name=name, password_hashed=password_hashed
    )
    StaffProfile.objects.create(user=user, department=department)
    user.groups.set([_role_group(role, refresh=False) for role in roles])
    if ADMIN_SITE_ROLES.intersection(roles):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create_for(*, user: User) -> tuple[str, dt.datetime]:
    """Issue a bearer token for ``user`` without checking a password (tests, trusted code)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    expires_at = now + dt.timedelta(hours=settings.API_TOKEN_HOURS)
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    ApiToken.objects.create(user=user, token_hash=_token_hash(token), expires_at=expires_at)
    return token, expires_at


# Deliberately not atomic: django-axes records the failed attempt inside
# authenticate(), and rolling that back with the refusal would undo the throttle.
def api_token_issue(
    *, request: HttpRequest, username: str, password: str
) -> tuple[str, dt.datetime]:
    """Check the credentials (throttled by django-axes) and issue a bearer token."""
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise TooManyAttempts(
            _("登录失败次数过多，账号已被暂时锁定，请稍后再试"),
            errors=[FieldError("password", _("登录失败次数过多，请稍后再试"))],
        )
    if user is None or not isinstance(user, User):
        raise AuthenticationFailed(
            _("用户名或密码错误"),
            errors=[FieldError("password", _("用户名或密码错误"))],
        )
    # A token sign-in is a sign-in: axes clears the failure count, last_login is updated.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return api_token_create_for(user=user)


def api_token_user(*, token: str) -> User | None:
    """The active user a live bearer token belongs to, or None."""
    if not token:
        return None
    found = _TOKEN_LIVE.first(token_hash=_token_hash(token), now=timezone.now())
    return found.user if found else None


#: Every API request reads its token: the query compiled once (core/prepared.py). The staff
#: post (if any) and its department come with the user: every staff request asks for them
#: (user_memo_start keeps them for the request).
_TOKEN_LIVE: Prepared[ApiToken] = Prepared(
    lambda: (
        ApiToken.objects.select_related("user__staff_profile__department")
        .filter(
            token_hash=Param("token_hash"),
            expires_at__gt=Param("now", models.DateTimeField()),
            user__is_active=True,
        )
        .order_by("pk")[:1]
    )
)


@transaction.atomic
def api_token_revoke(*, token: str) -> bool:
    """Revoke a bearer token; True when it existed."""
    deleted, _details = ApiToken.objects.filter(token_hash=_token_hash(token)).delete()
    return deleted > 0


def _claim(claims: dict[str, object], name: str) -> str:
    value = claims.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise _refuse(name, _("统一身份认证提供的信息格式无效：%(claim)s") % {"claim": name})
    text = str(value).strip()
    if "\x00" in text or len(text) > 200:
        raise _refuse(name, _("统一身份认证提供的信息格式无效：%(claim)s") % {"claim": name})
    return text


@transaction.atomic
def oidc_user_resolve(*, claims: dict[str, object]) -> User:
    """The account of the person a verified ID token stands for (统一身份认证).

    The resident ID number is the key: an existing Person with that number is linked (its
    account taken over, or one opened for a walk-in), never duplicated; otherwise a Person
    and an account are created with the verified name.  A credit code claim makes the
    account an agent (经办人) of that enterprise, registered under the claimed name when the
    district does not know it yet; an authorisation the center revoked stays revoked.
    Staff accounts do not sign in this way.  Nothing is changed when a claim is invalid.
    """
    id_field = settings.OIDC_CLAIM_ID_NUMBER
    id_number = _claim(claims, id_field).upper()
    if not id_number:
        raise _refuse(id_field, _("统一身份认证没有提供身份证号"))
    problem = resident_id_problem(id_number)
    if problem:
        raise _refuse(
            id_field,
            _("统一身份认证提供的身份证号无效：%(problem)s") % {"problem": problem},
        )
    name = _claim(claims, settings.OIDC_CLAIM_NAME)
    credit_code = _claim(claims, settings.OIDC_CLAIM_CREDIT_CODE).upper()
    enterprise_name = _claim(claims, settings.OIDC_CLAIM_ENTERPRISE_NAME)
    if credit_code:
        problem = uscc_problem(credit_code)
        if problem:
            raise _refuse(
                settings.OIDC_CLAIM_CREDIT_CODE,
                _("统一身份认证提供的统一社会信用代码无效：%(problem)s") % {"problem": problem},
            )
    person = Person.objects.select_for_update().filter(id_number=id_number).first()
    if person is None:
        if not name:
            raise _refuse(settings.OIDC_CLAIM_NAME, _("统一身份认证没有提供姓名"))
        user = User(username=f"uid-{secrets.token_hex(6)}", first_name=name[:150])
        user.set_unusable_password()
        user.save()
        person = person_create(name=name, id_number=id_number, user=user)
    else:
        user = person_account_ensure(person=person)
    if user.is_staff or user.is_superuser or StaffProfile.objects.filter(user=user).exists():
        raise PermissionDenied(_("工作人员请使用本地账号登录工作台"))
    if not user.is_active:
        raise PermissionDenied(_("该账号已停用，请联系服务中心"))
    if credit_code:
        enterprise = Enterprise.objects.filter(uscc=credit_code).first()
        if enterprise is None:
            if not enterprise_name:
                raise _refuse(
                    settings.OIDC_CLAIM_ENTERPRISE_NAME, _("统一身份认证没有提供企业名称")
                )
            enterprise = enterprise_create(uscc=credit_code, name=enterprise_name)
        if not Agent.objects.filter(user=user, enterprise=enterprise).exists():
            agent_authorise(user=user, enterprise=enterprise)
    return user
