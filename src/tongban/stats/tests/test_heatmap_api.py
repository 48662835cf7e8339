"""The heat map over HTTP: staff only, another department's cases refused, bad input named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tongban.identity.models import User
from tongban.stats.tests.test_heatmap import recorded  # noqa: F401  (the fixture)
from tongban.workflow.models import NodeVisit, ProcessDefinition

pytestmark = pytest.mark.django_db

URL = "/api/v1/processes/standard_approval/heatmap"
OCTOBER = "from=2026-10-01&to=2026-10-31"


def test_staff_read_the_heatmap_of_each_version(
    api_client: Client,
    recorded: ProcessDefinition,  # noqa: F811
    clerk: User,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    response = api_client.get(f"{URL}?{OCTOBER}", **bearer(clerk))
    assert response.status_code == 200
    body = response.json()
    assert (body["process"], body["from"], body["to"]) == (
        "standard_approval",
        "2026-10-01",
        "2026-10-31",
    )
    assert [v["version"] for v in body["versions"]] == [1, 2]
    accept = next(n for n in body["versions"][0]["nodes"] if n["node"] == "accept")
    assert accept["passed_cases"] == 4
    assert accept["waiting_cases"] == 1
    assert accept["median_working_days"] == 1
    flow = next(f for f in body["versions"][0]["flows"] if f["flow"] == "flow_supplement_accept")
    assert flow["visits"] == 2
    assert body["versions"][0]["supplement"]["repeat_cases"] == 1


def test_english_readers_get_english_node_names(
    api_client: Client,
    recorded: ProcessDefinition,  # noqa: F811
    center_admin: User,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    response = api_client.get(
        f"{URL}?{OCTOBER}&version=1", **bearer(center_admin), HTTP_ACCEPT_LANGUAGE="en"
    )
    accept = next(n for n in response.json()["versions"][0]["nodes"] if n["node"] == "accept")
    assert accept["name"] == "Acceptance"


def test_the_waiting_cases_of_a_node_are_the_callers_departments(
    api_client: Client,
    recorded: ProcessDefinition,  # noqa: F811
    clerk: User,
    police_clerk: User,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    response = api_client.get(f"{URL}/nodes/accept", **bearer(clerk))
    assert response.status_code == 200
    assert [c["case_no"] for c in response.json()["cases"]] == ["HM-0004"]
    case = response.json()["cases"][0]
    assert set(case) >= {"case_no", "matter", "waiting_since", "task_due_date", "due_date"}
    response = api_client.get(f"{URL}/nodes/accept", **bearer(police_clerk))
    assert response.json()["cases"] == []


def test_another_departments_nodes_are_refused_naming_it(
    api_client: Client,
    recorded: ProcessDefinition,  # noqa: F811
    police_clerk: User,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    for url in (f"{URL}?department=market", f"{URL}/nodes/accept?department=market"):
        response = api_client.get(url, **bearer(police_clerk))
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/problem+json")
        assert "市场监管局" in response.json()["detail"]


def test_outsiders_are_refused(
    api_client: Client,
    recorded: ProcessDefinition,  # noqa: F811
    applicant: User,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    assert api_client.get(URL).status_code == 401
    assert api_client.get(URL, **bearer(applicant)).status_code == 403
    assert api_client.get(f"{URL}/nodes/accept", **bearer(applicant)).status_code == 403


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("from=2026-13-01", 422, "from"),
        ("from=2026-10-31&to=2026-10-01", 422, "to"),
        ("from=2025-01-01&to=2026-10-31", 422, "from"),
        ("from=2026-10-01%00", 400, "from"),  # the input boundary
        ("department=mars", 422, "department"),
        ("department=mar%00s", 400, "department"),
        ("version=0", 422, "version"),
        ("version=99999999999999999999", 422, "version"),
        ("version=7", 404, None),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    api_client: Client,
    recorded: ProcessDefinition,  # noqa: F811
    center_admin: User,
    bearer: Callable[[User], dict[str, str]],
    query: str,
    status: int,
    field: str | None,
) -> None:
    visits = NodeVisit.objects.count()
    response = api_client.get(f"{URL}?{query}", **bearer(center_admin))
    assert response.status_code == status, response.content
    body = response.json()
    if field is not None:
        assert field in [e["field"] for e in body["errors"]]
    assert NodeVisit.objects.count() == visits


def test_unknown_process_or_node_is_404(
    api_client: Client,
    recorded: ProcessDefinition,  # noqa: F811
    center_admin: User,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    headers = bearer(center_admin)
    assert api_client.get("/api/v1/processes/nope/heatmap", **headers).status_code == 404
    assert api_client.get(f"{URL}/nodes/nowhere", **headers).status_code == 404
    assert api_client.get(f"{URL}/nodes/accept?limit=0", **headers).status_code == 422
