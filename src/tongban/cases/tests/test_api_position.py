"""GET /processes, /processes/{name}/versions/{v} and /applications/{id}/position over HTTP."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.cases import services
from tongban.cases.tests.api_helpers import Headers
from tongban.cases.tests.factories import case_submitted, open_task
from tongban.cases.tests.test_joint_review import joint_review_matter, permit_accepted
from tongban.catalog.models import Department, Matter
from tongban.identity.models import Enterprise, User
from tongban.workflow.engine import PROCESS_DIR
from tongban.workflow.models import ProcessDefinition

pytestmark = pytest.mark.django_db

#: The position API as the applicant: the token, the case, the instance with its version (no
#: XML), the visits, the tasks (open supplements annotated), the case's supplements (for the SLA
#: while staff have it), and the departments when the visits name any. Was 9 with the XML.
POSITION_QUERIES = 7


def _position(client: Client, headers: dict[str, str], case_id: int) -> object:
    return client.get(f"/api/v1/applications/{case_id}/position", **headers)


# --- processes -------------------------------------------------------------------------------


def test_every_process_and_decision_table_is_listed_with_its_versions(
    api_client: Client, bearer: Headers, clerk: User
) -> None:
    response = api_client.get("/api/v1/processes", **bearer(clerk))
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert set(rows) == {"credit_route", "filing", "instant", "joint_review", "standard_approval"}
    standard = rows["standard_approval"]
    assert (standard["kind"], standard["version"], standard["title"]) == (
        "bpmn",
        1,
        "行政许可标准审批",
    )
    assert standard["title_en"] and standard["title_en"] != standard["title_zh"]
    assert standard["versions"][0]["source_file"] == "processes/standard_approval.bpmn"
    dmn = rows["credit_route"]
    assert (dmn["kind"], dmn["version"]) == ("dmn", 1)
    source = (PROCESS_DIR / "credit_route.dmn").read_bytes()
    assert dmn["versions"][0]["digest"] == hashlib.sha256(source).hexdigest()
    # Listing twice stores nothing twice.
    api_client.get("/api/v1/processes", **bearer(clerk))
    assert ProcessDefinition.objects.filter(name="standard_approval").count() == 1


def test_a_version_comes_as_xml_with_its_metadata_in_headers(
    api_client: Client, bearer: Headers, applicant: User
) -> None:
    response = api_client.get("/api/v1/processes/standard_approval/versions/1", **bearer(applicant))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert b'<bpmn:process id="standard_approval"' in response.content
    stored = ProcessDefinition.objects.get(name="standard_approval", version=1)
    assert response["X-Process-Digest"] == stored.digest
    assert response["X-Process-Version"] == "1"
    assert response["X-Process-Published-At"]


def test_a_version_comes_as_json_on_request(
    api_client: Client, bearer: Headers, clerk: User
) -> None:
    response = api_client.get(
        "/api/v1/processes/credit_route/versions/1?format=json", **bearer(clerk)
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["kind"], body["version"]) == ("credit_route", "dmn", 1)
    assert body["source_file"] == "processes/credit_route.dmn"
    assert body["xml"].startswith("<?xml")
    assert body["published_at"] is None


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/api/v1/processes/no_such_process/versions/1", "no_such_process"),
        ("/api/v1/processes/standard_approval/versions/7", "7"),
        ("/api/v1/processes/standard_approval/versions/" + "9" * 20, "9" * 20),
        ("/api/v1/processes/standard_approval/versions/0", "standard_approval"),
        ("/api/v1/processes/Bad%00Name/versions/1", "Bad"),
    ],
)
def test_an_unknown_process_or_version_is_a_404_naming_it(
    api_client: Client, bearer: Headers, clerk: User, path: str, named: str
) -> None:
    before = ProcessDefinition.objects.count()
    response = api_client.get(path, **bearer(clerk))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert named in response.json()["detail"]
    # Nothing but the release files (stored on first sight) was written.
    assert ProcessDefinition.objects.count() <= max(before, len(list(PROCESS_DIR.glob("*.bpmn"))))


def test_processes_need_a_signed_in_caller(api_client: Client) -> None:
    assert api_client.get("/api/v1/processes").status_code == 401
    assert api_client.get("/api/v1/processes/instant/versions/1").status_code == 401


# --- position --------------------------------------------------------------------------------


def test_the_applicant_sees_the_position_without_staff_names(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(
        actor=clerk, task=open_task(case, "accept"), decision="accept", comment="齐全"
    )
    response = _position(api_client, bearer(applicant), case.pk)
    assert response.status_code == 200  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["process"], body["version"]) == ("standard_approval", 1)
    assert [c["node"] for c in body["current"]] == ["review"]
    assert body["current"][0]["due_date"]
    accept = next(d for d in body["done"] if d["node"] == "accept")
    assert accept["name"] == "受理" and accept["at"]
    assert accept["by"] is None and accept["decision"] is None
    assert "market-clerk" not in response.content.decode()  # type: ignore[attr-defined]
    assert body["markers"]["review"] == "current"
    assert "flow_accept_review" in body["flows"]


def test_staff_of_the_department_see_who_and_what(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(
        actor=clerk, task=open_task(case, "accept"), decision="accept", comment="齐全"
    )
    body = _position(api_client, bearer(clerk), case.pk).json()  # type: ignore[attr-defined]
    accept = next(d for d in body["done"] if d["node"] == "accept")
    assert (accept["by"], accept["decision"], accept["department"]) == (
        "market-clerk",
        "accept",
        "market",
    )


def test_the_agent_sees_the_enterprises_joint_review(
    api_client: Client,
    bearer: Headers,
    departments: dict[str, Department],
    agent_user: User,
    enterprise: Enterprise,
) -> None:
    joint_review_matter(["planning", "fire"])
    case = permit_accepted(agent_user, enterprise)
    body = _position(api_client, bearer(agent_user), case.pk).json()  # type: ignore[attr-defined]
    assert sorted(d["department"] for d in body["departments"]) == ["fire", "planning"]
    assert body["overlays"] == {"department_review": "0/2"}


def test_outsiders_and_other_departments_get_404(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    outsider: User,
    police_clerk: User,
    drainage: Matter,
) -> None:
    case = case_submitted(applicant=applicant)
    for user in (outsider, police_clerk):
        response = _position(api_client, bearer(user), case.pk)
        assert response.status_code == 404  # type: ignore[attr-defined]
        assert response["Content-Type"].startswith("application/problem+json")  # type: ignore[index]
    assert _position(api_client, {}, case.pk).status_code == 401  # type: ignore[attr-defined]
    for bad in (0, 2**63, 10**30):
        response = _position(api_client, bearer(applicant), bad)
        assert response.status_code == 404  # type: ignore[attr-defined]


def test_the_position_takes_a_fixed_number_of_queries_and_reads_no_xml(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    """The position API's queries do not grow with the path and the version's XML is parsed
    once per process, not read from its row on every request."""
    case = case_submitted(applicant=applicant)
    headers = bearer(applicant)
    assert _position(api_client, headers, case.pk).status_code == 200  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as short:
        assert _position(api_client, headers, case.pk).status_code == 200  # type: ignore[attr-defined]
    services.task_complete(
        actor=clerk, task=open_task(case, "accept"), decision="accept", comment="齐全"
    )
    with CaptureQueriesContext(connection) as longer:
        body = _position(api_client, headers, case.pk).json()  # type: ignore[attr-defined]
    assert [c["node"] for c in body["current"]] == ["review"]
    assert len(longer) == len(short) <= POSITION_QUERIES, [q["sql"] for q in longer]
    assert not any('"source"' in q["sql"] for q in longer), "the XML was read again"
