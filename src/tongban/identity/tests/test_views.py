import pytest
from django.test import RequestFactory, override_settings

from tongban.identity.views import lockout_response


def test_the_api_lockout_is_problem_json() -> None:
    response = lockout_response(RequestFactory().post("/api/v1/auth/token"), None, {})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "900"


@pytest.mark.django_db
def test_a_page_lockout_says_how_long_in_chinese() -> None:
    response = lockout_response(RequestFactory().post("/login/"), None, {})
    assert response.status_code == 429
    text = response.content.decode()
    # The styled page of the portal, with the time to wait and a way back.
    assert "登录失败次数过多，请在 15 分钟后再试" in text
    assert "<html" in text and "返回首页" in text and "12345" in text


@pytest.mark.django_db
@override_settings(AXES_COOLOFF_TIME=None)
def test_a_permanent_lockout_sends_the_caller_to_an_administrator() -> None:
    response = lockout_response(RequestFactory().post("/login/"), None, {})
    assert response.status_code == 429
    assert "联系管理员" in response.content.decode()
    assert "Retry-After" not in response
