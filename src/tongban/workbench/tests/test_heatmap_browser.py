"""The heat map page in a real Chromium after `tongban simulate`: the diagram coloured, the
counts on it, a node clicked for its waiting cases; desktop and phone screenshots are saved
under test-artifacts/heatmap-*.png."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from tongban.demo.loader import demo_load
from tongban.portal.tests.conftest import ARTIFACTS, DESKTOP, MOBILE
from tongban.workflow.models import NodeVisit

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PATH = "/workbench/processes/standard_approval/heatmap/"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"heatmap-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _signed_in_page(browser: Any, base: str, options: dict[str, Any]) -> Any:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/login/?next={PATH}")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("demo-pass-2026")
    page.get_by_role("button", name="登录", exact=True).last.click()
    page.wait_for_url(f"**{PATH}")
    page.errors = errors
    return page


def test_the_heat_map_after_a_simulated_quarter(browser: Any, live_server: Any) -> None:
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        demo_load()
    call_command("simulate", "--cases", "40", "--days", "60", "--seed", "7", stdout=io.StringIO())
    waiting = set(
        NodeVisit.objects.filter(
            definition__name="standard_approval", left_at__isnull=True, node_type="UserTask"
        ).values_list("node", flat=True)
    )
    assert NodeVisit.objects.filter(definition__name="standard_approval").exists()

    page = _signed_in_page(browser, live_server.url, DESKTOP)
    canvas = page.locator(".heatmap-canvas.is-drawn")
    expect(canvas).to_be_visible()
    # The nodes are coloured and the flows carry their counts.
    assert page.locator(".heatmap-canvas .djs-element[class*='heat-']").count() > 5
    expect(page.locator(".heatmap-canvas .heat-flow").first).to_be_visible()
    # The default period (12 months) counts passes from the daily rollup, not distinct cases:
    # the cases column says "—" and the page says why.
    cells = page.locator("#heatmap-nodes tr[data-node='accept'] td.num")
    assert cells.nth(0).inner_text() == "—"
    assert int(cells.nth(1).inner_text()) > 0
    expect(page.locator("#heatmap-no-distinct")).to_contain_text("92")
    if waiting:
        node = sorted(waiting)[0]
        page.locator(f".heatmap-canvas g.djs-element[data-element-id='{node}']").click()
        listed = page.locator("#waiting-list")
        expect(listed).to_be_visible()
        assert re.search(r"JD\d+", listed.inner_text())
    _shot(page, "desktop")
    page.select_option("[data-heat-mode]", "dwell")
    expect(page.locator(".heatmap-canvas .heat-dwell").first).to_be_visible()
    _shot(page, "desktop-dwell")
    assert page.errors == []
    page.context.close()

    phone = _signed_in_page(browser, live_server.url, MOBILE)
    expect(phone.locator(".heatmap-canvas.is-drawn")).to_be_visible()
    expect(phone.locator("#heatmap-nodes")).to_be_visible()
    _shot(phone, "phone")
    assert phone.errors == []
    phone.context.close()
