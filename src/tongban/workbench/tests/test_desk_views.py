"""The counter pages of the workbench: 前台综合受理 and 统一出件 (server-rendered, no browser)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases import services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, TimelineEntry
from tongban.cases.services import outputs
from tongban.cases.tests.factories import PDF_BYTES, case_submitted
from tongban.cases.tests.outputs_helpers import decide, permit
from tongban.catalog.models import Department, Matter
from tongban.conftest import APPLICANT_ID_NUMBER
from tongban.identity.models import Person, User
from tongban.identity.numbers import resident_id_make

WALK_IN_ID = resident_id_make(area="320583", birth=dt.date(1994, 5, 6), sequence=42)
PAGES = ("/workbench/desk/accept/", "/workbench/desk/outputs/")


@pytest.fixture
def matter(departments: dict[str, Department], settings: Any, tmp_path: Any) -> Matter:
    settings.MEDIA_ROOT = tmp_path / "media"
    return permit("drainage-licence-free")


def _identity(**extra: str) -> dict[str, str]:
    return {
        "applicant_type": "person",
        "id_number": WALK_IN_ID,
        "name": "赵敏",
        "mobile": "13912345678",
        "target": "matter:drainage-licence-free",
        **extra,
    }


@pytest.mark.parametrize("path", PAGES)
def test_other_staff_and_citizens_are_refused(
    path: str, client: Client, clerk: User, outsider: User, center_admin: User
) -> None:
    for user in (clerk, center_admin):
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 403
        assert 'id="forbidden-reason"' in response.content.decode()
    client.force_login(outsider)
    assert client.get(path).status_code == 403


def test_a_post_by_another_clerk_saves_nothing(
    matter: Matter, client: Client, clerk: User, center_clerk: User
) -> None:
    client.force_login(clerk)
    response = client.post("/workbench/desk/accept/", _identity())
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_the_menu_shows_the_counter_to_a_center_window_clerk_only(
    client: Client, center_clerk: User, clerk: User
) -> None:
    client.force_login(center_clerk)
    assert "/workbench/desk/outputs/" in client.get("/workbench/").content.decode()
    client.force_login(clerk)
    assert "/workbench/desk/outputs/" not in client.get("/workbench/").content.decode()


def test_the_search_offers_matters_and_the_ticket_is_carried(
    matter: Matter, client: Client, center_clerk: User
) -> None:
    client.force_login(center_clerk)
    response = client.get("/workbench/desk/accept/", {"q": "排水", "ticket": "a012"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="matter:drainage-licence-free"' in html
    assert 'id="desk-ticket"' in html and "A012" in html


def test_a_walk_in_is_accepted_filled_in_scanned_and_submitted(
    matter: Matter, client: Client, center_clerk: User
) -> None:
    client.force_login(center_clerk)
    response = client.post("/workbench/desk/accept/", _identity())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/workbench/desk/cases/{case.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="form.project_name"' in page.content.decode()
    files = {
        f"file.{code}": SimpleUploadedFile(f"{code}.pdf", PDF_BYTES, "application/pdf")
        for code in ("application-form", "pipe-network-map")
    }
    response = client.post(
        page.request["PATH_INFO"],
        {
            "form.project_name": "窗口项目",
            "form.discharge_volume": "5",
            "delivery_method": "pickup",
            "action": "submit",
            **files,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.status, case.delivery_method, case.visit_count) == (
        CaseStatus.SUBMITTED,
        "pickup",
        1,
    )
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert case.case_no in receipt.content.decode()
    assert 'id="receipt-case-no"' in receipt.content.decode()


def test_a_missing_material_is_shown_and_nothing_is_submitted(
    matter: Matter, client: Client, center_clerk: User
) -> None:
    client.force_login(center_clerk)
    client.post("/workbench/desk/accept/", _identity())
    case = Case.objects.get()
    response = client.post(
        f"/workbench/desk/cases/{case.pk}/",
        {"form.project_name": "窗口项目", "form.discharge_volume": "5", "action": "submit"},
    )
    assert response.status_code == 422
    assert "field-error" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.visit_count) == (CaseStatus.DRAFT, 0)


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"id_number": "320583199405060421"}, "校验码"),
        ({"target": ""}, "请先搜索并选择"),
        ({"mobile": "12"}, "11位手机号码"),
        (
            {"applicant_type": "enterprise", "uscc": "91310114MA1GKF8T0X", "enterprise_name": "某"},
            "统一社会信用代码",
        ),
    ],
)
def test_a_bad_identity_is_shown_next_to_its_input_and_saves_nothing(
    matter: Matter, client: Client, center_clerk: User, posted: dict[str, str], message: str
) -> None:
    client.force_login(center_clerk)
    persons = Person.objects.count()
    response = client.post("/workbench/desk/accept/", _identity(**posted))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Case.objects.exists()
    assert Person.objects.count() == persons


@pytest.fixture
def ready(matter: Matter, applicant: User, clerk: User, reviewer: User, approver: User) -> Case:
    case = case_submitted(applicant=applicant, matter_code=matter.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    return decide(case, clerk, reviewer, approver)


def test_the_output_window_finds_and_hands_over(
    ready: Case, client: Client, center_clerk: User
) -> None:
    client.force_login(center_clerk)
    page = client.get("/workbench/desk/outputs/", {"q": APPLICANT_ID_NUMBER})
    assert f'data-output="{ready.pk}"' in page.content.decode()
    response = client.post(
        f"/workbench/desk/outputs/{ready.pk}/hand-over/",
        {"id_number": APPLICANT_ID_NUMBER, "signed": "on", "q": ready.case_no},
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert (ready.status, ready.visit_count) == (CaseStatus.COMPLETED, 1)
    again = client.post(
        f"/workbench/desk/outputs/{ready.pk}/hand-over/",
        {"id_number": APPLICANT_ID_NUMBER, "signed": "on"},
    )
    assert again.status_code == 409


def test_a_wrong_identity_or_no_signature_is_shown_and_changes_nothing(
    ready: Case, client: Client, center_clerk: User
) -> None:
    client.force_login(center_clerk)
    entries = TimelineEntry.objects.filter(case=ready).count()
    stranger = resident_id_make(area="310114", birth=dt.date(1970, 1, 1), sequence=11)
    for posted in (
        {"id_number": stranger, "signed": "on"},
        {"id_number": APPLICANT_ID_NUMBER},
    ):
        response = client.post(f"/workbench/desk/outputs/{ready.pk}/hand-over/", posted)
        assert response.status_code == 422, posted
        assert 'id="hand-over-error"' in response.content.decode()
    ready.refresh_from_db()
    assert (ready.status, ready.visit_count) == (CaseStatus.ISSUED, 0)
    assert TimelineEntry.objects.filter(case=ready).count() == entries


def test_the_pages_read_in_english(matter: Matter, client: Client, center_clerk: User) -> None:
    client.force_login(center_clerk)
    client.cookies["django_language"] = "en"
    html = client.get("/workbench/desk/accept/", {"q": "排水"}).content.decode()
    outputs_html = client.get("/workbench/desk/outputs/").content.decode()
    assert "Front-desk acceptance" in html
    assert "Resident ID number" in html and "Mobile number" in html
    assert "Unified output window" in outputs_html
    assert "暂无" not in outputs_html


def test_a_window_draft_of_another_channel_is_not_found(
    matter: Matter, client: Client, center_clerk: User, applicant: User
) -> None:
    online = services.case_create(
        actor=applicant, matter_code=matter.code, form={"project_name": "在线"}
    )
    client.force_login(center_clerk)
    assert client.get(f"/workbench/desk/cases/{online.pk}/").status_code == 404
