"""Self-registration and password reset with a one-time SMS code (services_accounts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from tongban.core.errors import TooManyAttempts, ValidationFailed
from tongban.core.periodic import registered_periodic
from tongban.identity import services_accounts as accounts
from tongban.identity.choices import PhoneCodePurpose
from tongban.identity.models import ApiToken, Person, PhoneCode, User
from tongban.identity.services import api_token_create_for, person_create
from tongban.identity.tests.factories import make_person, make_resident_id, make_staff, make_user
from tongban.identity.tests.sms_outbox import SmsOutbox

pytestmark = pytest.mark.django_db

CLIENT = "203.0.113.7"
PHONE = "13912345678"
PASSWORD = "Jiading-2026-spring"
NEW_PASSWORD = "Anting-2027-autumn"


def _send(**overrides: Any) -> accounts.CodeSent:
    values = {
        "client": CLIENT,
        "name": "王小明",
        "id_number": overrides.pop("id_number", None) or ID_NUMBER,
        "phone": PHONE,
    }
    values.update(overrides)
    return accounts.registration_code_send(**values)


ID_NUMBER = make_resident_id(birth=dt.date(1992, 8, 8), seq=123)


def _age(row_filter: dict[str, Any], **delta: float) -> None:
    """Move code rows into the past (as if ``delta`` had passed)."""
    shift = dt.timedelta(**delta)
    for row in PhoneCode.objects.filter(**row_filter):
        PhoneCode.objects.filter(pk=row.pk).update(
            created_at=row.created_at - shift, expires_at=row.expires_at - shift
        )


def _field_messages(refused: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return {e.field: str(e.message) for e in refused.value.errors}


def test_it_sends_a_code_and_creates_the_account_only_once_it_is_verified(
    sms_outbox: SmsOutbox,
) -> None:
    sent = _send()

    code = sms_outbox.last_code(PHONE)
    assert sent.phone_masked == "139****5678"
    assert not User.objects.filter(username=PHONE).exists()
    row = PhoneCode.objects.get()
    assert row.purpose == PhoneCodePurpose.REGISTER
    # Only a keyed hash is stored, and the challenge is stored hashed too.
    assert code not in row.code_hash and row.code_hash != code
    assert sent.challenge not in row.challenge_hash

    user = accounts.registration_complete(
        client=CLIENT, challenge=sent.challenge, code=code, password=PASSWORD
    )

    assert user.username == PHONE and user.phone == PHONE and user.first_name == "王小明"
    person = Person.objects.get(user=user)
    assert (person.name, person.id_number, person.phone) == ("王小明", ID_NUMBER, PHONE)
    assert user.check_password(PASSWORD) and user.has_usable_password()
    assert PhoneCode.objects.get().used_at is not None


def test_the_code_is_six_digits_and_valid_for_the_configured_minutes(
    sms_outbox: SmsOutbox, settings: Any
) -> None:
    settings.PHONE_CODE_MINUTES = 7
    before = timezone.now()
    sent = _send()

    assert len(sms_outbox.last_code(PHONE)) == 6
    assert "7 分钟内有效" in sms_outbox.sent[-1][1]
    assert dt.timedelta(minutes=7) <= sent.expires_at - before < dt.timedelta(minutes=8)


def test_a_wrong_code_is_refused_counted_and_creates_nothing(sms_outbox: SmsOutbox) -> None:
    sent = _send()
    wrong = f"{(int(sms_outbox.last_code(PHONE)) + 1) % 10**6:06d}"

    with pytest.raises(ValidationFailed) as refused:
        accounts.registration_complete(
            client=CLIENT, challenge=sent.challenge, code=wrong, password=PASSWORD
        )

    assert "验证码不正确，还可以再试 4 次" in _field_messages(refused)["code"]
    assert PhoneCode.objects.get().attempts == 1
    assert not User.objects.filter(username=PHONE).exists()
    assert not Person.objects.filter(id_number=ID_NUMBER).exists()


def test_after_the_last_wrong_try_even_the_right_code_is_refused(
    sms_outbox: SmsOutbox, settings: Any
) -> None:
    settings.PHONE_CODE_MAX_ATTEMPTS = 3
    sent = _send()
    code = sms_outbox.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        with pytest.raises(ValidationFailed):
            accounts.registration_complete(
                client=CLIENT, challenge=sent.challenge, code=wrong, password=PASSWORD
            )

    with pytest.raises(ValidationFailed) as refused:
        accounts.registration_complete(
            client=CLIENT, challenge=sent.challenge, code=code, password=PASSWORD
        )

    assert _field_messages(refused)["code"] == "验证码错误次数过多，请重新获取"
    assert not User.objects.filter(username=PHONE).exists()


def test_an_expired_code_is_refused(sms_outbox: SmsOutbox, settings: Any) -> None:
    sent = _send()
    _age({}, minutes=settings.PHONE_CODE_MINUTES, seconds=1)

    with pytest.raises(ValidationFailed) as refused:
        accounts.registration_complete(
            client=CLIENT,
            challenge=sent.challenge,
            code=sms_outbox.last_code(PHONE),
            password=PASSWORD,
        )

    assert "已过期" in _field_messages(refused)["code"]
    assert not User.objects.filter(username=PHONE).exists()


def test_a_code_is_used_once(sms_outbox: SmsOutbox) -> None:
    sent = _send()
    code = sms_outbox.last_code(PHONE)
    accounts.registration_complete(
        client=CLIENT, challenge=sent.challenge, code=code, password=PASSWORD
    )

    with pytest.raises(ValidationFailed) as refused:
        accounts.registration_complete(
            client=CLIENT, challenge=sent.challenge, code=code, password=PASSWORD
        )

    assert _field_messages(refused)["code"] == "验证码已使用，请重新获取"
    assert User.objects.filter(username=PHONE).count() == 1


def test_a_newer_code_voids_the_older_one(sms_outbox: SmsOutbox, settings: Any) -> None:
    first = _send()
    first_code = sms_outbox.last_code(PHONE)
    _age({}, seconds=settings.PHONE_CODE_RESEND_SECONDS + 1)
    second = _send()

    with pytest.raises(ValidationFailed):
        accounts.registration_complete(
            client=CLIENT, challenge=first.challenge, code=first_code, password=PASSWORD
        )
    user = accounts.registration_complete(
        client=CLIENT,
        challenge=second.challenge,
        code=sms_outbox.last_code(PHONE),
        password=PASSWORD,
    )
    assert user.username == PHONE


def test_a_code_of_one_purpose_does_not_reset_a_password(sms_outbox: SmsOutbox) -> None:
    sent = _send()

    with pytest.raises(ValidationFailed) as refused:
        accounts.password_reset_complete(
            client=CLIENT,
            challenge=sent.challenge,
            code=sms_outbox.last_code(PHONE),
            password=PASSWORD,
        )

    assert _field_messages(refused)["code"] == "验证码已失效，请重新获取"


def test_a_weak_password_is_refused_without_spending_the_code(sms_outbox: SmsOutbox) -> None:
    sent = _send()
    code = sms_outbox.last_code(PHONE)

    with pytest.raises(ValidationFailed) as refused:
        accounts.registration_complete(
            client=CLIENT, challenge=sent.challenge, code=code, password="12345678"
        )

    assert "password" in _field_messages(refused)
    assert not User.objects.filter(username=PHONE).exists()
    user = accounts.registration_complete(
        client=CLIENT, challenge=sent.challenge, code=code, password=PASSWORD
    )
    assert user.check_password(PASSWORD)


def test_a_second_code_too_soon_is_refused(sms_outbox: SmsOutbox, settings: Any) -> None:
    _send()

    with pytest.raises(TooManyAttempts) as refused:
        _send()

    assert "秒后重新获取" in str(refused.value.detail)
    assert PhoneCode.objects.count() == 1 and len(sms_outbox.sent) == 1
    _age({}, seconds=settings.PHONE_CODE_RESEND_SECONDS + 1)
    _send()
    assert len(sms_outbox.sent) == 2


def test_codes_to_one_mobile_are_limited_per_hour(sms_outbox: SmsOutbox, settings: Any) -> None:
    settings.PHONE_CODE_PER_PHONE_HOUR = 3
    for _ in range(3):
        _send()
        _age({}, seconds=settings.PHONE_CODE_RESEND_SECONDS + 1)

    with pytest.raises(TooManyAttempts, match="一小时后再试"):
        _send(client="198.51.100.1")

    assert len(sms_outbox.sent) == 3
    _age({}, hours=1)
    _send()
    assert len(sms_outbox.sent) == 4


def test_codes_asked_from_one_address_are_limited(sms_outbox: SmsOutbox, settings: Any) -> None:
    settings.PHONE_CODE_PER_IP_HOUR = 2
    _send(phone="13900000001", id_number=make_resident_id(seq=201))
    _send(phone="13900000002", id_number=make_resident_id(seq=202))

    with pytest.raises(TooManyAttempts, match="获取验证码过于频繁"):
        _send(phone="13900000003", id_number=make_resident_id(seq=203))

    assert PhoneCode.objects.count() == 2
    _send(phone="13900000003", id_number=make_resident_id(seq=203), client="198.51.100.1")


def test_wrong_codes_from_one_address_are_throttled_across_codes(
    sms_outbox: SmsOutbox, settings: Any
) -> None:
    settings.PHONE_CODE_WRONG_PER_IP_HOUR = 2
    sent = _send()
    code = sms_outbox.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            accounts.registration_complete(
                client=CLIENT, challenge=sent.challenge, code=wrong, password=PASSWORD
            )

    with pytest.raises(TooManyAttempts):
        accounts.registration_complete(
            client=CLIENT, challenge=sent.challenge, code=code, password=PASSWORD
        )
    assert not User.objects.filter(username=PHONE).exists()


@pytest.mark.parametrize("in_use", ["username", "user_phone", "person_phone"])
def test_a_mobile_already_registered_is_refused(sms_outbox: SmsOutbox, in_use: str) -> None:
    if in_use == "username":
        make_user(username=PHONE)
    elif in_use == "user_phone":
        user = make_user()
        User.objects.filter(pk=user.pk).update(phone=PHONE)
    else:
        person_create(
            name="李四", id_number=make_resident_id(seq=301), user=make_user(), phone=PHONE
        )
    users = User.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        _send()

    assert _field_messages(refused)["phone"] == "该手机号已注册，请直接登录或找回密码"
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []
    assert User.objects.count() == users


def test_an_id_number_already_registered_is_refused(sms_outbox: SmsOutbox) -> None:
    make_person(user=make_user(), id_number=ID_NUMBER)

    with pytest.raises(ValidationFailed) as refused:
        _send()

    assert _field_messages(refused)["id_number"] == "该身份证号已注册，请直接登录或找回密码"
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


def test_a_number_registered_between_the_code_and_its_use_is_refused(
    sms_outbox: SmsOutbox,
) -> None:
    sent = _send()
    make_person(user=make_user(), id_number=ID_NUMBER)

    with pytest.raises(ValidationFailed) as refused:
        accounts.registration_complete(
            client=CLIENT,
            challenge=sent.challenge,
            code=sms_outbox.last_code(PHONE),
            password=PASSWORD,
        )

    assert "id_number" in _field_messages(refused)
    assert not User.objects.filter(username=PHONE).exists()
    assert PhoneCode.objects.get().used_at is None


def test_bad_input_is_refused_field_by_field(sms_outbox: SmsOutbox) -> None:
    bad_id = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")

    with pytest.raises(ValidationFailed) as refused:
        _send(name="  ", id_number=bad_id, phone="12345")

    messages = _field_messages(refused)
    assert set(messages) == {"name", "id_number", "phone"}
    assert "校验" in messages["id_number"]
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


def test_a_gateway_failure_is_said_and_keeps_nothing(sms_outbox: SmsOutbox) -> None:
    sms_outbox.down = True

    with pytest.raises(accounts.SmsNotSent):
        _send()

    assert PhoneCode.objects.count() == 0
    sms_outbox.down = False
    _send()  # no wait imposed by a code that never went out
    assert len(sms_outbox.sent) == 1


def test_a_person_registered_at_the_counter_takes_over_their_account(
    sms_outbox: SmsOutbox,
) -> None:
    person = person_create(name="王小明", id_number=ID_NUMBER, phone=PHONE)
    sent = _send()

    user = accounts.registration_complete(
        client=CLIENT, challenge=sent.challenge, code=sms_outbox.last_code(PHONE), password=PASSWORD
    )

    person.refresh_from_db()
    assert person.user == user and user.username == PHONE and user.check_password(PASSWORD)
    assert Person.objects.count() == 1


def test_a_counter_record_with_another_mobile_is_not_taken_over(sms_outbox: SmsOutbox) -> None:
    person_create(name="王小明", id_number=ID_NUMBER, phone="13700000000")

    with pytest.raises(ValidationFailed) as refused:
        _send()

    assert "行政服务中心" in _field_messages(refused)["id_number"]
    assert sms_outbox.sent == []


def _account() -> User:
    user = make_user(username="wangxm")
    person_create(name="王小明", id_number=ID_NUMBER, user=user, phone=PHONE)
    return user


def _reset_send(**overrides: Any) -> accounts.CodeSent:
    values = {"client": CLIENT, "id_number": ID_NUMBER, "phone": PHONE, **overrides}
    return accounts.password_reset_code_send(**values)


def test_a_password_reset_sets_the_password_clears_the_lockout_and_tokens(
    sms_outbox: SmsOutbox,
) -> None:
    user = _account()
    api_token_create_for(user=user)
    AccessAttempt.objects.create(
        username="wangxm", ip_address="198.51.100.9", failures_since_start=5, user_agent="t"
    )
    sent = _reset_send()

    accounts.password_reset_complete(
        client=CLIENT,
        challenge=sent.challenge,
        code=sms_outbox.last_code(PHONE),
        password=NEW_PASSWORD,
    )

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not AccessAttempt.objects.filter(username="wangxm").exists()
    assert not ApiToken.objects.filter(user=user).exists()
    assert "找回密码" in sms_outbox.sent[-1][1]


@pytest.mark.parametrize("which", ["phone", "id_number"])
def test_a_reset_for_a_mobile_and_id_that_do_not_match_is_refused(
    sms_outbox: SmsOutbox, which: str
) -> None:
    _account()
    other = {"phone": "13700000000", "id_number": make_resident_id(seq=401)}[which]

    with pytest.raises(ValidationFailed) as refused:
        _reset_send(**{which: other})

    assert "没有与该身份证号和手机号相符的账户" in _field_messages(refused)["phone"]
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


def test_a_staff_account_is_not_reset_by_sms(sms_outbox: SmsOutbox, departments: Any) -> None:
    staff = make_staff(department_code="market", roles=["clerk"])
    person_create(name="王小明", id_number=ID_NUMBER, user=staff, phone=PHONE)

    with pytest.raises(ValidationFailed):
        _reset_send()

    assert sms_outbox.sent == []


def test_a_wrong_reset_code_changes_nothing(sms_outbox: SmsOutbox) -> None:
    user = _account()
    sent = _reset_send()
    wrong = f"{(int(sms_outbox.last_code(PHONE)) + 1) % 10**6:06d}"

    with pytest.raises(ValidationFailed):
        accounts.password_reset_complete(
            client=CLIENT, challenge=sent.challenge, code=wrong, password=NEW_PASSWORD
        )

    user.refresh_from_db()
    assert not user.check_password(NEW_PASSWORD)


def test_old_code_rows_are_purged_by_a_periodic_job(sms_outbox: SmsOutbox) -> None:
    _send()
    assert accounts.phone_codes_purge() == 0
    _age({}, days=1, seconds=1)

    assert accounts.phone_codes_purge() == 1
    specs = {spec.name: spec for spec in registered_periodic()}
    assert specs["phone-code-purge"].callable_path.endswith("phone_codes_purge")
