"""The public verification page in a real Chromium, desktop and phone: a genuine certificate,
and one whose holder was changed by SQL (screenshots under test-artifacts/verify-*.png)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connection

from tongban.certificates.models import Certificate
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

FORGED = "冒名顶替有限公司"


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_the_page_shows_signed_facts_or_what_is_wrong(
    browser: Any, live_server: Any, certificate: Certificate, viewport: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", **(DESKTOP if viewport == "desktop" else MOBILE))
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{live_server.url}/verify/{certificate.number}/")
        expect(page.get_by_test_id("verdict")).to_have_text("有效")
        expect(page.get_by_text("EdDSA")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"verify-valid-{viewport}.png"), full_page=True)

        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Certificate._meta.db_table} SET holder_name = %s WHERE id = %s",  # noqa: S608
                [FORGED, certificate.pk],
            )
        page.goto(f"{live_server.url}/verify/{certificate.number}/")
        expect(page.get_by_test_id("verdict")).to_have_text("无效")
        expect(page.get_by_test_id("verdict-reason")).to_contain_text("持证主体")
        assert FORGED not in page.content()
        page.screenshot(path=str(ARTIFACTS / f"verify-tampered-{viewport}.png"), full_page=True)
        # Nothing wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
