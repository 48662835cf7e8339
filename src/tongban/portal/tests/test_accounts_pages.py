"""The register and password-reset pages over HTTP: every bad input a clear error, no change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tongban.identity import services_accounts as accounts
from tongban.identity.models import Person, PhoneCode, User
from tongban.identity.services import person_create
from tongban.identity.tests.factories import make_person, make_resident_id, make_user
from tongban.identity.tests.sms_outbox import SmsOutbox

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = make_resident_id(birth=dt.date(1992, 8, 8), seq=123)
PASSWORD = "Jiading-2026-spring"
NEW_PASSWORD = "Anting-2027-autumn"
STEP_1 = {"name": "王小明", "id_number": ID_NUMBER, "phone": PHONE}


def _nothing_created() -> None:
    assert not User.objects.filter(username=PHONE).exists()
    assert not Person.objects.filter(id_number=ID_NUMBER, user__isnull=False).exists()


def _registered_code(client: Client, sms_outbox: SmsOutbox) -> str:
    response = client.post("/register/", STEP_1)
    assert response.status_code == 302 and response["Location"] == "/register/verify/"
    return sms_outbox.last_code(PHONE)


def _verify(client: Client, code: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post(
        "/register/verify/", {"code": code, "password": password, "password2": password, **extra}
    )


def test_a_citizen_registers_and_lands_signed_in_in_their_space(
    client: Client, sms_outbox: SmsOutbox
) -> None:
    page = client.get("/register/").content.decode()
    assert 'name="id_number"' in page and 'autocomplete="tel-national"' in page

    code = _registered_code(client, sms_outbox)
    verify = client.get("/register/verify/").content.decode()
    assert "139****5678" in verify and 'autocomplete="one-time-code"' in verify
    response = _verify(client, code)

    assert response.status_code == 302 and response["Location"] == "/my/cases/"
    space = client.get("/my/cases/")
    assert space.status_code == 200
    assert "注册成功" in space.content.decode() or space.wsgi_request.user.username == PHONE
    assert space.wsgi_request.user.username == PHONE
    assert Person.objects.get(user__username=PHONE).id_number == ID_NUMBER


@pytest.mark.parametrize(
    ("setup", "field", "message"),
    [
        ("mobile", "phone", "该手机号已注册，请直接登录或找回密码"),
        ("id", "id_number", "该身份证号已注册，请直接登录或找回密码"),
    ],
)
def test_a_mobile_or_id_already_registered_is_a_clear_error(
    client: Client, sms_outbox: SmsOutbox, setup: str, field: str, message: str
) -> None:
    if setup == "mobile":
        make_user(username=PHONE)
    else:
        make_person(user=make_user(), id_number=ID_NUMBER)
    users = User.objects.count()

    response = client.post("/register/", STEP_1)

    assert response.status_code == 422
    page = response.content.decode()
    # The GOV.UK-style summary links to the field, which shows the message too.
    assert f'href="#id_{field}"' in page and page.count(message) == 2
    assert 'aria-invalid="true"' in page
    assert User.objects.count() == users and PhoneCode.objects.count() == 0
    assert sms_outbox.sent == []


def test_a_wrong_check_digit_is_refused(client: Client, sms_outbox: SmsOutbox) -> None:
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")

    response = client.post("/register/", {**STEP_1, "id_number": bad})

    assert response.status_code == 422
    assert "身份证号校验码错误" in response.content.decode()
    assert f'value="{bad}"' in response.content.decode()  # what was typed stays
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


@pytest.mark.parametrize(
    "values",
    [
        {"name": "王" * 5000},
        {"phone": "1" * 5000},
        {"id_number": "9" * 100_000},
        {"phone": "+86 139 1234 5678 0"},
    ],
)
def test_oversized_or_malformed_input_is_refused(
    client: Client, sms_outbox: SmsOutbox, values: dict[str, str]
) -> None:
    response = client.post("/register/", {**STEP_1, **values})

    assert response.status_code in {400, 413, 422}
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


@pytest.mark.parametrize("field", ["name", "id_number", "phone"])
def test_a_nul_byte_is_refused(client: Client, sms_outbox: SmsOutbox, field: str) -> None:
    response = client.post("/register/", {**STEP_1, field: STEP_1[field] + "\x00"})

    assert response.status_code == 400
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


def test_a_nul_byte_in_the_code_is_refused(client: Client, sms_outbox: SmsOutbox) -> None:
    code = _registered_code(client, sms_outbox)

    response = _verify(client, code + "\x00")

    assert response.status_code == 400
    _nothing_created()


def test_a_wrong_code_is_a_clear_error(client: Client, sms_outbox: SmsOutbox) -> None:
    code = _registered_code(client, sms_outbox)

    response = _verify(client, f"{(int(code) + 1) % 10**6:06d}")

    assert response.status_code == 422
    assert "验证码不正确，还可以再试 4 次" in response.content.decode()
    _nothing_created()


def test_an_expired_code_is_a_clear_error(
    client: Client, sms_outbox: SmsOutbox, settings: Any
) -> None:
    code = _registered_code(client, sms_outbox)
    PhoneCode.objects.update(expires_at=PhoneCode.objects.get().created_at)

    response = _verify(client, code)

    assert response.status_code == 422
    assert "验证码已过期" in response.content.decode()
    _nothing_created()


def test_a_reused_code_is_a_clear_error(client: Client, sms_outbox: SmsOutbox) -> None:
    code = _registered_code(client, sms_outbox)
    pending = client.session["register"]
    accounts.registration_complete(
        client="127.0.0.1", challenge=pending["challenge"], code=code, password=PASSWORD
    )
    users = User.objects.count()

    response = _verify(client, code)

    assert response.status_code == 422
    assert "验证码已使用" in response.content.decode()
    assert User.objects.count() == users


def test_two_passwords_that_differ_are_refused_before_the_code_is_tried(
    client: Client, sms_outbox: SmsOutbox
) -> None:
    code = _registered_code(client, sms_outbox)

    response = _verify(client, code, password2="something-else-2026")

    assert response.status_code == 422
    assert "两次输入的密码不一致" in response.content.decode()
    assert PhoneCode.objects.get().attempts == 0
    _nothing_created()


def test_too_many_sends_is_a_clear_429(client: Client, sms_outbox: SmsOutbox) -> None:
    _registered_code(client, sms_outbox)

    response = client.post("/register/", STEP_1)

    assert response.status_code == 429
    assert "秒后重新获取" in response.content.decode()
    assert PhoneCode.objects.count() == 1 and len(sms_outbox.sent) == 1


def test_resend_on_the_code_page_is_throttled_too(client: Client, sms_outbox: SmsOutbox) -> None:
    _registered_code(client, sms_outbox)

    response = client.post("/register/verify/", {"action": "resend"})

    assert response.status_code == 429
    assert "秒后重新获取" in response.content.decode()
    assert len(sms_outbox.sent) == 1


def test_a_gateway_failure_is_a_clear_503(client: Client, sms_outbox: SmsOutbox) -> None:
    sms_outbox.down = True

    response = client.post("/register/", STEP_1)

    assert response.status_code == 503
    assert "短信验证码发送失败，请稍后重试" in response.content.decode()
    assert PhoneCode.objects.count() == 0


def test_the_code_page_without_a_first_step_goes_back_to_it(client: Client) -> None:
    assert client.get("/register/verify/")["Location"] == "/register/"
    assert client.get("/password-reset/verify/")["Location"] == "/password-reset/"


def test_the_login_and_lockout_pages_lead_to_the_password_reset(client: Client) -> None:
    login = client.get("/login/").content.decode()
    assert 'href="/password-reset/"' in login and 'href="/register/"' in login


def test_a_password_reset_ends_other_sessions_and_the_new_password_signs_in(
    client: Client, sms_outbox: SmsOutbox
) -> None:
    user = make_user(username="wangxm")
    person_create(name="王小明", id_number=ID_NUMBER, user=user, phone=PHONE)
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get("/my/cases/").status_code == 200

    response = client.post("/password-reset/", {"id_number": ID_NUMBER, "phone": PHONE})
    assert response["Location"] == "/password-reset/verify/"
    code = sms_outbox.last_code(PHONE)
    response = client.post(
        "/password-reset/verify/",
        {"code": code, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "密码已重置" in client.get("/login/").content.decode()
    assert elsewhere.get("/my/cases/").status_code == 302  # signed out
    signed_in = client.post("/login/", {"username": "wangxm", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_a_reset_for_an_unknown_pair_changes_nothing(client: Client, sms_outbox: SmsOutbox) -> None:
    response = client.post("/password-reset/", {"id_number": ID_NUMBER, "phone": PHONE})

    assert response.status_code == 422
    assert "没有与该身份证号和手机号相符的账户" in response.content.decode()
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


def test_the_pages_read_in_english(client: Client, sms_outbox: SmsOutbox) -> None:
    client.cookies["django_language"] = "en"
    page = client.get("/register/", headers={"accept-language": "en"}).content.decode()
    assert "Register" in page and "ID number" in page
    response = client.post("/register/", {**STEP_1, "phone": "123"})
    assert "mainland" in response.content.decode()


def test_a_locked_out_citizen_resets_the_password_and_signs_in_at_once(
    client: Client, sms_outbox: SmsOutbox, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    user = make_user(username="wangxm")
    person_create(name="王小明", id_number=ID_NUMBER, user=user, phone=PHONE)
    for _ in range(3):
        client.post("/login/", {"username": "wangxm", "password": "wrong"})
    locked = client.post("/login/", {"username": "wangxm", "password": "wrong"})
    assert locked.status_code == 429
    assert 'href="/password-reset/"' in locked.content.decode()

    client.post("/password-reset/", {"id_number": ID_NUMBER, "phone": PHONE})
    client.post(
        "/password-reset/verify/",
        {"code": sms_outbox.last_code(PHONE), "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    signed_in = client.post("/login/", {"username": "wangxm", "password": NEW_PASSWORD})

    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
