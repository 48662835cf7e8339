"""批前指导 / 预约预审: asking, answering, and applying on the strength of the answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tongban.cases import services as case_services
from tongban.catalog.models import Matter
from tongban.core.errors import (
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.counter import selectors, services
from tongban.counter.choices import GuidanceKind, GuidanceStatus
from tongban.counter.models import GuidanceRequest
from tongban.counter.tests.conftest import NOW, WORKDAY_10AM
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI


def _ask(applicant: User, **overrides: Any) -> GuidanceRequest:
    values: dict[str, Any] = {
        "actor": applicant,
        "matter_code": "drainage-permit",
        "kind": GuidanceKind.PRE_APPROVAL,
        "description": "新建食堂污水接入市政管网，请指导接管方案",
        "draft_form": {"project_name": "示范园区食堂"},
        "now": NOW,
    }
    values.update(overrides)
    return services.guidance_request(**values)


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_an_applicant_asks_for_guidance_on_a_guided_matter(guided: Matter, applicant: User) -> None:
    guidance = _ask(applicant)
    assert guidance.status == GuidanceStatus.REQUESTED
    assert list(selectors.guidance_list_for_applicant(user=applicant)) == [guidance]


def test_it_refuses_guidance_for_an_ordinary_matter(ordinary: Matter, applicant: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _ask(applicant, matter_code="ordinary-permit")
    assert "matter" in _fields(exc)
    assert not GuidanceRequest.objects.exists()


def test_it_refuses_an_empty_description_and_a_bad_draft(guided: Matter, applicant: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _ask(applicant, description=" ", draft_form={"discharge_volume": -1})
    assert set(_fields(exc)) == {"description", "draft_form.discharge_volume"}


def test_a_pre_review_appointment_needs_a_time(channel: Matter, applicant: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _ask(applicant, matter_code="commercial-performance", kind=GuidanceKind.PRE_REVIEW)
    assert "appointment_at" in _fields(exc)


def test_a_pre_review_appointment_on_a_working_day_in_hours_is_booked(
    channel: Matter, applicant: User
) -> None:
    guidance = _ask(
        applicant,
        matter_code="commercial-performance",
        kind=GuidanceKind.PRE_REVIEW,
        appointment_at=WORKDAY_10AM,
    )
    assert guidance.appointment_at == WORKDAY_10AM


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        # 国庆节 2026: Thursday 1 October is a public holiday.
        (dt.datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI), "不是工作日"),
        # Saturday 19 September 2026.
        (dt.datetime(2026, 9, 19, 10, 0, tzinfo=SHANGHAI), "不是工作日"),
        (dt.datetime(2026, 9, 15, 18, 30, tzinfo=SHANGHAI), "办公时间"),
        (dt.datetime(2026, 9, 15, 12, 30, tzinfo=SHANGHAI), "办公时间"),
        (dt.datetime(2026, 8, 31, 10, 0, tzinfo=SHANGHAI), "晚于当前时间"),
    ],
)
def test_it_refuses_an_appointment_on_a_holiday_a_weekend_or_out_of_hours(
    channel: Matter, applicant: User, moment: dt.datetime, words: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _ask(
            applicant,
            matter_code="commercial-performance",
            kind=GuidanceKind.PRE_REVIEW,
            appointment_at=moment,
        )
    assert words in _fields(exc)["appointment_at"]


def test_the_department_reviewer_answers(guided: Matter, applicant: User, reviewer: User) -> None:
    guidance = _ask(applicant)
    answered = services.guidance_answer(
        actor=reviewer,
        guidance=guidance,
        answer="接管点位置可行，隔油池容量需加大",
        checked_items=["接管点位置", "排水管网图", "接管点位置"],
    )
    assert answered.status == GuidanceStatus.ANSWERED
    assert answered.checked_items == ["接管点位置", "排水管网图"]
    assert list(selectors.guidance_list_for_staff(user=reviewer)) == [answered]


def test_only_the_matters_department_may_answer(
    guided: Matter, applicant: User, police_reviewer: User, clerk: User, outsider: User
) -> None:
    guidance = _ask(applicant)
    with pytest.raises(NotFound):
        services.guidance_answer(actor=police_reviewer, guidance=guidance, answer="可以")
    with pytest.raises(NotFound):
        services.guidance_answer(actor=outsider, guidance=guidance, answer="可以")
    with pytest.raises(PermissionDenied):
        services.guidance_answer(actor=clerk, guidance=guidance, answer="可以")
    assert list(selectors.guidance_list_for_staff(user=police_reviewer)) == []
    guidance.refresh_from_db()
    assert guidance.status == GuidanceStatus.REQUESTED


def test_it_refuses_an_empty_answer_and_a_second_answer(
    guided: Matter, applicant: User, reviewer: User
) -> None:
    guidance = _ask(applicant)
    with pytest.raises(ValidationFailed) as exc:
        services.guidance_answer(actor=reviewer, guidance=guidance, answer=" ", checked_items=[""])
    assert set(_fields(exc)) == {"answer", "checked_items[0]"}
    services.guidance_answer(actor=reviewer, guidance=guidance, answer="可以")
    with pytest.raises(InvalidStateChange):
        services.guidance_answer(actor=reviewer, guidance=guidance, answer="再答一次")


def test_an_application_built_on_guidance_is_prefilled_linked_and_uses_it_up(
    guided: Matter, applicant: User, reviewer: User
) -> None:
    guidance = _ask(applicant)
    services.guidance_answer(
        actor=reviewer, guidance=guidance, answer="可行", checked_items=["接管点位置"]
    )
    case = case_services.case_create(
        actor=applicant,
        matter_code="drainage-permit",
        form={"discharge_volume": 80},
        guidance_id=guidance.pk,
    )
    assert case.guidance_id == guidance.pk
    assert case.form_data == {"project_name": "示范园区食堂", "discharge_volume": 80}
    guidance.refresh_from_db()
    assert guidance.status == GuidanceStatus.USED
    with pytest.raises(ValidationFailed) as exc:
        case_services.case_create(
            actor=applicant, matter_code="drainage-permit", guidance_id=guidance.pk
        )
    assert "已用于" in _fields(exc)["guidance"]


def test_an_application_cannot_use_guidance_unanswered_or_of_someone_else(
    guided: Matter, applicant: User, agent_user: User
) -> None:
    guidance = _ask(applicant)
    with pytest.raises(ValidationFailed) as exc:
        case_services.case_create(
            actor=applicant, matter_code="drainage-permit", guidance_id=guidance.pk
        )
    assert "尚未答复" in _fields(exc)["guidance"]
    with pytest.raises(ValidationFailed) as exc:
        case_services.case_create(
            actor=agent_user, matter_code="drainage-permit", guidance_id=guidance.pk
        )
    assert "不存在" in _fields(exc)["guidance"]


def test_guidance_over_http(
    guided: Matter,
    applicant: User,
    reviewer: User,
    outsider: User,
    api_client: Client,
    bearer: Any,
) -> None:
    me, staff = bearer(applicant), bearer(reviewer)
    body = {
        "matter": "drainage-permit",
        "kind": "pre_approval",
        "description": "新建食堂污水接入市政管网",
        "draft_form": {"project_name": "示范园区食堂"},
    }
    created = api_client.post("/api/v1/guidance", body, content_type="application/json", **me)
    assert created.status_code == 201, created.content
    gid = created.json()["id"]
    assert created.json()["apply_url"] is None

    listed = api_client.get("/api/v1/guidance", **staff)
    assert [g["id"] for g in listed.json()] == [gid]
    assert api_client.get(f"/api/v1/guidance/{gid}", **bearer(outsider)).status_code == 404

    refused = api_client.post(
        f"/api/v1/guidance/{gid}/answer",
        {"answer": "可行"},
        content_type="application/json",
        **me,
    )
    assert refused.status_code == 404
    answered = api_client.post(
        f"/api/v1/guidance/{gid}/answer",
        {"answer": "可行", "checked_items": ["接管点位置"]},
        content_type="application/json",
        **staff,
    )
    assert answered.status_code == 200, answered.content
    detail = api_client.get(f"/api/v1/guidance/{gid}", **me).json()
    assert detail["answer"] == "可行"
    assert detail["apply_url"] == f"/apply/drainage-permit/?guidance={gid}"

    ordinary = api_client.post(
        "/api/v1/guidance",
        {**body, "matter": "no-such"},
        content_type="application/json",
        **me,
    )
    assert ordinary.status_code == 422
    assert ordinary.json()["errors"][0]["field"] == "matter"

    case = api_client.post(
        "/api/v1/applications",
        {"matter": "drainage-permit", "guidance": gid},
        content_type="application/json",
        **me,
    )
    assert case.status_code == 201, case.content
    assert case.json()["form"]["project_name"] == "示范园区食堂"
