"""Self-registration and password reset through the HTTP API (/api/v1/accounts/...)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tongban.identity.models import ApiToken, Person, PhoneCode, User
from tongban.identity.services import api_token_create_for, person_create
from tongban.identity.tests.factories import make_resident_id, make_user
from tongban.identity.tests.sms_outbox import SmsOutbox

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = make_resident_id(birth=dt.date(1992, 8, 8), seq=123)
PASSWORD = "Jiading-2026-spring"


def _post(client: Client, path: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(f"/api/v1{path}", body, content_type="application/json", **extra)


def _register_code(client: Client, **overrides: str) -> Any:
    body = {"name": "王小明", "id_number": ID_NUMBER, "phone": PHONE, **overrides}
    return _post(client, "/accounts/register/code", body)


def test_a_client_registers_and_gets_a_token(api_client: Client, sms_outbox: SmsOutbox) -> None:
    sent = _register_code(api_client)
    assert sent.status_code == 202
    body = sent.json()
    assert body["phone"] == "139****5678" and set(body) == {
        "challenge",
        "phone",
        "expires_at",
        "resend_at",
    }

    done = _post(
        api_client,
        "/accounts/register",
        {"challenge": body["challenge"], "code": sms_outbox.last_code(PHONE), "password": PASSWORD},
    )

    assert done.status_code == 201
    me = api_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {done.json()['token']}")
    assert me.json()["username"] == PHONE
    assert me.json()["person"]["name"] == "王小明"


def test_a_wrong_code_is_problem_json_and_creates_nothing(
    api_client: Client, sms_outbox: SmsOutbox
) -> None:
    challenge = _register_code(api_client).json()["challenge"]
    wrong = f"{(int(sms_outbox.last_code(PHONE)) + 1) % 10**6:06d}"

    response = _post(
        api_client,
        "/accounts/register",
        {"challenge": challenge, "code": wrong, "password": PASSWORD},
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "code"
    assert not User.objects.filter(username=PHONE).exists()


def test_a_mobile_already_registered_is_a_422_on_phone(
    api_client: Client, sms_outbox: SmsOutbox
) -> None:
    make_user(username=PHONE)

    response = _register_code(api_client)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "phone", "message": "该手机号已注册，请直接登录或找回密码"}
    ]
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


def test_a_second_code_too_soon_is_a_429(api_client: Client, sms_outbox: SmsOutbox) -> None:
    _register_code(api_client)

    response = _register_code(api_client)

    assert response.status_code == 429
    assert response.json()["type"].endswith("too-many-attempts")
    assert len(sms_outbox.sent) == 1


def test_a_gateway_failure_is_a_503(api_client: Client, sms_outbox: SmsOutbox) -> None:
    sms_outbox.down = True

    response = _register_code(api_client)

    assert response.status_code == 503
    assert PhoneCode.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": "王" * 51, "id_number": ID_NUMBER, "phone": PHONE},
        {"name": "王小明", "id_number": ID_NUMBER, "phone": 13912345678},
        {"name": "王小明", "id_number": ID_NUMBER},
        {"name": "王小明\x00", "id_number": ID_NUMBER, "phone": PHONE},
    ],
)
def test_malformed_bodies_are_refused(
    api_client: Client, sms_outbox: SmsOutbox, body: dict[str, Any]
) -> None:
    response = _post(api_client, "/accounts/register/code", body)

    assert response.status_code in {400, 422}
    assert PhoneCode.objects.count() == 0 and sms_outbox.sent == []


def test_a_password_reset_through_the_api_ends_the_old_tokens(
    api_client: Client, sms_outbox: SmsOutbox
) -> None:
    user = make_user(username="wangxm")
    person_create(name="王小明", id_number=ID_NUMBER, user=user, phone=PHONE)
    old_token, _expires = api_token_create_for(user=user)

    sent = _post(
        api_client, "/accounts/password-reset/code", {"id_number": ID_NUMBER, "phone": PHONE}
    )
    assert sent.status_code == 202
    done = _post(
        api_client,
        "/accounts/password-reset",
        {
            "challenge": sent.json()["challenge"],
            "code": sms_outbox.last_code(PHONE),
            "password": "Anting-2027-autumn",
        },
    )

    assert done.status_code == 204
    assert api_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {old_token}").status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()
    token = _post(
        api_client, "/auth/token", {"username": "wangxm", "password": "Anting-2027-autumn"}
    )
    assert token.status_code == 200
    assert Person.objects.get(user=user).id_number == ID_NUMBER


def test_the_operations_document_their_answers(api_client: Client) -> None:
    paths = api_client.get("/api/v1/openapi.json").json()["paths"]

    assert {"202", "422", "429", "503"} <= set(
        paths["/api/v1/accounts/register/code"]["post"]["responses"]
    )
    assert {"201", "422", "429"} <= set(paths["/api/v1/accounts/register"]["post"]["responses"])
    assert "503" in paths["/api/v1/accounts/password-reset/code"]["post"]["responses"]
    assert "204" in paths["/api/v1/accounts/password-reset"]["post"]["responses"]
