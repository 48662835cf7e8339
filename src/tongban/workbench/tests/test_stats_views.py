"""The internal dashboard /workbench/stats/: who may see it, its filters and their refusals."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from tongban.identity.models import User
from tongban.portal.tests.stats_fixtures import District, district_build
from tongban.stats import selectors as stats_selectors
from tongban.stats.models import DailyRollup
from tongban.workbench.tests.conftest import signed_in

pytestmark = pytest.mark.django_db

URL = "/workbench/stats/"


@pytest.fixture
def district(departments: Any, applicant: User) -> District:
    return district_build(applicant)


def _html(response: Any) -> str:
    return response.content.decode()


def _kpi(html: str, name: str) -> str:
    match = re.search(rf'data-kpi="{name}">.*?<span class="kpi-value">(.*?)</span>', html, re.S)
    assert match is not None, name
    return match.group(1).strip()


# --- who may see it --------------------------------------------------------------------------


def test_it_sends_an_anonymous_visitor_to_sign_in(db: None) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_refuses_a_citizen(outsider: User) -> None:
    response = signed_in(outsider).get(URL)
    assert response.status_code == 403
    assert "工作台仅供工作人员使用" in _html(response)


@pytest.mark.parametrize("role", ["clerk", "reviewer"])
def test_it_refuses_staff_who_are_not_heads(role: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(role)
    response = signed_in(user).get(URL)
    assert response.status_code == 403
    assert "数据看板仅供中心管理员和部门负责人使用" in _html(response)
    # Nor does the navigation offer it to them.
    assert 'href="/workbench/stats/"' not in _html(signed_in(user).get("/workbench/"))


def test_the_navigation_offers_it_to_a_head(supervisor: User) -> None:
    assert 'href="/workbench/stats/"' in _html(signed_in(supervisor).get("/workbench/"))


def test_a_head_sees_their_own_department_only(district: District, approver: User) -> None:
    response = signed_in(approver).get(URL)
    assert response.status_code == 200
    html = _html(response)
    # Market's 5 cases, not the district's 8; no department table, no export.
    assert _kpi(html, "cases_total") == "5"
    assert re.findall(
        r'<option value="([^"]*)"', html.split('id="id_department"')[1].split("</select>")[0]
    ) == ["market"]
    assert 'id="table-departments"' not in html
    assert "export.xlsx" not in html
    # The overdue case of market, linked to its case page.
    assert district.overdue is not None
    assert f'href="/workbench/cases/{district.overdue.pk}/"' in html


def test_a_head_asking_for_another_department_is_refused(
    district: District, supervisor: User
) -> None:
    response = signed_in(supervisor).get(URL, {"department": "police"})
    assert response.status_code == 403
    assert "只能查看本部门的数据" in _html(response)


def test_the_center_admin_sees_the_district_and_may_export(
    district: District, center_admin: User
) -> None:
    client = signed_in(center_admin)
    response = client.get(URL)
    assert response.status_code == 200
    html = _html(response)
    assert _kpi(html, "cases_total") == "8"
    for table in ("table-trend", "table-overdue", "table-matters", "table-departments"):
        assert f'id="{table}"' in html
    for chart in ("chart-trend", "chart-matters"):
        assert f'<script id="{chart}" type="application/json">' in html
    assert re.search(r'<tr class="row-overdue" data-case="[^"]+">', html)
    # The export link is the API's, which takes this session and the same period.
    match = re.search(r'href="(/api/v1/stats/export\.xlsx\?[^"]+)"', html)
    assert match is not None
    export = client.get(match.group(1).replace("&amp;", "&"))
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(export.content))
    assert len(workbook.sheetnames) >= 2


def test_a_head_cannot_export_through_the_api(supervisor: User) -> None:
    response = signed_in(supervisor).get("/api/v1/stats/export.xlsx")
    assert response.status_code == 403


# --- filters ---------------------------------------------------------------------------------


def test_it_narrows_to_a_department_a_section_and_a_period(
    district: District, center_admin: User
) -> None:
    client = signed_in(center_admin)
    html = _html(client.get(URL, {"department": "police"}))
    assert _kpi(html, "cases_total") == "3"
    assert "没有超期未办结的办件。" in html
    assert 'id="table-departments"' not in html
    html = _html(client.get(URL, {"section": "construction"}))
    assert _kpi(html, "cases_total") == "5"
    # A period before every case: nothing in it, and the page says so.
    html = _html(client.get(URL, {"from": "2020-01-01", "to": "2020-03-31"}))
    assert _kpi(html, "cases_total") == "0"
    assert "统计期：2020-01-01 至 2020-03-31" in html
    assert "统计期内暂无办结的办件。" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-06-30", "to": "2026-06-01"}, "结束日期不能早于开始日期"),
        ({"from": "2026-02-30"}, "日期不存在"),
        ({"from": "yesterday"}, "日期格式应为 YYYY-MM-DD"),
        ({"from": "9" * 200}, "起始日期"),
        ({"department": "nowhere"}, "没有这个部门。"),
        ({"section": "x" * 500}, "没有这个板块。"),
    ],
)
def test_a_bad_filter_is_a_clear_message_and_no_change(
    params: dict[str, str], message: str, district: District, center_admin: User
) -> None:
    rows = DailyRollup.objects.count()
    response = signed_in(center_admin).get(URL, params)
    assert response.status_code == 400
    html = _html(response)
    assert 'id="filter-errors"' in html
    assert message in html
    assert "kpi-value" not in html
    assert DailyRollup.objects.count() == rows


def test_it_speaks_english(district: District, center_admin: User) -> None:
    client = signed_in(center_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    html = _html(client.get(URL))
    assert "Overdue cases to chase" in html
    assert "Slowest services" in html
    assert "Drainage Permit" in html
    html = _html(client.get(URL, {"from": "2026-06-30", "to": "2026-06-01"}))
    assert "Some filters are wrong" in html


def test_it_draws_the_funnel_and_the_themes_from_stats(
    center_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page's shaping of stats' dicts (stats' own tests check the figures themselves).
    funnel = {
        "submitted": 40,
        "accepted": 30,
        "approved": 20,
        "completed": 10,
        "accepted_rate": 0.75,
        "approved_rate": 0.5,
        "completed_rate": 0.25,
    }
    theme = {
        "code": "open-company",
        "name": "开办企业",
        "steps": 3,
        "promised_limit_days": 5,
        "applications": 40,
        "median_working_days": 4,
        "p90_working_days": 6,
    }
    monkeypatch.setattr(stats_selectors, "company_funnel", lambda *, period: {**funnel})
    monkeypatch.setattr(stats_selectors, "themes", lambda *, period: [theme])
    html = _html(signed_in(center_admin).get(URL))
    rows = re.findall(
        r'<tr data-stage="(\w+)"><th scope="row">(.*?)</th>'
        r'<td class="num">(\d+)</td><td class="num">(.*?)</td>',
        html,
    )
    assert rows == [
        ("submitted", "提交申请", "40", "100.0%"),
        ("accepted", "预审通过", "30", "75.0%"),
        ("approved", "核准", "20", "50.0%"),
        ("completed", "全部结果办出", "10", "25.0%"),
    ]
    chart = re.search(r'<script id="chart-funnel" type="application/json">(.*?)</script>', html)
    assert chart is not None
    assert json.loads(chart.group(1))["series"][0]["data"] == [40, 30, 20, 10]
    theme_row = re.search(r'<tr data-theme="open-company">(.*?)</tr>', html, re.S)
    assert theme_row is not None
    cells = [c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", theme_row.group(1))]
    assert cells == ["开办企业", "40", "3", "4", "5"]
