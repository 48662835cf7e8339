"""The guidance pages: ask on the portal, answer in the workbench, apply on the answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases import services as case_services
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Matter
from tongban.counter import services
from tongban.counter.choices import GuidanceKind, GuidanceStatus
from tongban.counter.models import GuidanceRequest
from tongban.counter.tests.conftest import NOW
from tongban.identity.models import User


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _answered(applicant: User, reviewer: User) -> GuidanceRequest:
    guidance = services.guidance_request(
        actor=applicant,
        matter_code="drainage-permit",
        kind=GuidanceKind.PRE_APPROVAL,
        description="新建食堂污水接入市政管网",
        draft_form={"project_name": "示范园区食堂"},
        now=NOW,
    )
    return services.guidance_answer(
        actor=reviewer, guidance=guidance, answer="接管点可行", checked_items=["接管点位置"]
    )


def test_the_guide_page_of_a_guided_matter_offers_guidance(
    guided: Matter, ordinary: Matter, applicant: User
) -> None:
    client = _client(applicant)
    assert "申请批前指导" in client.get("/matters/drainage-permit/").content.decode()
    assert "data-guidance-link" not in client.get("/matters/ordinary-permit/").content.decode()
    assert client.get("/guidance/new/ordinary-permit/").status_code == 404


def test_an_applicant_asks_for_guidance_on_the_portal(guided: Matter, applicant: User) -> None:
    client = _client(applicant)
    assert client.get("/guidance/new/drainage-permit/").status_code == 200
    response = client.post(
        "/guidance/new/drainage-permit/",
        {"kind": "pre_approval", "description": "新建食堂", "form.project_name": "示范园区食堂"},
    )
    guidance = GuidanceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/my/guidance/{guidance.pk}/"
    assert guidance.draft_form == {"project_name": "示范园区食堂"}
    assert f'data-guidance="{guidance.pk}"' in client.get("/my/guidance/").content.decode()


def test_a_weekend_appointment_is_refused_on_the_portal(channel: Matter, applicant: User) -> None:
    client = _client(applicant)
    today = timezone.localdate()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    response = client.post(
        "/guidance/new/commercial-performance/",
        {
            "kind": "pre_review",
            "description": "演出预审",
            "appointment_at": f"{saturday.isoformat()}T10:00",
        },
    )
    assert response.status_code == 422
    assert "不是工作日" in response.content.decode()
    assert not GuidanceRequest.objects.exists()


def test_the_answer_page_links_to_applying_and_the_application_is_prefilled(
    guided: Matter, applicant: User, reviewer: User, outsider: User
) -> None:
    guidance = _answered(applicant, reviewer)
    client = _client(applicant)
    page = client.get(f"/my/guidance/{guidance.pk}/").content.decode()
    assert "接管点可行" in page
    assert f"/apply/drainage-permit/?guidance={guidance.pk}" in page
    assert _client(outsider).get(f"/my/guidance/{guidance.pk}/").status_code == 404

    form = client.get(f"/apply/drainage-permit/?guidance={guidance.pk}").content.decode()
    assert 'value="示范园区食堂"' in form
    response = client.post(
        "/apply/drainage-permit/",
        {
            "guidance": guidance.pk,
            "form.project_name": "示范园区食堂",
            "form.discharge_volume": "80",
            "idempotency_key": "k1",
            "action": "continue",
        },
    )
    assert response.status_code == 302
    guidance.refresh_from_db()
    assert guidance.status == GuidanceStatus.USED
    assert guidance.cases.get().form_data["discharge_volume"] == 80


def test_the_department_answers_in_the_workbench(
    guided: Matter, applicant: User, reviewer: User, police_reviewer: User
) -> None:
    guidance = services.guidance_request(
        actor=applicant,
        matter_code="drainage-permit",
        kind=GuidanceKind.PRE_APPROVAL,
        description="新建食堂",
        now=NOW,
    )
    staff = _client(reviewer)
    listed = staff.get("/workbench/guidance/").content.decode()
    assert f'data-guidance="{guidance.pk}"' in listed
    url = f"/workbench/guidance/{guidance.pk}/"
    assert _client(police_reviewer).get(url).status_code == 404
    assert (
        f'data-guidance="{guidance.pk}"'
        not in _client(police_reviewer).get("/workbench/guidance/").content.decode()
    )

    refused = staff.post(url, {"answer": "  ", "checked_items": ""})
    assert refused.status_code == 422
    assert "请填写指导意见" in refused.content.decode()
    response = staff.post(url, {"answer": "可行", "checked_items": "接管点位置\n排水管网图\n"})
    assert response.status_code == 302
    guidance.refresh_from_db()
    assert guidance.status == GuidanceStatus.ANSWERED
    assert guidance.checked_items == ["接管点位置", "排水管网图"]


@pytest.mark.parametrize("as_reviewer", [True])
def test_a_case_built_on_guidance_shows_it_to_the_reviewer(
    guided: Matter, applicant: User, reviewer: User, as_reviewer: bool
) -> None:
    guidance = _answered(applicant, reviewer)
    case = case_services.case_create(
        actor=applicant,
        matter_code="drainage-permit",
        form={"discharge_volume": 80},
        guidance_id=guidance.pk,
    )
    case_services.material_upload(
        actor=applicant, case=case, requirement_code="application-form", file=pdf_file()
    )
    case_services.case_submit(actor=applicant, case=case)
    page = _client(reviewer).get(f"/workbench/cases/{case.pk}/").content.decode()
    assert "guidance-panel" in page
    assert "接管点可行" in page
    assert "接管点位置" in page
