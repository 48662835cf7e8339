"""微查询 through HTTP: a case's status by number and the applicant's ID, nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tongban.cases import services
from tongban.cases.tests.conftest import VALID_FORM
from tongban.cases.tests.factories import case_submitted, pdf_file
from tongban.catalog.models import Matter
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Any:
    cache.clear()
    yield
    cache.clear()


def _query(client: Client, case_no: str, id_value: str, **extra: str) -> Any:
    return client.get(f"/api/v1/micro/cases/{case_no}", {"id": id_value}, **extra)


def test_it_shows_the_status_to_the_holder_of_the_applicants_id(
    api_client: Client, applicant: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    response = _query(api_client, case.case_no, APPLICANT_ID_NUMBER.lower())
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"case_no", "matter", "status", "status_label", "due_date", "steps"}
    assert body["case_no"] == case.case_no
    assert body["matter"] == "排水许可"
    assert body["status"] == case.status
    assert body["steps"][0]["code"] == "submit"
    # Nothing about the applicant is revealed.
    assert "张三" not in response.content.decode()
    assert APPLICANT_ID_NUMBER not in response.content.decode()


def test_it_answers_in_english_under_the_english_locale(
    api_client: Client, applicant: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    response = _query(api_client, case.case_no, APPLICANT_ID_NUMBER, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.json()["steps"][0]["title"] == "Submission"
    assert response.json()["status_label"].isascii()


def test_a_wrong_id_is_answered_as_an_unknown_case(
    api_client: Client, applicant: User, outsider: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    wrong = _query(api_client, case.case_no, outsider.person.id_number)
    unknown = _query(api_client, "NO-SUCH-CASE", APPLICANT_ID_NUMBER)
    missing = _query(api_client, case.case_no, "")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.json() == unknown.json() == missing.json()
    assert wrong.json()["detail"] == "未找到该办件，请核对办件编号和证件号码"


def test_an_enterprise_case_is_found_by_its_credit_code_not_the_agents_id(
    api_client: Client, agent_user: User, drainage: Matter
) -> None:
    case = services.case_create(
        actor=agent_user,
        matter_code="drainage-permit",
        applicant={"type": "enterprise", "uscc": ENTERPRISE_USCC},
        form=dict(VALID_FORM),
    )
    for code in ("application-form", "pipe-network-map"):
        services.material_upload(
            actor=agent_user, case=case, requirement_code=code, file=pdf_file()
        )
    case = services.case_submit(actor=agent_user, case=case)
    assert _query(api_client, case.case_no, ENTERPRISE_USCC.lower()).status_code == 200
    assert _query(api_client, case.case_no, agent_user.person.id_number).status_code == 404


@pytest.mark.parametrize(
    "case_no,id_value",
    [("A" * 5000, APPLICANT_ID_NUMBER), ("X", "1" * 5000)],
)
def test_malformed_input_is_a_plain_404(
    api_client: Client, applicant: User, drainage: Matter, case_no: str, id_value: str
) -> None:
    response = _query(api_client, case_no, id_value)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_repeated_failures_are_throttled_per_client_ip(
    api_client: Client, applicant: User, drainage: Matter, settings: Any
) -> None:
    settings.MICRO_QUERY_FAILURE_LIMIT = 3
    case = case_submitted(applicant=applicant)
    for guess in range(3):
        assert _query(api_client, case.case_no, f"31010119900101{guess:04d}").status_code == 404
    # Locked: even the right ID is refused now, so guessing cannot go on.
    locked = _query(api_client, case.case_no, APPLICANT_ID_NUMBER)
    assert locked.status_code == 429
    assert locked.json()["type"] == "/problems/too-many-attempts"
    assert int(locked["Retry-After"]) == settings.MICRO_QUERY_COOLOFF_MINUTES * 60
    # Another address is not affected.
    other = _query(api_client, case.case_no, APPLICANT_ID_NUMBER, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_successes_do_not_count_towards_the_limit(
    api_client: Client, applicant: User, drainage: Matter, settings: Any
) -> None:
    settings.MICRO_QUERY_FAILURE_LIMIT = 2
    case = case_submitted(applicant=applicant)
    for _ in range(5):
        assert _query(api_client, case.case_no, APPLICANT_ID_NUMBER).status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(
    api_client: Client, applicant: User, drainage: Matter, settings: Any
) -> None:
    settings.MICRO_QUERY_FAILURE_LIMIT = 1
    case = case_submitted(applicant=applicant)
    assert _query(api_client, case.case_no, "x").status_code == 404
    forged = _query(api_client, case.case_no, APPLICANT_ID_NUMBER, HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert forged.status_code == 429
