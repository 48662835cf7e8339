import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tongban.conftest import APPLICANT_ID_NUMBER, CAST_PASSWORD
from tongban.identity.models import ApiToken, User

pytestmark = pytest.mark.django_db

Bearer = Callable[[User], dict[str, str]]


def _token(client: Client, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def test_it_issues_a_token_for_good_credentials(api_client: Client, applicant: User) -> None:
    response = _token(api_client, "zhangsan", CAST_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert len(body["token"]) >= 40
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(hours=11) < expires_at - timezone.now() <= dt.timedelta(hours=12)
    me = api_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    assert me.json()["username"] == "zhangsan"


def test_it_refuses_a_wrong_password_with_problem_json(api_client: Client, applicant: User) -> None:
    response = _token(api_client, "zhangsan", "wrong-password")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401
    assert body["type"] == "/problems/authentication-failed"
    assert body["errors"] == [{"field": "password", "message": "用户名或密码错误"}]
    assert not ApiToken.objects.exists()


def test_it_refuses_an_unknown_user_like_a_wrong_password(api_client: Client, db: None) -> None:
    response = _token(api_client, "nobody", "whatever")
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "password"


def test_it_refuses_an_inactive_user(api_client: Client, applicant: User) -> None:
    User.objects.filter(pk=applicant.pk).update(is_active=False)
    assert _token(api_client, "zhangsan", CAST_PASSWORD).status_code == 401


def test_it_asks_for_missing_fields(api_client: Client, db: None) -> None:
    response = api_client.post(
        "/api/v1/auth/token", {"username": "zhangsan"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "password", "message": "此项为必填项"}]


def test_it_refuses_an_empty_password(api_client: Client, db: None) -> None:
    response = _token(api_client, "zhangsan", "")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"


def test_it_refuses_a_body_that_is_not_json(api_client: Client, db: None) -> None:
    response = api_client.post(
        "/api/v1/auth/token", "username=zhangsan", content_type="application/json"
    )
    assert 400 <= response.status_code < 500


def test_it_locks_sign_in_after_five_failures(api_client: Client, applicant: User) -> None:
    statuses = [_token(api_client, "zhangsan", f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]

    # Even the right password is refused while the lock lasts.
    response = _token(api_client, "zhangsan", CAST_PASSWORD)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429
    assert "15 分钟" in body["detail"]
    assert body["errors"][0]["field"] == "password"
    assert response["Retry-After"] == "900"
    assert not ApiToken.objects.exists()


def test_the_lock_is_per_username_and_address(
    api_client: Client, applicant: User, outsider: User
) -> None:
    for i in range(5):
        _token(api_client, "zhangsan", f"wrong-{i}")
    assert _token(api_client, "wangwu", CAST_PASSWORD).status_code == 200
    other_address = _token(api_client, "zhangsan", CAST_PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 200


def test_a_success_resets_the_failure_count(api_client: Client, applicant: User) -> None:
    for i in range(4):
        _token(api_client, "zhangsan", f"wrong-{i}")
    assert _token(api_client, "zhangsan", CAST_PASSWORD).status_code == 200
    assert _token(api_client, "zhangsan", "wrong-again").status_code == 401


def test_me_refuses_an_anonymous_caller(api_client: Client, db: None) -> None:
    response = api_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_me_refuses_an_unknown_token(api_client: Client, db: None) -> None:
    response = api_client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer made-up")
    assert response.status_code == 401


def test_me_refuses_an_expired_token(api_client: Client, applicant: User, bearer: Bearer) -> None:
    headers = bearer(applicant)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert api_client.get("/api/v1/me", **headers).status_code == 401


def test_me_shows_the_person_with_masked_numbers(
    api_client: Client, applicant: User, bearer: Bearer
) -> None:
    response = api_client.get("/api/v1/me", **bearer(applicant))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "username": "zhangsan",
        "person": {
            "name": "张三",
            "id_number": "310***********" + APPLICANT_ID_NUMBER[-4:],
            "phone": "138****1234",
        },
        "enterprises": [],
        "staff": None,
    }
    assert APPLICANT_ID_NUMBER not in json.dumps(body)


def test_me_lists_the_enterprise_of_an_agent(
    api_client: Client,
    agent_user: User,
    enterprise,
    bearer: Bearer,  # type: ignore[no-untyped-def]
) -> None:
    body = api_client.get("/api/v1/me", **bearer(agent_user)).json()
    assert body["enterprises"] == [{"uscc": enterprise.uscc, "name": "上海通办示范科技有限公司"}]


def test_an_outsider_sees_no_enterprises(
    api_client: Client, outsider: User, agent_user: User, bearer: Bearer
) -> None:
    body = api_client.get("/api/v1/me", **bearer(outsider)).json()
    assert body["enterprises"] == []
    assert body["staff"] is None


def test_me_shows_the_department_and_roles_of_staff(
    api_client: Client, clerk: User, police_clerk: User, bearer: Bearer
) -> None:
    body = api_client.get("/api/v1/me", **bearer(clerk)).json()
    assert body["person"] is None
    assert body["staff"] == {
        "department": "market",
        "department_name": "市场监管局",
        "roles": ["clerk"],
    }
    assert api_client.get("/api/v1/me", **bearer(police_clerk)).json()["staff"]["department"] == (
        "police"
    )


def test_me_answers_in_english_for_the_english_locale(
    api_client: Client, approver: User, bearer: Bearer
) -> None:
    body = api_client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en", **bearer(approver)).json()
    assert body["staff"]["department_name"] == "Market Supervision Bureau"
    assert body["staff"]["roles"] == ["approver"]


def test_me_accepts_the_web_session(api_client: Client, reviewer: User) -> None:
    api_client.force_login(reviewer)
    response = api_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["staff"]["roles"] == ["reviewer"]
