"""Self-registration and password reset, each confirmed by a one-time code sent by SMS.

Two steps each.  The first checks who asks (name, resident ID, mainland mobile) and sends a
6-digit code to the mobile through the configured SMS provider (``core.sms``); it returns a
random challenge the client keeps.  The second takes challenge, code and the password: the
account is created (or its password set) only then.  A code is stored as a keyed hash, is
used once, dies after ``PHONE_CODE_MINUTES`` or ``PHONE_CODE_MAX_ATTEMPTS`` tries, and
a newer code to the same mobile voids it.  Sending is throttled per mobile (a wait between
codes and a number per hour, counted from the code rows, so every process sees them) and
per client IP (``identity.throttle``, in the shared cache), as are wrong codes per IP.

The SMS is sent synchronously, after the code row has committed, not through a task: a code
is worth something only for minutes while the person waits at the screen, so a gateway
failure is said at once ("try again") and the row removed, rather than retried into a code
that arrives after they gave up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from tongban.core.errors import DomainError, FieldError, TooManyAttempts, ValidationFailed
from tongban.core.gbcodes import resident_id_problem
from tongban.core.sms import sms_provider
from tongban.identity.choices import PhoneCodePurpose
from tongban.identity.masking import mask_phone
from tongban.identity.models import ApiToken, Person, PhoneCode, StaffProfile, User
from tongban.identity.services import person_account_ensure, person_create, user_create
from tongban.identity.throttle import FailureThrottle

logger = logging.getLogger(__name__)

#: A mainland mobile number (11 digits from 13x to 19x).
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
CODE_RE = re.compile(r"^\d{6}$")
#: Longest text accepted in a field before any check (the boundary refuses NUL already).
MAX_INPUT = 64


class SmsNotSent(DomainError):
    """The SMS gateway did not take the code; nothing is kept and the person may try again."""

    status = 503
    type_slug = "sms-not-sent"
    default_title = "短信发送失败"


@dataclass(frozen=True)
class CodeSent:
    """What the client needs for the second step; the code itself only went by SMS."""

    challenge: str
    phone_masked: str
    expires_at: dt.datetime
    #: The earliest time another code can be asked for this mobile.
    resend_at: dt.datetime


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field, message)])


def _send_throttle() -> FailureThrottle:
    return FailureThrottle(
        scope="phone-code-send", limit=settings.PHONE_CODE_PER_IP_HOUR, cool_off_seconds=3600
    )


def _wrong_code_throttle() -> FailureThrottle:
    return FailureThrottle(
        scope="phone-code-wrong",
        limit=settings.PHONE_CODE_WRONG_PER_IP_HOUR,
        cool_off_seconds=3600,
    )


def _challenge_hash(challenge: str) -> str:
    return hashlib.sha256(challenge.encode("utf-8")).hexdigest()


def _code_hash(challenge: str, code: str) -> str:
    return salted_hmac("tongban.identity.phone_code", f"{challenge}:{code}").hexdigest()


def _clean_phone(raw: str, errors: list[FieldError]) -> str:
    phone = re.sub(r"[\s-]", "", str(raw or ""))[:MAX_INPUT]
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone:
        errors.append(FieldError("phone", _("请填写手机号")))
    elif not MOBILE_RE.match(phone):
        errors.append(FieldError("phone", _("请填写 11 位中国大陆手机号，例如 13812345678")))
    return phone


def _clean_id_number(raw: str, errors: list[FieldError]) -> str:
    id_number = str(raw or "").strip().upper()
    if not id_number:
        errors.append(FieldError("id_number", _("请填写身份证号")))
        return id_number
    problem = resident_id_problem(id_number[:MAX_INPUT])
    if problem:
        errors.append(FieldError("id_number", problem))
    return id_number


def _clean_name(raw: str, errors: list[FieldError]) -> str:
    name = str(raw or "").strip()
    if not name:
        errors.append(FieldError("name", _("请填写姓名")))
    elif len(name) > 50:
        errors.append(FieldError("name", _("姓名不能超过 50 个字")))
    return name


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(_("提交的内容有误"), errors=errors)


def _phone_in_use(phone: str, *, except_user_id: int | None) -> bool:
    users = User.objects.filter(Q(username=phone) | Q(phone=phone))
    people = Person.objects.filter(phone=phone, user__isnull=False)
    if except_user_id is not None:
        users = users.exclude(pk=except_user_id)
        people = people.exclude(user_id=except_user_id)
    return users.exists() or people.exists()


def _registration_check(*, name: str, id_number: str, phone: str) -> Person | None:
    """Refuse a mobile or ID number that already has an account; the person to take over.

    A person the center registered at the counter (no account, or a walk-in account without
    a password) may register online when the mobile they left at the counter is this one.
    """
    person = Person.objects.select_related("user").filter(id_number=id_number).first()
    if person is not None:
        if person.user is not None and person.user.has_usable_password():
            raise _refuse("id_number", _("该身份证号已注册，请直接登录或找回密码"))
        if person.phone != phone:
            raise _refuse(
                "id_number",
                _(
                    "该身份证号已在行政服务中心登记，但登记的手机号不是这个号码。请使用统一身份"
                    "认证登录，或携带身份证到行政服务中心开通账户"
                ),
            )
        if person.name != name:
            raise _refuse("name", _("姓名与身份证号登记的信息不一致"))
    if _phone_in_use(phone, except_user_id=person.user_id if person is not None else None):
        raise _refuse("phone", _("该手机号已注册，请直接登录或找回密码"))
    return person


def _send_gate(*, phone: str, client: str) -> None:
    """Refuse a send from an address over its hourly limit, or too soon to ``phone``."""
    _send_throttle().check(
        client=client, message=_("获取验证码过于频繁，请在 %(minutes)d 分钟后再试")
    )
    _phone_gate(phone=phone)


def _phone_gate(*, phone: str, lock: bool = False) -> None:
    """Refuse a send too soon after the last code to ``phone`` or over its hourly limit.

    With ``lock`` (inside the sending transaction) the mobile is locked first, until the
    transaction ends, so requests racing for a code to it pass one at a time and each sees the
    code the one before it wrote (PostgreSQL; SQLite has one writer at a time anyway).
    """
    if lock and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"phone-code:{phone}"])
    now = timezone.now()
    recent = PhoneCode.objects.filter(phone=phone, created_at__gt=now - dt.timedelta(hours=1))
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None:
        wait = last + dt.timedelta(seconds=settings.PHONE_CODE_RESEND_SECONDS) - now
        if wait.total_seconds() > 0:
            message = _("验证码已发送，请在 %(seconds)d 秒后重新获取") % {
                "seconds": max(1, int(wait.total_seconds()) + 1)
            }
            raise TooManyAttempts(message, errors=[FieldError("phone", message)])
    if recent.count() >= settings.PHONE_CODE_PER_PHONE_HOUR:
        message = _("该手机号获取验证码次数过多，请一小时后再试")
        raise TooManyAttempts(message, errors=[FieldError("phone", message)])


def _code_send(
    *,
    purpose: str,
    phone: str,
    client: str,
    name: str = "",
    id_number: str = "",
    user: User | None = None,
) -> CodeSent:
    code = f"{secrets.randbelow(10**6):06d}"
    challenge = secrets.token_urlsafe(24)
    now = timezone.now()
    expires_at = now + dt.timedelta(minutes=settings.PHONE_CODE_MINUTES)
    with transaction.atomic():
        _phone_gate(phone=phone, lock=True)
        # Only the newest code to a mobile works: an older SMS read late cannot be used.
        PhoneCode.objects.filter(
            phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        row = PhoneCode.objects.create(
            purpose=purpose,
            challenge_hash=_challenge_hash(challenge),
            phone=phone,
            code_hash=_code_hash(challenge, code),
            expires_at=expires_at,
            name=name,
            id_number=id_number,
            user=user,
        )
    if purpose == PhoneCodePurpose.REGISTER:
        text = _(
            "【通办】您的注册验证码为 %(code)s，%(minutes)d 分钟内有效。请勿将验证码告诉他人。"
        )
    else:
        text = _(
            "【通办】您正在找回密码，验证码为 %(code)s，%(minutes)d 分钟内有效。"
            "如非本人操作，请忽略。"
        )
    try:
        sms_provider().send(
            phone=phone, text=text % {"code": code, "minutes": settings.PHONE_CODE_MINUTES}
        )
    except Exception:
        # Any failure of the gateway (its SmsError or a bug) is the same to the person waiting.
        logger.exception("one-time code to %s not sent", mask_phone(phone))
        PhoneCode.objects.filter(pk=row.pk).delete()
        raise SmsNotSent(_("短信验证码发送失败，请稍后重试")) from None
    return CodeSent(
        challenge=challenge,
        phone_masked=mask_phone(phone),
        expires_at=expires_at,
        resend_at=row.created_at + dt.timedelta(seconds=settings.PHONE_CODE_RESEND_SECONDS),
    )


# Not atomic: the code row commits before the SMS goes out (see the module docstring).
def registration_code_send(*, client: str, name: str, id_number: str, phone: str) -> CodeSent:
    """Check who registers and send a one-time code to their mobile; no account yet."""
    errors: list[FieldError] = []
    name = _clean_name(name, errors)
    id_number = _clean_id_number(id_number, errors)
    phone = _clean_phone(phone, errors)
    _raise_if(errors)
    _send_gate(phone=phone, client=client)
    # Counted before the checks below: asking which numbers are registered is throttled too.
    _send_throttle().fail(client=client)
    _registration_check(name=name, id_number=id_number, phone=phone)
    return _code_send(
        purpose=PhoneCodePurpose.REGISTER,
        phone=phone,
        client=client,
        name=name,
        id_number=id_number,
    )


def password_reset_code_send(*, client: str, id_number: str, phone: str) -> CodeSent:
    """Find the account of this ID number and mobile and send it a one-time code."""
    errors: list[FieldError] = []
    id_number = _clean_id_number(id_number, errors)
    phone = _clean_phone(phone, errors)
    _raise_if(errors)
    _send_gate(phone=phone, client=client)
    _send_throttle().fail(client=client)
    person = Person.objects.select_related("user").filter(id_number=id_number).first()
    user = person.user if person is not None else None
    if (
        person is None
        or user is None
        or phone not in {person.phone, user.phone, user.username}
        or not user.is_active
    ):
        # One answer for every miss: the number of a stranger's account is not confirmed.
        raise _refuse(
            "phone",
            _("没有与该身份证号和手机号相符的账户。如手机号已更换，请携带身份证到行政服务中心办理"),
        )
    if user.is_staff or StaffProfile.objects.filter(user=user).exists():
        raise _refuse("id_number", _("工作人员账户请联系中心管理员重置密码"))
    return _code_send(
        purpose=PhoneCodePurpose.PASSWORD_RESET, phone=phone, client=client, user=user
    )


def _code_check(*, purpose: str, challenge: str, code: str, client: str) -> PhoneCode:
    """The live code row of ``challenge`` if ``code`` is right; a wrong try is counted."""
    _wrong_code_throttle().check(
        client=client, message=_("验证码错误次数过多，请在 %(minutes)d 分钟后再试")
    )
    code = str(code or "").strip()
    if not CODE_RE.match(code[:MAX_INPUT]):
        raise _refuse("code", _("请输入短信中的 6 位数字验证码"))
    row = (
        PhoneCode.objects.filter(
            challenge_hash=_challenge_hash(str(challenge or "")[:MAX_INPUT]), purpose=purpose
        )
        .select_related("user")
        .first()
    )
    if row is None:
        raise _refuse("code", _("验证码已失效，请重新获取"))
    if row.used_at is not None:
        raise _refuse("code", _("验证码已使用，请重新获取"))
    if row.expires_at <= timezone.now():
        raise _refuse("code", _("验证码已过期或已被新的验证码取代，请重新获取"))
    # Every try takes one of the code's tries before the comparison, in one conditional
    # UPDATE: guesses sent all at once cannot get more tries than allowed. It commits on its
    # own (not atomic here): the refusal that follows must not roll the count back.
    taken = PhoneCode.objects.filter(
        pk=row.pk, attempts__lt=settings.PHONE_CODE_MAX_ATTEMPTS
    ).update(attempts=F("attempts") + 1)
    if not taken:
        raise _refuse("code", _("验证码错误次数过多，请重新获取"))
    if not constant_time_compare(_code_hash(challenge, code), row.code_hash):
        _wrong_code_throttle().fail(client=client)
        left = settings.PHONE_CODE_MAX_ATTEMPTS - row.attempts - 1
        if left <= 0:
            raise _refuse("code", _("验证码错误次数过多，请重新获取"))
        raise _refuse("code", _("验证码不正确，还可以再试 %(left)d 次") % {"left": left})
    return row


def _password_check(password: str, *, user: User) -> None:
    if not password:
        raise _refuse("password", _("请设置密码"))
    if len(password) > 128:
        raise _refuse("password", _("密码不能超过 128 个字符"))
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("密码不符合要求"), errors=[FieldError("password", str(m)) for m in exc.messages]
        ) from exc


def _claim(row: PhoneCode) -> None:
    """Mark the code used; a second use racing this one finds it taken."""
    if not PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise _refuse("code", _("验证码已使用，请重新获取"))


def registration_complete(*, client: str, challenge: str, code: str, password: str) -> User:
    """Create the account (and person) the verified code confirms, with ``password``."""
    row = _code_check(
        purpose=PhoneCodePurpose.REGISTER, challenge=challenge, code=code, client=client
    )
    _password_check(password, user=User(username=row.phone, first_name=row.name))
    with transaction.atomic():
        _claim(row)
        # Checked again: someone may have registered the number since the code was sent.
        person = _registration_check(name=row.name, id_number=row.id_number, phone=row.phone)
        if person is None:
            user = user_create(
                username=row.phone, password=password, first_name=row.name, phone=row.phone
            )
            person_create(name=row.name, id_number=row.id_number, user=user, phone=row.phone)
        else:
            user = person_account_ensure(person=person)
            user.username = row.phone
            user.phone = row.phone
            user.first_name = user.first_name or row.name
            user.set_password(password)
            user.save(update_fields=["username", "phone", "first_name", "password"])
    return user


def password_reset_complete(*, client: str, challenge: str, code: str, password: str) -> User:
    """Set a new password with a verified code; the lockout is cleared, every session ended."""
    row = _code_check(
        purpose=PhoneCodePurpose.PASSWORD_RESET, challenge=challenge, code=code, client=client
    )
    user = row.user
    if user is None or not user.is_active:
        raise _refuse("code", _("验证码已失效，请重新获取"))
    _password_check(password, user=user)
    with transaction.atomic():
        _claim(row)
        user = User.objects.select_for_update().get(pk=user.pk)
        # A new password hash ends every signed-in session of the account (Django checks the
        # session's hash of it on each request); bearer tokens are removed outright.
        user.set_password(password)
        user.save(update_fields=["password"])
        ApiToken.objects.filter(user=user).delete()
        # Failed sign-ins under this username no longer lock the owner out.
        axes_reset(username=user.username)
    return user


def phone_codes_purge() -> int:
    """Delete code rows older than a day (they hold a name and ID number); the count."""
    deleted, _details = PhoneCode.objects.filter(
        created_at__lt=timezone.now() - dt.timedelta(days=1)
    ).delete()
    return deleted
