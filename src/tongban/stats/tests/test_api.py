"""The indicators API over HTTP: anyone reads, only a center admin exports, bad input is 422."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.test import Client
from openpyxl import load_workbook

from tongban.identity.models import User
from tongban.stats.models import DailyRollup
from tongban.stats.tests.conftest import District, day

pytestmark = pytest.mark.django_db


def _span() -> str:
    return f"from={day(0)}&to={day(27)}"


def test_anyone_reads_the_overview(api_client: Client, district: District) -> None:
    response = api_client.get(f"/api/v1/stats/overview?{_span()}")
    assert response.status_code == 200
    body = response.json()
    assert body["cases_total"] == 5
    assert body["cases_by_channel"] == {"online": 4, "window": 0, "mobile": 1}
    assert body["period"] == {"from": str(day(0)), "to": str(day(27))}
    for field in (
        "as_of",
        "matters_total",
        "matters_online",
        "online_rate",
        "enterprise_matters",
        "enterprise_one_visit",
        "one_visit_rate",
        "themes",
        "delivery_share",
        "combined_licences_issued",
        "overdue_rate",
        "satisfaction_rate",
    ):
        assert field in body


def test_the_overview_filters_by_department_and_section(
    api_client: Client, district: District
) -> None:
    market = api_client.get(f"/api/v1/stats/overview?{_span()}&department=market").json()
    police = api_client.get(f"/api/v1/stats/overview?{_span()}&department=police").json()
    section = api_client.get(f"/api/v1/stats/overview?{_span()}&section=construction").json()
    assert (market["cases_total"], police["cases_total"], section["cases_total"]) == (5, 0, 5)
    assert police["matters_total"] == 0


def test_anyone_reads_the_departments(api_client: Client, district: District) -> None:
    response = api_client.get(f"/api/v1/stats/departments?{_span()}")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["market"]["cases"] == 5
    assert rows["market"]["completed"] == 2
    assert rows["market"]["median_working_days"] == 3
    assert set(rows["market"]) >= {
        "code",
        "name",
        "cases",
        "completed",
        "median_working_days",
        "overdue_rate",
        "satisfaction_rate",
        "bad_ratings_open",
    }


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        ("from=2026-02-30", "from", 422),
        ("from=yesterday", "from", 422),
        ("to=2026-13-01", "to", 422),
        ("from=2026-03-10&to=2026-03-01", "to", 422),
        ("from=1800-01-01", "from", 422),
        ("department=nowhere", "department", 422),
        # A NUL never reaches the view: the input boundary refuses it (400), naming the field.
        ("department=mar%00ket", "department", 400),
        ("section=nowhere", "section", 422),
        ("from=2026-03-01%00", "from", 400),
    ],
)
def test_bad_input_is_a_4xx_with_a_field_error(
    api_client: Client, departments: object, query: str, field: str, status: int
) -> None:
    before = DailyRollup.objects.count()
    response = api_client.get(f"/api/v1/stats/overview?{query}")
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert DailyRollup.objects.count() == before


def test_departments_refuse_an_inverted_period(api_client: Client, departments: object) -> None:
    response = api_client.get("/api/v1/stats/departments?from=2026-03-10&to=2026-03-01")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to"


def test_a_center_admin_exports_the_workbook(
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
    center_admin: User,
    district: District,
) -> None:
    response = api_client.get(f"/api/v1/stats/export.xlsx?{_span()}", **bearer(center_admin))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment;" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert "部门 Departments" in book.sheetnames
    sheet = book["部门 Departments"]
    assert sheet["A1"].value == "部门代码"
    assert sheet["A2"].value == "Code"
    market = next(row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] == "market")
    assert market[2] == 5
    assert "超期办件 Overdue" in book.sheetnames


def test_the_export_refuses_staff_who_are_not_center_admins(
    api_client: Client, bearer: Callable[[User], dict[str, str]], clerk: User
) -> None:
    response = api_client.get("/api/v1/stats/export.xlsx", **bearer(clerk))
    assert response.status_code == 403


def test_the_export_refuses_a_citizen(
    api_client: Client, bearer: Callable[[User], dict[str, str]], outsider: User
) -> None:
    assert api_client.get("/api/v1/stats/export.xlsx", **bearer(outsider)).status_code == 403


def test_the_export_asks_an_anonymous_caller_to_sign_in(api_client: Client, db: None) -> None:
    response = api_client.get("/api/v1/stats/export.xlsx")
    assert response.status_code == 401


def test_the_export_refuses_a_bad_period(
    api_client: Client, bearer: Callable[[User], dict[str, str]], center_admin: User
) -> None:
    response = api_client.get(
        "/api/v1/stats/export.xlsx?from=2026-03-10&to=2026-03-01", **bearer(center_admin)
    )
    assert response.status_code == 422
