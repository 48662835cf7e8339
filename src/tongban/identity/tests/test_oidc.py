"""Sign-in through the unified identity (统一身份认证) against the sandbox OIDC provider.

The provider runs as its own process (tongban.conftest.identity_provider_process); the
browser's part is played by ``requests`` on the provider and Django's test client on the
portal, so every token, key and redirect is the real one.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tongban.conftest import IdentityProvider
from tongban.demo.district import district_read
from tongban.identity import services
from tongban.identity.models import Agent, Enterprise, Person, User
from tongban.identity.numbers import resident_id_make
from tongban.sandbox.identity_provider import DEMO_SUBJECTS

pytestmark = pytest.mark.django_db

SUBJECTS = {s["sub"]: s for s in DEMO_SUBJECTS}
NEWCOMER = SUBJECTS["sbx-newcomer"]
CITIZEN = SUBJECTS["sbx-citizen"]
AGENT = SUBJECTS["sbx-agent"]


def _start(client: Client, next_path: str = "/my/cases/") -> str:
    """Press the button: the portal sends the browser to the provider's authorization page."""
    response = client.get("/login/oidc/", {"next": next_path})
    assert response.status_code == 302, response.content
    return str(response["Location"])


def _provider_answers(authorize_url: str, *, subject: str = "", cancel: bool = False) -> str:
    """The person picks a subject (or cancels) on the provider's page; the callback URL."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text
    assert "统一身份认证" in page.text
    form = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    if cancel:
        form["cancel"] = "1"
    else:
        form["subject"] = subject
    base = authorize_url.split("/authorize", 1)[0]
    answer = requests.post(f"{base}/authorize", data=form, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def _callback(client: Client, callback_url: str) -> Any:
    parts = urllib.parse.urlsplit(callback_url)
    assert parts.path == "/login/oidc/callback/"
    return client.get(parts.path, dict(urllib.parse.parse_qsl(parts.query)))


def _sign_in(client: Client, subject: dict[str, str]) -> Any:
    return _callback(client, _provider_answers(_start(client), subject=subject["sub"]))


def _signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Person.objects.count(),
        Enterprise.objects.count(),
        Agent.objects.count(),
    )


def _assert_refused(response: Any, kind: str, text: str) -> None:
    content = response.content.decode()
    assert response.status_code in (400, 403, 422, 502), content
    assert f'data-oidc-error="{kind}"' in content, content
    assert text in content
    assert "没有创建或修改任何账户" in content


# --- the button ---------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_unified_identity_when_configured(
    identity_provider: IdentityProvider, settings: Any
) -> None:
    page = Client().get("/login/?next=/my/cases/")
    assert "统一身份认证登录" in page.content.decode()
    assert "/login/oidc/?next=/my/cases/" in page.content.decode()

    settings.OIDC_ISSUER = ""
    page = Client().get("/login/")
    assert "统一身份认证登录" not in page.content.decode()
    assert Client().get("/login/oidc/")["Location"] == "/login/"


def test_the_authorization_request_carries_state_nonce_and_pkce(
    identity_provider: IdentityProvider,
) -> None:
    url = _start(Client())
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert url.startswith(identity_provider.url + "/authorize?")
    assert query["response_type"] == "code"
    assert query["client_id"] == "tongban-test"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["code_challenge"] and "code_verifier" not in query
    assert query["redirect_uri"] == "http://testserver/login/oidc/callback/"


# --- who signs in -------------------------------------------------------------------------


def test_a_new_person_signs_in_and_gets_a_person_and_an_account(
    identity_provider: IdentityProvider,
) -> None:
    client = Client()

    response = _sign_in(client, NEWCOMER)

    assert response.status_code == 302
    assert response["Location"] == "/my/cases/"
    person = Person.objects.get(id_number=NEWCOMER["id_number"])
    assert person.name == "孙丽"
    user = _signed_in_user(client)
    assert user is not None and person.user == user
    assert user.first_name == "孙丽"
    assert not user.has_usable_password()
    me = client.get("/api/v1/me").json()
    assert me["person"]["name"] == "孙丽"
    assert me["enterprises"] == []

    # Signing in again finds the same person and account.
    again = Client()
    _sign_in(again, NEWCOMER)
    assert _signed_in_user(again) == user
    assert Person.objects.filter(id_number=NEWCOMER["id_number"]).count() == 1


def test_an_existing_person_is_linked_not_duplicated(
    identity_provider: IdentityProvider,
) -> None:
    local = services.user_create(username="zhangwei", password="local-pass-2026")
    services.person_create(name="张伟", id_number=CITIZEN["id_number"], user=local)
    before = _counts()
    client = Client()

    _sign_in(client, CITIZEN)

    assert _signed_in_user(client) == local
    assert _counts() == before
    assert client.get("/api/v1/me").json()["username"] == "zhangwei"


def test_a_walk_in_person_without_an_account_takes_it_over(
    identity_provider: IdentityProvider,
) -> None:
    walk_in = SUBJECTS["sbx-walk-in"]
    person = services.person_create(name="陈建国", id_number=walk_in["id_number"])
    client = Client()

    _sign_in(client, walk_in)

    person.refresh_from_db()
    assert person.user is not None
    assert _signed_in_user(client) == person.user
    assert Person.objects.count() == 1


def test_an_agent_signs_in_and_acts_for_the_enterprise(
    identity_provider: IdentityProvider,
) -> None:
    client = Client()

    _sign_in(client, AGENT)

    user = _signed_in_user(client)
    assert user is not None
    enterprise = Enterprise.objects.get(uscc=AGENT["credit_code"])
    assert enterprise.name == AGENT["enterprise_name"]
    assert Agent.objects.filter(user=user, enterprise=enterprise, revoked=False).exists()
    me = client.get("/api/v1/me").json()
    assert me["person"]["name"] == "王芳"
    assert me["enterprises"] == [{"uscc": AGENT["credit_code"], "name": AGENT["enterprise_name"]}]


def test_a_known_enterprise_is_linked_and_a_revoked_authorisation_stays_revoked(
    identity_provider: IdentityProvider,
) -> None:
    enterprise = services.enterprise_create(uscc=AGENT["credit_code"], name="上海嘉通餐饮")
    first = Client()
    _sign_in(first, AGENT)
    user = _signed_in_user(first)
    assert user is not None
    services.agent_revoke(user=user, enterprise=enterprise)

    second = Client()
    _sign_in(second, AGENT)

    assert Enterprise.objects.count() == 1
    assert Enterprise.objects.get().name == "上海嘉通餐饮"
    assert second.get("/api/v1/me").json()["enterprises"] == []


def test_staff_sign_in_stays_local(identity_provider: IdentityProvider, departments: Any) -> None:
    staff = services.staff_create(
        username="clerk-zw", password="local-pass-2026", department_code="market", roles=["clerk"]
    )
    services.person_create(name="张伟", id_number=CITIZEN["id_number"], user=staff)
    before = _counts()
    client = Client()

    response = _sign_in(client, CITIZEN)

    _assert_refused(response, "claims", "工作人员请使用本地账号登录工作台")
    assert _signed_in_user(client) is None
    assert _counts() == before


# --- refusals -----------------------------------------------------------------------------


def test_a_tampered_id_token_is_refused(identity_provider: IdentityProvider) -> None:
    identity_provider.switch(tamper=True)
    client = Client()

    response = _sign_in(client, NEWCOMER)

    _assert_refused(response, "signature", "身份令牌签名无效")
    assert _signed_in_user(client) is None
    assert _counts() == (0, 0, 0, 0)


def test_a_wrong_check_digit_in_the_claims_is_refused(
    identity_provider: IdentityProvider,
) -> None:
    good = resident_id_make(area="310114", birth=dt.date(1990, 5, 6), sequence=12)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    identity_provider.switch(id_number=bad)
    client = Client()

    response = _sign_in(client, NEWCOMER)

    _assert_refused(response, "claims", "统一身份认证提供的身份证号无效")
    assert "校验码" in response.content.decode()
    assert _signed_in_user(client) is None
    assert _counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("switches", "kind", "text"),
    [
        ({"audience": "another-client"}, "aud", "不是签发给本系统的"),
        ({"issuer": "https://idp.example.org"}, "iss", "不是签发给本系统的"),
        ({"expired": True}, "expired", "身份令牌已过期"),
        ({"wrong_nonce": True}, "nonce", "nonce 不符"),
    ],
)
def test_a_token_for_someone_else_or_out_of_date_is_refused(
    identity_provider: IdentityProvider, switches: dict[str, Any], kind: str, text: str
) -> None:
    identity_provider.switch(**switches)
    client = Client()

    response = _sign_in(client, NEWCOMER)

    _assert_refused(response, kind, text)
    assert _signed_in_user(client) is None
    assert _counts() == (0, 0, 0, 0)


def test_a_replayed_callback_is_refused(identity_provider: IdentityProvider) -> None:
    client = Client()
    callback = _provider_answers(_start(client), subject=NEWCOMER["sub"])
    _callback(client, callback)
    client.post("/logout/")
    assert _signed_in_user(client) is None
    before = _counts()

    response = _callback(client, callback)

    _assert_refused(response, "state", "state 不符")
    assert _signed_in_user(client) is None
    assert _counts() == before


def test_a_callback_from_another_browser_is_refused(identity_provider: IdentityProvider) -> None:
    callback = _provider_answers(_start(Client()), subject=NEWCOMER["sub"])
    stranger = Client()

    response = _callback(stranger, callback)

    _assert_refused(response, "state", "state 不符")
    assert _counts() == (0, 0, 0, 0)


def test_a_cancelled_sign_in_says_so(identity_provider: IdentityProvider) -> None:
    client = Client()

    response = _callback(client, _provider_answers(_start(client), cancel=True))

    _assert_refused(response, "cancelled", "您已取消统一身份认证登录")
    assert _counts() == (0, 0, 0, 0)


def test_an_unreachable_provider_says_so(settings: Any) -> None:
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_CLIENT_ID = "tongban-test"
    settings.OIDC_TIMEOUT_SECONDS = 2

    response = Client().get("/login/oidc/")

    assert response.status_code == 502
    _assert_refused(response, "unreachable", "统一身份认证服务暂时无法连接")


def test_bad_callback_parameters_are_refused(identity_provider: IdentityProvider) -> None:
    # A NUL never reaches the view: the input boundary refuses it with the styled 400 page.
    response = Client().get("/login/oidc/callback/", {"state": "a\x00b", "code": "x"})
    assert response.status_code == 400 and "请求含有无效字符" in response.content.decode()
    response = Client().get("/login/oidc/callback/", {"state": "x" * 5000, "code": "x"})

    _assert_refused(response, "malformed", "登录回调参数无效")


def test_an_english_reader_gets_the_refusal_in_english(
    identity_provider: IdentityProvider,
) -> None:
    client = Client(headers={"accept-language": "en"})

    response = _callback(client, _provider_answers(_start(client), cancel=True))

    content = response.content.decode()
    assert "You cancelled the sign-in with the unified identity" in content
    assert "No account was created or changed" in content


# --- sign-out and the sandbox command -----------------------------------------------------


def test_sign_out_also_ends_the_provider_session(identity_provider: IdentityProvider) -> None:
    client = Client()
    _sign_in(client, NEWCOMER)

    response = client.post("/logout/")

    assert _signed_in_user(client) is None
    location = response["Location"]
    assert location.startswith(identity_provider.url + "/logout?")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert query["post_logout_redirect_uri"] == "http://testserver/"
    assert query["id_token_hint"].count(".") == 2
    back = requests.get(location, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://testserver/"


def test_a_local_sign_out_stays_local(identity_provider: IdentityProvider) -> None:
    user = services.user_create(username="local", password="local-pass-2026")
    client = Client()
    client.force_login(user)

    response = client.post("/logout/")

    assert response["Location"] == "/"


def test_the_sandbox_provider_is_refused_in_production(settings: Any) -> None:
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="生产环境"):
        call_command("identity", "sandbox", "--port", "0")


def test_the_sandbox_subjects_are_the_demo_people() -> None:
    district = district_read()
    people = {p["id_number"]: p["name"] for p in district.people}
    known = [s for s in DEMO_SUBJECTS if s["sub"] != "sbx-newcomer"]
    assert all(people[s["id_number"]] == s["name"] for s in known)
    assert NEWCOMER["id_number"] not in people
    agent_firm = district.demo_enterprise
    assert (AGENT["credit_code"], AGENT["enterprise_name"]) == (
        agent_firm["uscc"],
        agent_firm["name"],
    )
