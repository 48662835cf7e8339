"""前台综合受理: a center window clerk accepts a walk-in's application (channel ``window``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases.choices import CaseStatus, MaterialOrigin
from tongban.cases.models import Case, CaseMaterial, TimelineEntry, Visit
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Department, Matter
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.counter.models import NegativeListEntry, Ticket, Window, WindowAssignment
from tongban.counter.selectors import is_center_window_clerk
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole
from tongban.identity.models import Agent, Enterprise, Person, User
from tongban.identity.numbers import resident_id_make, uscc_make
from tongban.workflow.calendar import SHANGHAI, WorkCalendar

Headers = Callable[[User], dict[str, str]]

#: A walk-in nobody has registered yet: 赵敏 from Kunshan.
NEW_ID_NUMBER = resident_id_make(area="320583", birth=dt.date(1994, 5, 6), sequence=42)
NEW_USCC = uscc_make(area="310114", org="MA7XWK3Q")
FORM = {"project_name": "窗口受理的排水项目", "discharge_volume": 12}


def _walk_in(**extra: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "id_number": NEW_ID_NUMBER,
        "name": "赵敏",
        "mobile": "13912345678",
        **extra,
    }


def _create(client: Client, headers: dict[str, str], **body: Any) -> Any:
    payload = {"matter": "drainage-licence-free", "channel": "window", "form": FORM, **body}
    return client.post("/api/v1/applications", payload, content_type="application/json", **headers)


def _today() -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date()


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Case.objects.count(),
        Person.objects.count(),
        User.objects.count(),
        Enterprise.objects.count(),
        TimelineEntry.objects.count(),
    )


# --- who is a center window clerk --------------------------------------------------------------


def _next_day(working: bool) -> dt.date:
    calendar, day = WorkCalendar(), _today()
    while calendar.is_working_day(day) != working:
        day += dt.timedelta(days=1)
    return day


def test_a_standing_assignment_holds_on_working_days_only(center_clerk: User) -> None:
    WindowAssignment.objects.filter(clerk=center_clerk).update(date=None)
    assert is_center_window_clerk(user=center_clerk, day=_next_day(True))
    assert not is_center_window_clerk(user=center_clerk, day=_next_day(False))


def test_a_dated_assignment_holds_on_that_day_only(center_clerk: User) -> None:
    today = _today()
    assert is_center_window_clerk(user=center_clerk, day=today)
    assert not is_center_window_clerk(user=center_clerk, day=today + dt.timedelta(days=1))


def test_an_inactive_window_staffs_nobody(center_clerk: User) -> None:
    Window.objects.update(is_active=False)
    assert not is_center_window_clerk(user=center_clerk)


def test_only_clerks_of_the_center_staff_its_windows(
    center_clerk: User, clerk: User, center_admin: User, applicant: User
) -> None:
    window = Window.objects.get(code="Z01")
    for user in (clerk, center_admin, applicant):
        WindowAssignment.objects.create(window=window, clerk=user, date=_today())
        assert not is_center_window_clerk(user=user)


# --- acceptance -----------------------------------------------------------------------------


def test_a_walk_in_without_an_account_gets_one_and_finds_the_case(
    free_permit: Matter, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    response = _create(api_client, bearer(center_clerk), applicant=_walk_in())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["channel"] == "window"
    assert body["applicant"]["name"] == "赵敏"
    case = Case.objects.get(pk=body["id"])
    person = Person.objects.get(id_number=NEW_ID_NUMBER)
    assert person.user is not None and case.applicant_user == person.user
    assert not person.user.has_usable_password()
    assert (case.window.code, case.window_clerk) == ("Z01", center_clerk)
    # The walk-in, once signed in, finds it under 我的办件 (the API and the portal).
    listed = api_client.get("/api/v1/applications", **bearer(person.user)).json()
    assert [c["case_no"] for c in listed] == [case.case_no]
    api_client.force_login(person.user)
    assert case.case_no in api_client.get("/my/cases/").content.decode()


def test_the_clerk_uploads_scans_and_submits_with_one_visit(
    free_permit: Matter, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    headers = bearer(center_clerk)
    case_id = _create(api_client, headers, applicant=_walk_in()).json()["id"]
    for code in ("application-form", "pipe-network-map"):
        response = api_client.post(
            f"/api/v1/applications/{case_id}/materials",
            {"requirement": code, "file": pdf_file()},
            **headers,
        )
        assert response.status_code == 201, response.json()
    response = api_client.post(f"/api/v1/applications/{case_id}/submit", **headers)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == CaseStatus.SUBMITTED
    case = Case.objects.get(pk=case_id)
    assert case.visit_count == 1
    assert Visit.objects.get(case=case).recorded_by == center_clerk
    uploaded = CaseMaterial.objects.filter(case=case, uploaded_at__isnull=False)
    assert {m.origin for m in uploaded} == {MaterialOrigin.WINDOW}
    assert uploaded.count() == 2
    created = TimelineEntry.objects.get(case=case, action="created")
    assert created.actor == center_clerk and "综合受理窗口1" in created.comment


def test_a_registered_person_keeps_their_account(
    free_permit: Matter, center_clerk: User, applicant: User, api_client: Client, bearer: Headers
) -> None:
    walk_in = _walk_in(id_number=APPLICANT_ID_NUMBER, name="张三")
    response = _create(api_client, bearer(center_clerk), applicant=walk_in)
    assert response.status_code == 201, response.json()
    assert Case.objects.get(pk=response.json()["id"]).applicant_user == applicant
    listed = api_client.get("/api/v1/applications", **bearer(applicant)).json()
    assert len(listed) == 1


def test_an_enterprise_walk_in_is_registered_with_its_agent_for_this_case(
    free_permit: Matter, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    walk_in = {
        "type": "enterprise",
        "uscc": NEW_USCC,
        "name": "上海嘉定窗口示范有限公司",
        "agent": {"id_number": NEW_ID_NUMBER, "name": "赵敏", "mobile": "13912345678"},
    }
    response = _create(api_client, bearer(center_clerk), applicant=walk_in)
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["id"])
    agent = Person.objects.get(id_number=NEW_ID_NUMBER)
    assert case.applicant_enterprise == Enterprise.objects.get(uscc=NEW_USCC)
    assert case.applicant_user == agent.user
    # Authorised for this case, not made a standing agent of the enterprise.
    assert not Agent.objects.filter(user=agent.user).exists()
    assert "凭企业授权办理本件" in TimelineEntry.objects.get(case=case, action="created").comment
    assert agent.user is not None
    listed = api_client.get("/api/v1/applications", **bearer(agent.user)).json()
    assert [c["id"] for c in listed] == [case.pk]


def test_a_theme_is_accepted_at_one_window_with_the_ticket(
    center_clerk: User, api_client: Client, bearer: Headers, demo_themes: None
) -> None:
    window = Window.objects.get(code="Z01")
    ticket = Ticket.objects.create(
        day=_today(),
        section=window.section,
        sequence=12,
        number="Z012",
        issued_at=timezone.now(),
    )
    response = api_client.post(
        "/api/v1/applications",
        {
            "theme": "property-transfer",
            "channel": "window",
            "ticket": "z012",
            "applicant": _walk_in(id_number="310114196505020132", name="陈建国"),
        },
        content_type="application/json",
        **bearer(center_clerk),
    )
    assert response.status_code == 201, response.json()
    parent = Case.objects.get(pk=response.json()["id"])
    assert parent.ticket == ticket
    children = list(Case.objects.filter(parent=parent))
    assert len(children) == 3
    assert {c.channel for c in children} == {"window"}
    assert {c.applicant_user_id for c in children} == {parent.applicant_user_id}


@pytest.fixture
def demo_themes(db: None) -> None:
    from tongban.demo.loader import demo_load

    demo_load()


# --- refusals: nothing saved ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("walk_in", "field"),
    [
        (_walk_in(id_number="310114196505020131"), "applicant.id_number"),
        (_walk_in(id_number="31011419650502013"), "applicant.id_number"),
        (_walk_in(name=""), "applicant.name"),
        (_walk_in(mobile="1234"), "applicant.mobile"),
        (_walk_in(type="robot"), "applicant.type"),
        (
            {"type": "enterprise", "uscc": NEW_USCC[:-1] + "0", "name": "某公司", "agent": None},
            "applicant.uscc",
        ),
        ({"type": "enterprise", "uscc": NEW_USCC, "name": "某公司"}, "applicant.agent"),
        (
            {
                "type": "enterprise",
                "uscc": NEW_USCC,
                "name": "某公司",
                "agent": {"id_number": "123", "name": "赵敏", "mobile": "13912345678"},
            },
            "applicant.agent.id_number",
        ),
    ],
)
def test_a_bad_identity_is_a_field_error_and_saves_nothing(
    free_permit: Matter,
    center_clerk: User,
    api_client: Client,
    bearer: Headers,
    walk_in: dict[str, Any],
    field: str,
) -> None:
    headers = bearer(center_clerk)
    before = _counts()
    response = _create(api_client, headers, applicant=walk_in)
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert _counts() == before


def test_a_name_that_does_not_match_the_registered_person_is_refused(
    free_permit: Matter, center_clerk: User, applicant: User, api_client: Client, bearer: Headers
) -> None:
    before = _counts()
    walk_in = _walk_in(id_number=APPLICANT_ID_NUMBER, name="张三丰")
    response = _create(api_client, bearer(center_clerk), applicant=walk_in)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["applicant.name"]
    assert _counts() == before


def test_an_enterprise_under_another_name_is_refused(
    free_permit: Matter,
    center_clerk: User,
    enterprise: Enterprise,
    api_client: Client,
    bearer: Headers,
) -> None:
    before = _counts()
    walk_in = {
        "type": "enterprise",
        "uscc": ENTERPRISE_USCC,
        "name": "另一家公司",
        "agent": {"id_number": NEW_ID_NUMBER, "name": "赵敏", "mobile": "13912345678"},
    }
    response = _create(api_client, bearer(center_clerk), applicant=walk_in)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["applicant.name"]
    # The agent's person was not registered either: one transaction.
    assert _counts() == before


def test_a_matter_on_the_negative_list_is_refused_naming_where_it_is_handled(
    free_permit: Matter, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    NegativeListEntry.objects.create(
        matter=free_permit, reason="涉及国家秘密", handled_at="区水务局一楼办事大厅"
    )
    before = _counts()
    response = _create(api_client, bearer(center_clerk), applicant=_walk_in())
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["matter"]
    assert "区水务局一楼办事大厅" in problem["detail"]
    assert _counts() == before


def test_an_unknown_ticket_is_refused(
    free_permit: Matter, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    before = _counts()
    for ticket in ("A999", "1'; DROP"):
        response = _create(api_client, bearer(center_clerk), applicant=_walk_in(), ticket=ticket)
        assert response.status_code == 422, ticket
        assert [e["field"] for e in response.json()["errors"]] == ["ticket"]
    assert _counts() == before


def test_a_window_the_clerk_does_not_staff_is_refused(
    free_permit: Matter, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    before = _counts()
    response = _create(api_client, bearer(center_clerk), applicant=_walk_in(), window="Z99")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["window"]
    assert _counts() == before


def test_only_a_center_window_clerk_on_duty_accepts_at_the_window(
    free_permit: Matter,
    center_clerk: User,
    clerk: User,
    applicant: User,
    api_client: Client,
    bearer: Headers,
    departments: dict[str, Department],
) -> None:
    off_duty = identity_services.staff_create(
        username="center-clerk-2",
        password="x-pass-2026",
        department_code="center",
        roles=[StaffRole.CLERK],
        name="center-clerk-2",
    )
    before = _counts()
    for user in (clerk, applicant, off_duty):
        response = _create(api_client, bearer(user), applicant=_walk_in())
        assert response.status_code == 403, user.username
    assert _create(api_client, {}, applicant=_walk_in()).status_code == 401
    assert _counts() == before


def test_another_clerk_on_duty_may_finish_a_window_draft_but_outsiders_not(
    free_permit: Matter,
    center_clerk: User,
    clerk: User,
    outsider: User,
    api_client: Client,
    bearer: Headers,
) -> None:
    case_id = _create(api_client, bearer(center_clerk), applicant=_walk_in()).json()["id"]
    for user in (clerk, outsider):
        response = api_client.post(
            f"/api/v1/applications/{case_id}/materials",
            {"requirement": "application-form", "file": pdf_file()},
            **bearer(user),
        )
        assert response.status_code == 404, user.username
        assert api_client.get(f"/api/v1/applications/{case_id}", **bearer(user)).status_code == 404
    assert not CaseMaterial.objects.filter(case_id=case_id, origin__gt="").exists()
