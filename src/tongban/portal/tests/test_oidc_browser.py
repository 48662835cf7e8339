"""Sign-in through the unified identity (统一身份认证) in a real Chromium.

The portal runs as a live server and the sandbox OpenID Connect provider as its own
process; pages are saved under test-artifacts/oidc-*.png.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tongban.conftest import IdentityProvider
from tongban.identity.models import Agent, Person, User
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"oidc-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_an_agent_signs_in_with_the_unified_identity(
    viewport: str, browser: Any, live_server: Any, identity_provider: IdentityProvider
) -> None:
    context = browser.new_context(locale="zh-CN", **(DESKTOP if viewport == "desktop" else MOBILE))
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/?next=/my/cases/")
        button = page.get_by_role("link", name="统一身份认证登录")
        expect(button).to_be_visible()
        _shot(page, f"{viewport}-1-login")

        button.click()
        page.wait_for_url(f"{identity_provider.url}/authorize?*")
        expect(page.get_by_role("heading", level=1)).to_contain_text("统一身份认证")
        _shot(page, f"{viewport}-2-provider")

        page.get_by_role("button", name="王芳").click()
        page.wait_for_url("**/my/cases/")
        expect(page.locator(".user-name")).to_have_text("王芳")
        _shot(page, f"{viewport}-3-signed-in")
        user = User.objects.get(first_name="王芳")
        assert Person.objects.get(user=user).id_number == "310114198511230469"
        assert Agent.objects.filter(user=user, enterprise__uscc="91310114MA1GU3K88G").exists()

        page.get_by_role("button", name="退出").click()
        page.wait_for_url(f"{live_server.url}/")
        expect(page.get_by_role("link", name="登录").first).to_be_visible()

        # A tampered ID token: a clear refusal, nobody signed in, nothing created.
        identity_provider.switch(tamper=True)
        page.goto(f"{live_server.url}/login/")
        page.get_by_role("link", name="统一身份认证登录").click()
        page.get_by_role("button", name="孙丽").click()
        page.wait_for_url("**/login/oidc/callback/*")
        expect(page.get_by_role("alert")).to_contain_text("身份令牌签名无效")
        _shot(page, f"{viewport}-4-tampered")
        assert not Person.objects.filter(name="孙丽").exists()
    finally:
        context.close()
