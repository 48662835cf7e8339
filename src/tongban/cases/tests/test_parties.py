"""多方申请: the seller applies, names the buyer, who confirms; one open transfer per property."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases import services
from tongban.cases.choices import CaseStatus, TaskKind, TaskState, TimelineAction
from tongban.cases.models import Case, CaseParty, Notification, Task, TimelineEntry
from tongban.cases.services import parties
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.conftest import APPLICANT_ID_NUMBER, CAST_PASSWORD
from tongban.core.errors import Conflict, NotFound, ValidationFailed
from tongban.identity import services as identity_services
from tongban.identity.masking import mask_name
from tongban.identity.models import Person, User
from tongban.identity.numbers import resident_id_make

BUYER_ID = resident_id_make(area="310104", birth=dt.date(1990, 5, 6), sequence=23)
TRANSFER = "property-transfer"
FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "property_certificate_no": {"type": "string", "title": "不动产权证书号", "maxLength": 60},
        "seller_name": {"type": "string", "title": "出卖人", "maxLength": 100},
        "seller_id_number": {"type": "string", "title": "出卖人证件号码", "maxLength": 18},
        "buyer_name": {"type": "string", "title": "买受人", "maxLength": 100},
        "buyer_id_number": {"type": "string", "title": "买受人证件号码", "maxLength": 18},
    },
    "required": [
        "property_certificate_no",
        "seller_name",
        "seller_id_number",
        "buyer_name",
        "buyer_id_number",
    ],
}


def transfer_form(**changes: str) -> dict[str, str]:
    return {
        "property_certificate_no": "沪(2024)嘉字不动产权第001234号",
        "seller_name": "张三",
        "seller_id_number": APPLICANT_ID_NUMBER,
        "buyer_name": "赵六",
        "buyer_id_number": BUYER_ID,
        **changes,
    }


@pytest.fixture
def transfer(departments: dict[str, Department]) -> Matter:
    return transfer_matter()


def transfer_matter() -> Matter:
    """不动产转移登记 of the test cast's market department: seller and buyer, one per property."""
    section_upsert(code="realestate", fields={"name": "不动产登记"})
    return matter_upsert(
        code=TRANSFER,
        fields={
            "name": "不动产转移登记",
            "kind": "confirmation",
            "audience": "both",
            "department": "market",
            "section": "realestate",
            "legal_limit_days": 30,
            "promised_limit_days": 3,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": FORM_SCHEMA,
            "process": "standard_approval",
            "process_params": {
                "parties": [
                    {"role": "seller", "name_field": "seller_name", "id_field": "seller_id_number"},
                    {"role": "buyer", "name_field": "buyer_name", "id_field": "buyer_id_number"},
                ],
                "unique_object": "property_certificate_no",
            },
        },
        materials=[],
    )


@pytest.fixture
def buyer(db: None) -> User:
    return buyer_user()


def buyer_user() -> User:
    """赵六, the buyer named in the seller's application."""
    user = identity_services.user_create(
        username="zhaoliu", password=CAST_PASSWORD, first_name="赵六"
    )
    identity_services.person_create(name="赵六", id_number=BUYER_ID, user=user, phone="13600001111")
    return user


def submitted(applicant: User, **changes: str) -> Case:
    case = services.case_create(
        actor=applicant, matter_code=TRANSFER, form=transfer_form(**changes)
    )
    return services.case_submit(actor=applicant, case=case)


def test_the_case_waits_for_the_buyer_then_goes_on_as_any_other(
    transfer: Matter, applicant: User, buyer: User
) -> None:
    case = submitted(applicant)
    assert case.status == CaseStatus.AWAITING_PARTIES
    assert case.process_id is None and not case.tasks.exists()
    [party] = case.parties.all()
    assert (party.role, party.name, party.id_number, party.confirmed_at) == (
        "buyer",
        "赵六",
        BUYER_ID,
        None,
    )
    waiting = TimelineEntry.objects.get(case=case, action=TimelineAction.PARTIES_WAITING)
    assert "买受人赵六" in waiting.comment

    # The buyer sees it among their applications and confirms.
    assert [c.pk for c, _party in parties.party_cases_for_user(user=buyer)] == [case.pk]
    case = services.case_party_confirm(actor=buyer, case_id=case.pk)
    assert case.status == CaseStatus.SUBMITTED
    assert case.process_id is not None
    assert Task.objects.filter(case=case, kind=TaskKind.ACCEPT, state=TaskState.OPEN).exists()
    assert case.acceptance_due_date is not None
    actions = list(case.timeline.order_by("id").values_list("action", flat=True))
    assert actions.count(TimelineAction.SUBMITTED) == 1
    assert TimelineAction.PARTY_CONFIRMED in actions


def test_the_buyer_is_sent_an_sms_to_confirm_without_the_sellers_personal_data(
    transfer: Matter, applicant: User, buyer: User
) -> None:
    case = submitted(applicant)
    [sms] = Notification.objects.filter(case=case, channel="sms", recipient="13600001111")
    assert case.case_no in sms.body and "不动产转移登记" in sms.body
    assert "买受人" in sms.body and "我的办件" in sms.body
    # The seller is named masked; their ID number and phone are not in it.
    assert mask_name(case.applicant_name) in sms.body
    assert case.applicant_name not in sms.body or len(case.applicant_name) == 1
    person = applicant.person
    assert person.id_number not in sms.body
    assert not person.phone or person.phone not in sms.body
    # Confirming sends nothing more to the buyer about it.
    services.case_party_confirm(actor=buyer, case_id=case.pk)
    assert Notification.objects.filter(case=case, recipient="13600001111").count() == 1


def test_a_party_without_a_mobile_on_record_is_not_sent_anything(
    transfer: Matter, applicant: User, buyer: User
) -> None:
    Person.objects.filter(id_number=BUYER_ID).update(phone="")
    case = submitted(applicant)
    assert (
        not Notification.objects.filter(case=case)
        .exclude(
            recipient__in=[applicant.email, applicant.phone, getattr(applicant.person, "phone", "")]
        )
        .exists()
    )


def test_confirming_twice_is_a_conflict_and_changes_nothing(
    transfer: Matter, applicant: User, buyer: User
) -> None:
    case = submitted(applicant)
    services.case_party_confirm(actor=buyer, case_id=case.pk)
    entries = TimelineEntry.objects.filter(case=case).count()
    with pytest.raises(Conflict):
        services.case_party_confirm(actor=buyer, case_id=case.pk)
    assert TimelineEntry.objects.filter(case=case).count() == entries


def test_someone_not_a_party_cannot_confirm(
    transfer: Matter, applicant: User, buyer: User, outsider: User
) -> None:
    case = submitted(applicant)
    for who in (outsider, applicant):  # the applicant is not "another party" either
        with pytest.raises(NotFound):
            services.case_party_confirm(actor=who, case_id=case.pk)
    for bad in (0, -1, 2**63, case.pk + 1000):
        with pytest.raises(NotFound):
            services.case_party_confirm(actor=buyer, case_id=bad)
    assert CaseParty.objects.get(case=case).confirmed_at is None
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_PARTIES


@pytest.mark.parametrize(
    "number",
    ["310104199005062X", BUYER_ID[:-1] + ("0" if BUYER_ID[-1] != "0" else "1"), "abc", "9" * 18],
)
def test_a_malformed_party_id_is_refused_on_its_field_and_nothing_is_stored(
    transfer: Matter, applicant: User, number: str
) -> None:
    case = services.case_create(
        actor=applicant, matter_code=TRANSFER, form=transfer_form(buyer_id_number=number)
    )
    with pytest.raises(ValidationFailed) as refused:
        services.case_submit(actor=applicant, case=case)
    assert [e.field for e in refused.value.errors] == ["form.buyer_id_number"]
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT and not case.parties.exists()
    assert not case.timeline.filter(action=TimelineAction.SUBMITTED).exists()


def test_a_second_open_application_for_the_same_property_names_the_first(
    transfer: Matter, applicant: User, buyer: User
) -> None:
    first = submitted(applicant)
    second = services.case_create(actor=applicant, matter_code=TRANSFER, form=transfer_form())
    with pytest.raises(Conflict) as refused:
        services.case_submit(actor=applicant, case=second)
    assert str(first.case_no) in str(refused.value.detail)
    assert "不动产权证书号" in str(refused.value.detail)
    second.refresh_from_db()
    assert second.status == CaseStatus.DRAFT and not second.parties.exists()
    # Another property is fine; so is the same one once the first was withdrawn.
    other = submitted(applicant, property_certificate_no="沪(2024)嘉字不动产权第009999号")
    assert other.status == CaseStatus.AWAITING_PARTIES
    services.case_withdraw(actor=applicant, case=first)
    again = services.case_submit(actor=applicant, case=second)
    assert again.status == CaseStatus.AWAITING_PARTIES


def test_over_http_the_buyer_confirms_and_a_stranger_gets_404(
    transfer: Matter,
    applicant: User,
    buyer: User,
    outsider: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = submitted(applicant)
    url = f"/api/v1/applications/{case.pk}/confirm"
    assert api_client.post(url, **bearer(outsider)).status_code == 404
    assert api_client.post(url).status_code == 401
    response = api_client.post(url, **bearer(buyer))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["parties"] == [
        {
            "role": "buyer",
            "role_label": "买受人",
            "name": "赵六",
            "confirmed": True,
            "confirmed_at": body["parties"][0]["confirmed_at"],
        }
    ]
    again = api_client.post(url, **bearer(buyer))
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")


def test_a_duplicate_property_is_a_409_problem_over_http(
    transfer: Matter,
    applicant: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    first = submitted(applicant)
    second = services.case_create(actor=applicant, matter_code=TRANSFER, form=transfer_form())
    response = api_client.post(f"/api/v1/applications/{second.pk}/submit", **bearer(applicant))
    assert response.status_code == 409
    assert str(first.case_no) in response.json()["detail"]


def test_the_confirm_page_is_the_partys_only_and_reads_in_english(
    transfer: Matter, applicant: User, buyer: User, outsider: User, client: Client
) -> None:
    case = submitted(applicant)
    url = f"/my/cases/{case.pk}/confirm/"
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(buyer)
    listing = client.get("/my/cases/").content.decode()
    assert "需要您确认的申请" in listing and url in listing
    page = client.get(url).content.decode()
    assert "确认申请内容" in page and "买受人 赵六" in page
    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()
    assert "Confirm the application" in english and "Buyer 赵六: " in english
    assert "待确认" not in english
    response = client.post(url)
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    again = client.post(url)  # the button is gone; a replayed POST is refused, nothing changes
    assert again.status_code == 409
