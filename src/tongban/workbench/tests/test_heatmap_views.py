"""The heat map page /workbench/processes/<name>/heatmap/: tables, reach and refusals."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tongban.identity.models import User
from tongban.stats.tests.conftest import day, district, staff  # noqa: F401  (fixtures)
from tongban.stats.tests.test_heatmap import recorded  # noqa: F401  (the fixture)
from tongban.workbench.tests.conftest import signed_in
from tongban.workflow.models import ProcessDefinition

pytestmark = pytest.mark.django_db

URL = "/workbench/processes/standard_approval/heatmap/"
OCTOBER = "from=2026-10-01&to=2026-10-31"


def _html(response: Any) -> str:
    return response.content.decode()


def test_staff_see_the_numbers_in_a_table_and_the_diagram_data(
    recorded: ProcessDefinition,  # noqa: F811
    clerk: User,
) -> None:
    response = signed_in(clerk).get(f"{URL}?{OCTOBER}&version=1")
    assert response.status_code == 200
    html = _html(response)
    row = re.search(r'<tr data-node="accept">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(.*?)</td>', row.group(1))
    assert cells == ["4", "5", "1", "1", "2"]
    data = re.search(
        r'<script id="heatmap-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert data is not None
    diagram = json.loads(data.group(1))
    assert "<bpmn:definitions" in diagram["xml"]
    accept = next(n for n in diagram["nodes"] if n["id"] == "accept")
    assert accept["levels"]["waiting"] == 4
    assert {f["flow"] for f in diagram["flows"]} >= {"flow_supplement_accept"}
    # Two versions ran in October: each has its tab.
    assert "第 2 版" in html
    assert "<script>" not in html and "onclick" not in html and 'style="' not in html


def test_clicking_a_node_lists_the_waiting_cases_of_ones_department(
    recorded: ProcessDefinition,  # noqa: F811
    clerk: User,
    police_clerk: User,
) -> None:
    url = "/workbench/processes/standard_approval/heatmap/nodes/accept/?version=1"
    html = _html(signed_in(clerk).get(url, HTTP_HX_REQUEST="true"))
    assert "HM-0004" in html
    html = _html(signed_in(police_clerk).get(url))
    assert "HM-0004" not in html and "本部门现在没有在该环节等待的办件" in html
    # Without JavaScript: the same list inside the page.
    page = _html(signed_in(clerk).get(f"{URL}?{OCTOBER}&version=1&node=accept"))
    assert 'id="waiting-list"' in page and "HM-0004" in page


def test_another_departments_nodes_are_refused_naming_it(
    recorded: ProcessDefinition,  # noqa: F811
    police_clerk: User,
) -> None:
    response = signed_in(police_clerk).get(f"{URL}?{OCTOBER}&department=market")
    assert response.status_code == 403
    assert "市场监管局" in _html(response)
    response = signed_in(police_clerk).get(
        "/workbench/processes/standard_approval/heatmap/nodes/accept/?department=market"
    )
    assert response.status_code == 403


def test_bad_input_is_explained(
    recorded: ProcessDefinition,  # noqa: F811
    center_admin: User,
    outsider: User,
) -> None:
    client = signed_in(center_admin)
    response = client.get(f"{URL}?from=2026-10-31&to=2026-10-01")
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in _html(response)
    response = client.get(f"{URL}?from=2025-01-01&to=2026-10-31")
    assert response.status_code == 400
    assert "最长" in _html(response)
    assert client.get("/workbench/processes/nope/heatmap/").status_code == 404
    assert client.get(f"{URL}?version=99").status_code == 404
    assert signed_in(outsider).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302


def test_the_page_is_in_english_too(
    recorded: ProcessDefinition,  # noqa: F811
    center_admin: User,
) -> None:
    client = signed_in(center_admin)
    client.cookies["django_language"] = "en"
    html = _html(client.get(f"{URL}?{OCTOBER}&version=1", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Process heat map" in html
    assert "Acceptance" in html


def test_the_dashboard_lists_each_process_version_with_its_heat_map(
    district: Any,  # noqa: F811
    center_admin: User,
) -> None:
    html = _html(signed_in(center_admin).get(f"/workbench/stats/?from={day(0)}&to={day(27)}"))
    row = re.search(r'<tr data-version="standard_approval-1">(.*?)</tr>', html, re.S)
    assert row is not None
    assert re.findall(r'<td class="num">(.*?)</td>', row.group(1)) == [
        "1",
        "3",
        "3",
        "14",
        "33.3%",
    ]
    assert "/workbench/processes/standard_approval/heatmap/?from=" in row.group(1)
