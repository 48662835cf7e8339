from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tongban.catalog.models import Matter
from tongban.catalog.schemas import MatterPageOut
from tongban.catalog.tests.conftest import ACTIVE_MATTER_COUNT
from tongban.catalog.tests.factories import matter_fields

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_departments_and_sections_are_listed_with_matter_counts(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    departments = client.get(f"{API}/departments").json()
    assert departments[0]["code"] == "center"
    assert {d["code"]: d["matter_count"] for d in departments}["police"] == 2
    sections = client.get(f"{API}/sections").json()
    assert [s["code"] for s in sections][:2] == ["commerce", "construction"]
    assert {s["code"]: s["matter_count"] for s in sections}["realestate"] == 3


def test_search_finds_a_restaurant_licence_in_chinese(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    response = client.get(f"{API}/matters", {"q": "开饭店"})
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert MatterPageOut.model_validate(body).model_dump() == body
    assert body["items"][0]["code"] == "food-business-licence"
    assert body["items"][0]["name"] == "食品经营许可"
    assert body["items"][0]["department"]["code"] == "market"
    assert body["total"] >= 1


def test_empty_query_lists_all_matters_paged(client: Client, catalogue: dict[str, Matter]) -> None:
    first = client.get(f"{API}/matters").json()
    assert (first["total"], first["page"], first["pages"]) == (ACTIVE_MATTER_COUNT, 1, 1)
    filtered = client.get(
        f"{API}/matters", {"audience": "person", "section": "social", "q": ""}
    ).json()
    assert [m["code"] for m in filtered["items"]] == ["residence-permit"]
    second = client.get(f"{API}/matters", {"page": 2}).json()
    assert (second["items"], second["page"]) == ([], 2)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"audience": "martians"}, "audience"),
        ({"section": "nowhere"}, "section"),
        ({"department": "nowhere"}, "department"),
        ({"online_depth": "telepathy"}, "online_depth"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
    ],
)
def test_an_unknown_filter_is_a_422_problem(
    client: Client, catalogue: dict[str, Matter], params: dict[str, str], field: str
) -> None:
    response = client.get(f"{API}/matters", params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [field]


def test_a_ten_thousand_character_query_is_refused_not_crashed(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    response = client.get(f"{API}/matters", {"q": "开饭店" * 3334})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


def test_the_guide_has_everything_an_applicant_needs(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    response = client.get(f"{API}/matters/company-registration")
    assert response.status_code == 200
    guide = response.json()
    assert guide["name"] == "企业设立登记"
    assert guide["name_en"] == "Company Registration"
    assert guide["department"] == {"code": "market", "name": "市场监管局", "name_en": ""}
    assert guide["section"]["code"] == "commerce"
    assert (guide["legal_limit_days"], guide["promised_limit_days"]) == (15, 2)
    assert guide["fee"] == "0.00"
    assert guide["online_depth"] == "full_online"
    assert guide["channels"] == ["online", "window"]
    assert guide["form_schema"]["required"] == ["company_name", "legal_representative"]
    assert guide["version"] == 1
    material = guide["materials"][0]
    assert material["code"] == "m1"
    assert material["required"] is True
    assert material["shared_resource"] is None
    assert guide["certificate_type"] is None


def test_an_old_version_of_a_guide_stays_readable(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    from tongban.catalog.services import matter_upsert

    matter_upsert(
        code="food-business-licence",
        fields=matter_fields(promised_limit_days=3),
        materials=[{"code": "m1", "name": "申请书"}],
    )
    assert client.get(f"{API}/matters/food-business-licence").json()["version"] == 2
    old = client.get(f"{API}/matters/food-business-licence/versions/1").json()
    assert (old["version"], old["promised_limit_days"]) == (1, 5)
    assert client.get(f"{API}/matters/food-business-licence/versions/9").status_code == 404


@pytest.mark.parametrize(
    "path", ["/matters/no-such-matter", "/matters/retired-canteen-permit", "/themes/no-such"]
)
def test_an_unknown_code_is_a_404_problem(
    client: Client, catalogue: dict[str, Matter], path: str
) -> None:
    response = client.get(f"{API}{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_themes_list_their_matters_and_one_merged_form(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    themes = client.get(f"{API}/themes").json()
    assert [t["code"] for t in themes] == ["open-company"]
    theme = client.get(f"{API}/themes/open-company").json()
    assert [(m["code"], m["stage"]) for m in theme["matters"]] == [
        ("company-registration", 1),
        ("seal-engraving", 2),
        ("invoice-application", 2),
    ]
    assert theme["promised_limit_days"] == 5
    assert theme["form_schema"]["x-matters"]["company_name"] == [
        "company-registration",
        "seal-engraving",
        "invoice-application",
    ]


def test_a_cached_search_page_follows_a_published_guide_change(
    client: Client,
    catalogue: dict[str, Matter],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core.cache import cache

    from tongban.catalog.services import matter_upsert
    from tongban.catalog.tests.factories import matter_fields

    settings.CATALOG_SEARCH_CACHE_SECONDS = 60
    cache.clear()
    url = "/api/v1/matters?q=外卖"
    assert client.get(url).json()["total"] == 0
    assert client.get(url).json()["total"] == 0  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        matter_upsert(
            code="food-business-licence",
            fields=matter_fields(keywords="开饭店,餐饮,外卖"),
            materials=[],
        )
    assert [m["code"] for m in client.get(url).json()["items"]] == ["food-business-licence"]
    # A query that failed is refused again, never answered from the cache.
    assert client.get("/api/v1/matters?audience=nobody").status_code == 422
    assert client.get("/api/v1/matters?audience=nobody").status_code == 422
