"""A citizen's own space: 我的证照, 消息通知 and the filters of 我的办件."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases.choices import CaseStatus, NotificationChannel
from tongban.cases.models import Case, Notification
from tongban.cases.selectors_my import my_licences
from tongban.catalog.models import Department, Matter
from tongban.certificates import services as certificates
from tongban.certificates.tests.factories import approved_case, food_licence_type, food_matter
from tongban.exchange.choices import LicenceSource
from tongban.exchange.models import ELicence
from tongban.exchange.services import elicence_record
from tongban.identity.models import Enterprise, User

pytestmark = pytest.mark.django_db

PAGES = ["/my/cases/", "/my/certificates/", "/my/notifications/"]


@pytest.fixture(autouse=True)
def _builtin_font(settings: Any) -> None:
    settings.TONGBAN_CERT_FONT = ""


@pytest.fixture
def matter(departments: dict[str, Department]) -> Matter:
    food_licence_type()
    return food_matter()


@pytest.fixture
def issued(matter: Matter, agent_user: User, enterprise: Enterprise) -> Case:
    case = approved_case(matter=matter, user=agent_user, enterprise=enterprise)
    certificates.certificate_issue(case=case)
    return case


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_an_outsider_is_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_my_licences_lists_what_the_enterprise_holds_with_a_pdf_and_a_link_to_share(
    issued: Case, agent_user: User, enterprise: Enterprise
) -> None:
    number = issued.certificates.get().number
    elicence_record(
        licence_type="business-licence",
        number=enterprise.uscc,
        holder_subject=enterprise.uscc,
        holder_name=enterprise.name,
        issuer_code="market",
        issued_on=dt.date(2019, 6, 1),
        valid_until=None,
        data={},
        source=LicenceSource.IMPORTED,
    )
    page = _client(agent_user).get("/my/certificates/")
    html = page.content.decode()
    assert page.status_code == 200
    assert number in html and enterprise.uscc in html
    assert f"/api/v1/certificates/{number}/pdf" in html
    assert f"/verify/{number}/" in html
    held = {licence.number: licence for licence in my_licences(user=agent_user)}
    assert held[number].issued_here and held[number].status == "valid"
    assert not held[enterprise.uscc].issued_here  # imported: no PDF of ours to offer


def test_nobody_else_sees_those_licences(issued: Case, applicant: User, outsider: User) -> None:
    number = issued.certificates.get().number
    for user in (applicant, outsider):
        html = _client(user).get("/my/certificates/").content.decode()
        assert number not in html
        assert my_licences(user=user) == []


def test_an_expired_imported_licence_says_so(applicant: User, departments: Any) -> None:
    person = applicant.person  # type: ignore[attr-defined]
    elicence_record(
        licence_type="residence-permit",
        number="RP-2020-1",
        holder_subject=person.id_number,
        holder_name=person.name,
        issuer_code="police",
        issued_on=dt.date(2020, 1, 1),
        valid_until=dt.date(2021, 1, 1),
        data={},
        source=LicenceSource.IMPORTED,
    )
    [licence] = my_licences(user=applicant, today=dt.date(2026, 12, 4))
    assert licence.status == "expired" and licence.status_label == "已过期"
    assert ELicence.objects.get(number="RP-2020-1").status == "valid"  # reading changes nothing


def test_my_cases_filters_by_group_and_by_words(issued: Case, agent_user: User) -> None:
    client = _client(agent_user)
    Case.objects.filter(pk=issued.pk).update(status=CaseStatus.COMPLETED)
    assert issued.case_no in client.get("/my/cases/?show=done").content.decode()
    assert issued.case_no not in client.get("/my/cases/?show=open").content.decode()
    assert issued.case_no in client.get("/my/cases/", {"q": "食品"}).content.decode()
    empty = client.get("/my/cases/", {"q": "结婚"}).content.decode()
    assert issued.case_no not in empty and "没有符合条件的办件" in empty


@pytest.mark.parametrize(
    ("query", "message"),
    [({"show": "nonsense"}, "没有这个筛选条件"), ({"q": "长" * 101}, "关键词最多 100 个字")],
)
def test_a_bad_filter_is_refused_with_the_reason(
    issued: Case, agent_user: User, query: dict[str, str], message: str
) -> None:
    before = Case.objects.values_list("pk", "status", "updated_at").order_by("pk")
    expected = list(before)
    response = _client(agent_user).get("/my/cases/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and issued.case_no not in html
    assert list(before) == expected


def test_notifications_of_my_cases_only(issued: Case, agent_user: User, applicant: User) -> None:
    Notification.objects.create(
        case=issued, channel=NotificationChannel.SMS, recipient="13900005678", body="您的证照已签发"
    )
    assert "您的证照已签发" in _client(agent_user).get("/my/notifications/").content.decode()
    assert "您的证照已签发" not in _client(applicant).get("/my/notifications/").content.decode()


def test_the_pages_read_in_english(issued: Case, agent_user: User) -> None:
    client = _client(agent_user)
    client.cookies["django_language"] = "en"
    assert "My licences" in client.get("/my/certificates/").content.decode()
    assert "Notifications" in client.get("/my/notifications/").content.decode()
    assert "Case status" in client.get("/my/cases/").content.decode()


def test_the_applicant_downloads_the_receipt_of_a_submitted_case(
    issued: Case, agent_user: User, applicant: User
) -> None:
    Case.objects.filter(pk=issued.pk).update(submitted_at=timezone.now())
    url = f"/my/cases/{issued.pk}/receipt.pdf"
    client = _client(agent_user)
    assert f'href="{url}"' in client.get(f"/my/cases/{issued.pk}/").content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"
    # Somebody else's case, or one not submitted yet: there is no receipt to see.
    assert _client(applicant).get(url).status_code == 404
    Case.objects.filter(pk=issued.pk).update(status=CaseStatus.DRAFT, submitted_at=None)
    assert client.get(url).status_code == 404
