"""The public 政务信息资源目录 page /data-catalogue/ and one resource's page."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.catalog.models import Department
from tongban.demo.district import district_read
from tongban.exchange.catalogue import catalogue_upsert
from tongban.exchange.models import DataResource

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db: None) -> None:
    district = district_read()
    for order, item in enumerate(district.departments, start=1):
        Department.objects.update_or_create(
            code=item["code"],
            defaults={"name": item["name"], "name_en": item["name_en"], "order": order},
        )
    catalogue_upsert(resources=district.resources)


def test_the_catalogue_page_counts_resources_and_items_per_department(
    client: Client, catalogue: None
) -> None:
    response = client.get("/data-catalogue/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "政务信息资源目录" in page
    market = DataResource.objects.filter(provider__code="market", is_active=True)
    market_fields = sum(r.fields.count() for r in market)
    counts = {c.code: c for c in response.context["counts"]}
    assert (counts["market"].resources, counts["market"].fields) == (
        market.count(),
        market_fields,
    )
    assert response.context["total_fields"] >= 2000
    assert len(counts) >= 7
    assert f"{market.count()} 类资源 · {market_fields} 个信息项" in page
    assert 'href="/data-catalogue/market.business_licence/"' in page


def test_the_list_filters_by_department_and_share_type(client: Client, catalogue: None) -> None:
    response = client.get("/data-catalogue/", {"department": "police", "share_type": "none"})
    assert response.status_code == 200
    codes = [r.code for r in response.context["resources"]]
    assert "police.fugitives" in codes
    assert all(
        r.provider.code == "police" and r.share_type == "none"
        for r in response.context["resources"]
    )
    assert "police.resident_id" not in codes


def test_the_search_finds_resources_by_a_data_item_name(client: Client, catalogue: None) -> None:
    response = client.get("/data-catalogue/", {"q": "统一社会信用代码 法定代表人"})
    codes = {r.code for r in response.context["resources"]}
    assert "market.business_licence" in codes
    assert "police.resident_id" not in codes
    response = client.get("/data-catalogue/", {"q": "户籍"})
    assert "police.household" in {r.code for r in response.context["resources"]}


def test_share_types_carry_their_badges(client: Client, catalogue: None) -> None:
    page = client.get("/data-catalogue/", {"department": "police"}).content.decode()
    assert "share-conditional badge-defer" in page and "有条件共享" in page
    assert "share-unconditional badge-shared" in page
    assert "share-none badge-plain" in page and "不予共享" in page


def test_a_bad_filter_is_refused_with_a_message(client: Client, catalogue: None) -> None:
    response = client.get("/data-catalogue/", {"share_type": "sometimes", "department": "mars"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "无效的共享类型 &#x27;sometimes&#x27;" in page
    assert "未知的部门代码 &#x27;mars&#x27;" in page
    assert response.context["resources"] == []


def test_an_overlong_search_is_refused(client: Client, catalogue: None) -> None:
    response = client.get("/data-catalogue/", {"q": "营" * 500})
    assert response.status_code == 400
    assert "搜索内容不能超过50个字" in response.content.decode()


def test_a_resource_page_lists_its_fields(client: Client, catalogue: None) -> None:
    response = client.get("/data-catalogue/police.resident_id/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("居民身份证信息", "公安分局", "有条件共享", "公民身份号码", "签发机关", "实时"):
        assert text in page, text
    assert "仅用于办件中的身份与户籍核验" in page
    resource = DataResource.objects.get(code="police.resident_id")
    assert page.count("<tr data-code=") == resource.fields.count()


def test_a_resource_code_with_a_hyphenated_department_works(
    client: Client, catalogue: None
) -> None:
    assert client.get("/data-catalogue/medical-insurance.enrolment/").status_code == 200


def test_an_unknown_or_inactive_resource_is_404(client: Client, catalogue: None) -> None:
    assert client.get("/data-catalogue/market.nothing/").status_code == 404
    DataResource.objects.filter(code="market.pledges").update(is_active=False)
    assert client.get("/data-catalogue/market.pledges/").status_code == 404
    listed = client.get("/data-catalogue/", {"department": "market"}).context["resources"]
    assert "market.pledges" not in {r.code for r in listed}


def test_the_page_works_in_english(client: Client, catalogue: None) -> None:
    client.cookies["django_language"] = "en"
    response = client.get("/data-catalogue/market.business_licence/")
    assert response.status_code == 200
    assert "Business licence" in response.content.decode()
