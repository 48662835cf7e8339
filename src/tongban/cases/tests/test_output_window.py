"""统一出件: results waiting at the output window, found and handed over by a center clerk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases import services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, TimelineEntry, Visit
from tongban.cases.services import outputs
from tongban.cases.services.output_window import output_collector_role, output_hand_over
from tongban.cases.tests.factories import case_submitted, pdf_file
from tongban.cases.tests.outputs_helpers import ADDRESS, decide
from tongban.catalog.models import Matter
from tongban.conftest import APPLICANT_ID_NUMBER
from tongban.core.errors import InvalidStateChange, PermissionDenied, ValidationFailed
from tongban.counter.models import Ticket, Window
from tongban.delivery.choices import DeliveryMethod
from tongban.delivery.models import DeliveryOrder
from tongban.identity.models import Enterprise, User
from tongban.identity.numbers import resident_id_make
from tongban.workflow.calendar import SHANGHAI

Headers = Callable[[User], dict[str, str]]

STRANGER_ID = resident_id_make(area="310114", birth=dt.date(1970, 1, 1), sequence=11)


@pytest.fixture
def ready(
    free_permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> Case:
    """张三's 排水许可证, issued and waiting at the output window."""
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    assert (case.status, case.delivery_method) == (CaseStatus.ISSUED, DeliveryMethod.PICKUP)
    return case


def _state(case: Case) -> tuple[str, int, int, int]:
    case.refresh_from_db()
    return (
        case.status,
        case.visit_count,
        TimelineEntry.objects.filter(case=case).count(),
        Visit.objects.filter(case=case).count(),
    )


def _hand_over(client: Client, headers: dict[str, str], case_id: int, **body: Any) -> Any:
    return client.post(
        f"/api/v1/counter/outputs/{case_id}/hand-over",
        {"signed": True, **body},
        content_type="application/json",
        **headers,
    )


# --- the list -------------------------------------------------------------------------------


def test_the_output_window_lists_results_ready_for_pick_up(
    ready: Case, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    response = api_client.get("/api/v1/counter/outputs?state=ready", **bearer(center_clerk))
    assert response.status_code == 200
    [row] = response.json()
    assert (row["id"], row["case_no"], row["holder"]) == (ready.pk, ready.case_no, "张*")
    assert row["matter"]["code"] == ready.matter.code
    ready_at = TimelineEntry.objects.get(case=ready, action="pickup_ready").at
    # JSON carries milliseconds.
    assert abs(dt.datetime.fromisoformat(row["ready_at"]) - ready_at) < dt.timedelta(seconds=0.001)


def test_it_is_found_by_case_number_ticket_or_id_number(
    ready: Case, center_clerk: User, applicant: User, api_client: Client, bearer: Headers
) -> None:
    window = Window.objects.get(code="Z01")
    Ticket.objects.create(
        day=timezone.now().astimezone(SHANGHAI).date(),
        section=window.section,
        sequence=7,
        number="Z007",
        user=applicant,
        issued_at=timezone.now(),
    )
    headers = bearer(center_clerk)
    for q in (ready.case_no, APPLICANT_ID_NUMBER, "z007"):
        rows = api_client.get("/api/v1/counter/outputs", {"q": q}, **headers).json()
        assert [r["id"] for r in rows] == [ready.pk], q
    for q in ("JD20000101000001", STRANGER_ID, "Z008"):
        assert api_client.get("/api/v1/counter/outputs", {"q": q}, **headers).json() == []


def test_the_list_refuses_a_bad_state_or_query(
    ready: Case, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    headers = bearer(center_clerk)
    for params in ({"state": "lost"}, {"q": "9" * 41}):
        response = api_client.get("/api/v1/counter/outputs", params, **headers)
        assert response.status_code == 422, params


def test_only_center_window_clerks_see_the_outputs(
    ready: Case,
    clerk: User,
    applicant: User,
    center_admin: User,
    api_client: Client,
    bearer: Headers,
) -> None:
    for user in (clerk, applicant, center_admin):
        response = api_client.get("/api/v1/counter/outputs", **bearer(user))
        assert response.status_code == 403, user.username
        assert (
            _hand_over(
                api_client, bearer(user), ready.pk, id_number=APPLICANT_ID_NUMBER
            ).status_code
            == 403
        )
    assert api_client.get("/api/v1/counter/outputs").status_code == 401
    assert _state(ready)[0] == CaseStatus.ISSUED


# --- hand-over ------------------------------------------------------------------------------


def test_the_holder_collects_and_the_case_is_completed_with_a_visit(
    ready: Case, center_clerk: User, applicant: User, api_client: Client, bearer: Headers
) -> None:
    response = _hand_over(api_client, bearer(center_clerk), ready.pk, id_number=APPLICANT_ID_NUMBER)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == CaseStatus.COMPLETED
    assert _state(ready)[:2] == (CaseStatus.COMPLETED, 1)
    entry = TimelineEntry.objects.get(case=ready, action="picked_up")
    assert entry.actor == center_clerk
    assert "持证人本人领取" in entry.comment and "已签字确认" in entry.comment
    assert APPLICANT_ID_NUMBER not in entry.comment  # masked
    assert Visit.objects.get(case=ready).kind == "pickup"
    # No longer waiting; listed as handed over.
    headers = bearer(center_clerk)
    assert api_client.get("/api/v1/counter/outputs", **headers).json() == []
    done = api_client.get("/api/v1/counter/outputs?state=handed_over", **headers).json()
    assert [r["id"] for r in done] == [ready.pk]


def test_the_wrong_person_is_refused_and_nothing_changes(
    ready: Case, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    before = _state(ready)
    headers = bearer(center_clerk)
    for body in (
        {"id_number": STRANGER_ID},
        {"id_number": "310114197001010000"},
        {"id_number": APPLICANT_ID_NUMBER, "signed": False},
    ):
        response = _hand_over(api_client, headers, ready.pk, **body)
        assert response.status_code == 422, body
        assert response.json()["errors"], body
    assert _state(ready) == before


def test_an_agent_with_written_authorisation_collects_and_it_is_recorded(
    ready: Case, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    response = _hand_over(
        api_client,
        bearer(center_clerk),
        ready.pk,
        id_number=STRANGER_ID,
        agent_authorisation="授权委托书（张三签字，2026-03-01）",
    )
    assert response.status_code == 200, response.json()
    comment = TimelineEntry.objects.get(case=ready, action="picked_up").comment
    assert "凭书面授权委托书代领" in comment and "张三签字" in comment


def test_twice_is_a_conflict(
    ready: Case, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    headers = bearer(center_clerk)
    assert (
        _hand_over(api_client, headers, ready.pk, id_number=APPLICANT_ID_NUMBER).status_code == 200
    )
    before = _state(ready)
    response = _hand_over(api_client, headers, ready.pk, id_number=APPLICANT_ID_NUMBER)
    assert response.status_code == 409
    assert _state(ready) == before


def test_a_result_not_ready_is_a_conflict(
    free_permit: Matter, applicant: User, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    before = _state(case)
    response = _hand_over(api_client, bearer(center_clerk), case.pk, id_number=APPLICANT_ID_NUMBER)
    assert response.status_code == 409
    assert _state(case) == before


def test_a_result_that_is_not_for_pick_up_is_not_found(
    free_permit: Matter, applicant: User, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    response = _hand_over(api_client, bearer(center_clerk), case.pk, id_number=APPLICANT_ID_NUMBER)
    assert response.status_code == 404


def test_an_enterprise_result_goes_to_a_live_agent_only(
    free_permit: Matter,
    agent_user: User,
    enterprise: Enterprise,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    center_clerk: User,
) -> None:
    case = services.case_create(
        actor=agent_user,
        matter_code=free_permit.code,
        applicant={"type": "enterprise", "uscc": enterprise.uscc},
        form={"project_name": "企业排水", "discharge_volume": 3},
    )
    for code in ("application-form", "pipe-network-map"):
        services.material_upload(
            actor=agent_user, case=case, requirement_code=code, file=pdf_file()
        )
    case = services.case_submit(actor=agent_user, case=case)
    outputs.case_delivery_choose(actor=agent_user, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    assert output_collector_role(case=case, id_number=APPLICANT_ID_NUMBER) is None
    with pytest.raises(ValidationFailed):
        output_hand_over(actor=center_clerk, case=case, id_number=APPLICANT_ID_NUMBER, signed=True)
    agent_id = agent_user.person.id_number
    assert output_collector_role(case=case, id_number=agent_id) == "agent"
    case = output_hand_over(actor=center_clerk, case=case, id_number=agent_id, signed=True)
    assert case.status == CaseStatus.COMPLETED
    assert "企业经办人领取" in TimelineEntry.objects.get(case=case, action="picked_up").comment


def test_a_clerk_off_duty_cannot_hand_over(ready: Case, center_clerk: User) -> None:
    Window.objects.update(is_active=False)
    with pytest.raises(PermissionDenied):
        output_hand_over(actor=center_clerk, case=ready, id_number=APPLICANT_ID_NUMBER, signed=True)


# --- 递送 instead of coming back ------------------------------------------------------------


def test_the_applicant_may_switch_to_post_instead_of_coming_back(
    ready: Case, applicant: User, center_clerk: User, api_client: Client, bearer: Headers
) -> None:
    response = api_client.post(
        f"/api/v1/applications/{ready.pk}/delivery",
        {"method": "post", "address": ADDRESS},
        content_type="application/json",
        **bearer(applicant),
    )
    assert response.status_code == 200, response.json()
    ready.refresh_from_db()
    assert (ready.status, ready.delivery_method) == (CaseStatus.ISSUED, DeliveryMethod.POST)
    assert DeliveryOrder.objects.filter(case=ready).exists()
    assert api_client.get("/api/v1/counter/outputs", **bearer(center_clerk)).json() == []
    assert ready.visit_count == 0


def test_switching_after_the_hand_over_is_refused(
    ready: Case, applicant: User, center_clerk: User
) -> None:
    output_hand_over(actor=center_clerk, case=ready, id_number=APPLICANT_ID_NUMBER, signed=True)
    with pytest.raises(InvalidStateChange):
        outputs.case_delivery_choose(actor=applicant, case=ready, method="post", address=ADDRESS)
    ready.refresh_from_db()
    assert ready.delivery_method == DeliveryMethod.PICKUP
    assert not DeliveryOrder.objects.filter(case=ready).exists()
