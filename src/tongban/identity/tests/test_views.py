from django.test import RequestFactory, override_settings

from tongban.identity.views import lockout_response


def test_the_api_lockout_is_problem_json() -> None:
    response = lockout_response(RequestFactory().post("/api/v1/auth/token"), None, {})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "900"


def test_a_page_lockout_says_how_long_in_chinese() -> None:
    response = lockout_response(RequestFactory().post("/login/"), None, {})
    assert response.status_code == 429
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "登录失败次数过多，请在 15 分钟后再试" in page
    assert "请在北京时间" in page and 'href="/search/"' in page
    assert 'class="card login-card"' in page  # the portal's styled page, not plain text


@override_settings(AXES_COOLOFF_TIME=None)
def test_a_permanent_lockout_sends_the_caller_to_an_administrator() -> None:
    response = lockout_response(RequestFactory().post("/login/"), None, {})
    assert response.status_code == 429
    assert "联系管理员" in response.content.decode()
    assert "Retry-After" not in response
