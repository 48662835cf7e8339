"""The public dashboard /stats/: headline figures, per-department table, trend, both languages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tongban.identity.models import User
from tongban.portal.tests.stats_fixtures import district_build

pytestmark = pytest.mark.django_db


def _chart(html: str, chart_id: str) -> dict[str, Any]:
    match = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html)
    assert match is not None, chart_id
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _row(html: str, attribute: str) -> list[str]:
    """The cells' texts of the table row carrying ``attribute`` (e.g. data-department="market")."""
    match = re.search(rf"<tr {attribute}>(.*?)</tr>", html, re.S)
    assert match is not None, attribute
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    ]


def test_it_shows_the_district_in_chinese_with_charts_and_their_tables(
    client: Client, departments: Any, applicant: User
) -> None:
    district_build(applicant)
    response = client.get("/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "一网通办数据看板" in html
    # Headline figures: both matters can be applied for online, 8 cases in all.
    assert re.search(r'data-kpi="online_rate">.*?100\.00%', html, re.S)
    assert re.search(r'data-kpi="cases_total">.*?<span class="kpi-value">8</span>', html, re.S)
    # Channels: the chart's data and the table beside it say the same.
    channels = _chart(html, "chart-channels")
    assert channels["type"] == "pie"
    assert channels["series"][0]["data"] == [8, 0, 0]
    assert _row(html, 'data-channel="online"') == ["网上申报", "8", "100.0%"]
    # Departments: market 5 cases (4 decided), police 3; the chart shows the two with cases.
    assert _row(html, 'data-department="market"')[:3] == ["市场监管局", "5", "4"]
    assert _row(html, 'data-department="police"')[:3] == ["公安分局", "3", "3"]
    bars = _chart(html, "chart-departments")
    assert bars["categories"] == ["市场监管局", "公安分局"]
    assert bars["series"][0]["data"] == [1.0, 1.0]
    # The trend has one row per month of the period and counts every case once.
    trend = _chart(html, "chart-trend")
    assert sum(trend["series"][0]["data"]) == 8
    assert len(trend["categories"]) == html.count("<tr data-month=")
    # Chart code is a static file; the page runs no inline script.
    assert "portal/js/dashboard.js" in html
    assert "portal/vendor/echarts.min.js" in html
    assert not re.search(r"<script>(?!\s*$)", html)


def test_it_speaks_english_after_the_language_switch(
    client: Client, departments: Any, applicant: User
) -> None:
    district_build(applicant)
    client.post("/i18n/setlang/", {"language": "en", "next": "/stats/"})
    html = client.get("/stats/").content.decode()
    assert "One-Network Service Dashboard" in html
    assert "Online application rate" in html
    assert _row(html, 'data-channel="online"') == ["Online", "8", "100.0%"]
    assert _chart(html, "chart-channels")["categories"] == ["Online", "Window", "Mobile"]
    # Department names come in English too.
    assert _row(html, 'data-department="market"')[0] == "Market Supervision Bureau"
    assert "一网通办数据看板" not in html


def test_it_shows_an_empty_district_without_failing(client: Client, db: None) -> None:
    response = client.get("/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "统计期内暂无办件。" in html
    assert _row(html, 'data-channel="online"') == ["网上申报", "0", "—"]


def test_it_is_linked_from_the_home_page_and_the_footer(client: Client, db: None) -> None:
    html = client.get("/").content.decode()
    assert html.count('href="/stats/"') == 2


def test_it_answers_only_get(client: Client, db: None) -> None:
    assert client.post("/stats/").status_code == 405
