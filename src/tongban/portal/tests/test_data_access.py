"""谁用了我的数据 (/my/data-access/): every access to the citizen's data, and only theirs."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.catalog.models import Department
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.exchange.choices import ShareType, SubjectKind
from tongban.exchange.models import AccessLog, DataField, DataResource, RegistryRecord
from tongban.exchange.services import exchange_query
from tongban.identity.models import Enterprise, User
from tongban.portal.views_data_access import PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = "/my/data-access/"


def _resource(code: str, provider: Department, subject: str, record_for: str) -> DataResource:
    resource = DataResource.objects.create(
        code=code,
        name="居民户籍信息" if subject == SubjectKind.PERSON else "营业执照信息",
        provider=provider,
        share_type=ShareType.UNCONDITIONAL,
        subject_kind=subject,
    )
    DataField.objects.create(resource=resource, code="name", name="姓名")
    RegistryRecord.objects.create(resource=resource, subject=record_for, data={"name": "张三"})
    return resource


@pytest.fixture
def matter(departments: dict[str, Department]) -> None:
    section_upsert(code="social", fields={"name": "社会事务"})
    matter_upsert(
        code="residence-permit",
        fields={
            "name": "居住证办理",
            "kind": "public_service",
            "audience": "both",
            "department": "police",
            "section": "social",
            "legal_limit_days": 15,
            "promised_limit_days": 10,
            "online_depth": "full_online",
            "channels": ["online"],
            "form_schema": {"type": "object", "properties": {}},
        },
        materials=[
            {"code": "household", "name": "户籍信息", "shared_resource": "police.household"}
        ],
    )


@pytest.fixture
def household(departments: dict[str, Department], applicant: User) -> DataResource:
    return _resource(
        "police.household", departments["police"], SubjectKind.PERSON, APPLICANT_ID_NUMBER
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_sees_who_used_their_data_for_which_case(
    matter: None, household: DataResource, applicant: User
) -> None:
    case = cases.case_create(actor=applicant, matter_code="residence-permit")

    response = _client(applicant).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "谁用了我的数据" in page
    assert "公安分局" in page
    assert "居民户籍信息" in page
    assert case.case_no is not None and case.case_no in page
    assert reverse("portal:my_case", args=[case.pk]) in page
    assert f"办理居住证办理（{case.case_no}）申请材料免提交" in page
    assert "成功" in page
    assert APPLICANT_ID_NUMBER not in page  # only the masked number is shown


def test_an_outsider_never_sees_another_persons_accesses(
    matter: None, household: DataResource, applicant: User, outsider: User
) -> None:
    case = cases.case_create(actor=applicant, matter_code="residence-permit")

    page = _client(outsider).get(URL).content.decode()

    assert case.case_no is not None and case.case_no not in page
    assert "居民户籍信息" not in page
    assert "还没有部门查询过您的数据" in page


def test_an_agent_sees_accesses_to_their_enterprise_without_a_link_to_others_cases(
    departments: dict[str, Department],
    applicant: User,
    enterprise: Enterprise,
    agent_user: User,
    clerk: User,
) -> None:
    _resource(
        "market.business_licence", departments["market"], SubjectKind.ENTERPRISE, ENTERPRISE_USCC
    )
    # A case of somebody else (the citizen) for which market looked the enterprise up.
    section_upsert(code="social", fields={"name": "社会事务"})
    matter_upsert(
        code="some-matter",
        fields={
            "name": "某事项",
            "kind": "public_service",
            "audience": "person",
            "department": "market",
            "section": "social",
            "legal_limit_days": 5,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online"],
            "form_schema": {"type": "object", "properties": {}},
        },
        materials=[],
    )
    other = cases.case_create(actor=applicant, matter_code="some-matter")
    exchange_query(
        actor=clerk,
        department_code="market",
        resource_code="market.business_licence",
        subject=ENTERPRISE_USCC,
        case=other,
        purpose="核查经营者信息",
    )

    page = _client(agent_user).get(URL).content.decode()

    assert "营业执照信息" in page and "核查经营者信息" in page
    assert other.case_no is not None and other.case_no in page
    assert reverse("portal:my_case", args=[other.pk]) not in page


def test_the_list_is_newest_first_and_paginated(
    matter: None, household: DataResource, applicant: User
) -> None:
    made: list[Case] = [
        cases.case_create(actor=applicant, matter_code="residence-permit")
        for _ in range(PAGE_SIZE + 1)
    ]
    assert AccessLog.objects.count() == PAGE_SIZE + 1
    oldest, newest = str(made[0].case_no), str(made[-1].case_no)
    client = _client(applicant)

    first = client.get(URL).content.decode()
    second = client.get(URL, {"page": 2}).content.decode()

    assert first.count('class="case-item access-item"') == PAGE_SIZE
    assert second.count('class="case-item access-item"') == 1
    assert "第 1 / 2 页" in first
    assert newest in first and newest not in second
    assert oldest in second and oldest not in first


def test_a_bad_page_number_shows_the_first_page(
    matter: None, household: DataResource, applicant: User
) -> None:
    cases.case_create(actor=applicant, matter_code="residence-permit")

    response = _client(applicant).get(URL, {"page": "abc"})

    assert response.status_code == 200
    assert response.content.decode().count('class="case-item access-item"') == 1


def test_it_asks_a_visitor_to_sign_in(db: None) -> None:
    response = Client().get(URL)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_my_cases_links_to_the_page(applicant: User) -> None:
    page = _client(applicant).get(reverse("portal:my_cases")).content.decode()

    assert URL in page
