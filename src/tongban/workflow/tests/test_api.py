from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar/due"


def _fields(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    return [error["field"] for error in body["errors"]]


def test_anyone_gets_the_due_date_of_a_limit() -> None:
    response = Client().get(URL, {"from": "2026-02-13", "days": "5"})
    assert response.status_code == 200
    assert response.json() == {
        "due_date": "2026-02-27",
        "provisional": False,
        "from": "2026-02-13",
        "days": 5,
    }


def test_a_due_date_in_an_unentered_year_is_marked_provisional() -> None:
    response = Client().get(URL, {"from": "2026-12-25", "days": "10"})
    assert response.json()["due_date"] == "2027-01-08"
    assert response.json()["provisional"] is True


def test_it_refuses_a_missing_from() -> None:
    assert _fields(Client().get(URL, {"days": "5"})) == ["from"]


def test_it_refuses_missing_days() -> None:
    assert _fields(Client().get(URL, {"from": "2026-02-13"})) == ["days"]


@pytest.mark.parametrize("value", ["2026-02-30", "13/02/2026", "tomorrow", ""])
def test_it_refuses_a_bad_date(value: str) -> None:
    assert _fields(Client().get(URL, {"from": value, "days": "5"})) == ["from"]


@pytest.mark.parametrize("value", ["-1", "3651", "five", "1.5"])
def test_it_refuses_bad_days(value: str) -> None:
    assert _fields(Client().get(URL, {"from": "2026-02-13", "days": value})) == ["days"]


def test_it_refuses_a_limit_past_the_end_of_time() -> None:
    assert _fields(Client().get(URL, {"from": "9999-12-20", "days": "10"})) == ["from"]


def test_the_endpoint_is_documented_with_the_from_parameter() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    params = {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}
    assert params == {"from", "days"}
