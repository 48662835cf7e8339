"""The search statements: SQL text built once per shape, a fixed number of queries per search,
only the result list's columns loaded, and LIKE's wildcards taken literally."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tongban.catalog import search
from tongban.catalog.api import _summary
from tongban.catalog.models import Matter
from tongban.catalog.selectors import matter_search
from tongban.catalog.services import synonym_upsert, theme_upsert

pytestmark = pytest.mark.django_db

API = "/api/v1/matters"


@pytest.fixture(autouse=True)
def _no_result_cache(settings: Any) -> None:
    settings.CATALOG_SEARCH_CACHE_SECONDS = 0


def test_a_new_search_costs_four_queries_whatever_the_query(
    client: Client, catalogue: dict[str, Matter], django_assert_num_queries: Any
) -> None:
    # The synonym look-up, the scoring statement, the page's matters, the themes: the query is
    # parsed once for the matters and the themes.
    for query in ("开饭店", "我要办居住证", "营业执照", "结婚登记"):
        with django_assert_num_queries(4):
            body = client.get(API, {"q": query}).json()
        assert body["items"], query


def test_the_substring_fallback_costs_the_same(
    client: Client, catalogue: dict[str, Matter], django_assert_num_queries: Any
) -> None:
    # 税 is one character: no word-index statement, the substring statement instead.
    with django_assert_num_queries(4):
        body = client.get(API, {"q": "税"}).json()
    assert body["total"] >= 1


def test_the_result_list_is_rendered_without_further_queries(
    client: Client, catalogue: dict[str, Matter], django_assert_num_queries: Any
) -> None:
    page = matter_search(query="许可")
    assert len(page.items) > 3
    with django_assert_num_queries(0):
        rows = [_summary(m) for m in page.items]
        shown = [
            (m.display_name, m.department.display_name, m.get_online_depth_display())
            for m in page.items
        ]
    assert rows[0]["department"]["code"] and shown[0][0]
    # The guide's texts and the form schema are not loaded for a list.
    assert "form_schema" in page.items[0].get_deferred_fields()
    assert "legal_basis" in page.items[0].get_deferred_fields()


def test_the_statement_is_built_once_per_shape(catalogue: dict[str, Matter]) -> None:
    search._token_sql.cache_clear()
    matter_search(query="开饭店")
    built = search._token_sql.cache_info().misses
    matter_search(query="开饭店")
    matter_search(query="开饭店", audience="person")
    matter_search(query="开饭店", audience="person")
    info = search._token_sql.cache_info()
    # The same query shape again is a hit; a filter is a new shape, built once.
    assert (info.misses, info.hits) == (built + 1, 2)


@pytest.mark.parametrize("query", ["%", "_", "%%", "_%_", "\\", "'\"; --"])
def test_wildcards_and_quotes_in_a_query_are_plain_characters(
    catalogue: dict[str, Matter], query: str
) -> None:
    # A LIKE wildcard would match every matter; here nothing in the catalogue holds these.
    assert matter_search(query=query).total == 0
    assert Matter.objects.filter(is_active=True).exists()


def test_filters_apply_to_both_statements(catalogue: dict[str, Matter]) -> None:
    everyone = {m.code for m in matter_search(query="许可", page_size=100).items}
    persons = matter_search(query="许可", audience="person", page_size=100)
    assert persons.total < len(everyone)
    assert all(m.audience in ("person", "both") for m in persons.items)
    single = matter_search(query="税", audience="enterprise", page_size=100)
    assert all(m.audience in ("enterprise", "both") for m in single.items)


def test_search_refuses_a_lookup_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="code"):
        search.search_page({"code": "x"}, search.ParsedQuery("x", ["xx"], []), offset=0, limit=1)


def test_a_repeated_search_is_answered_from_the_cache_with_the_same_bytes(
    client: Client, catalogue: dict[str, Matter], settings: Any, django_assert_num_queries: Any
) -> None:
    settings.CATALOG_SEARCH_CACHE_SECONDS = 60
    cache.clear()
    first = client.get(API, {"q": "开饭店"})
    with django_assert_num_queries(0):
        again = client.get(API, {"q": "开饭店"})
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again.json()["items"][0]["code"] == "food-business-licence"


def test_with_the_cache_on_synonyms_and_themes_are_read_once_per_generation(
    client: Client,
    catalogue: dict[str, Matter],
    settings: Any,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CATALOG_SEARCH_CACHE_SECONDS = 60
    cache.clear()
    assert client.get(API, {"q": "开公司"}).json()["themes"][0]["code"] == "open-company"
    # A new query: the scoring statement and the page's matters only.
    with django_assert_num_queries(2):
        body = client.get(API, {"q": "开办企业"}).json()
    assert body["themes"][0]["code"] == "open-company"
    assert client.get(API, {"q": "搞个档口"}).json()["total"] == 0
    # A synonym and a theme added by an admin are searched at once after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        synonym_upsert(term="搞个档口", expansions="食品经营许可")
        theme_upsert(
            code="open-stall",
            fields={
                "name": "开档口",
                "audience": "both",
                "section": "commerce",
                "promised_limit_days": 3,
            },
            matters=[{"matter": "food-business-licence", "order": 1, "stage": 1}],
        )
    assert client.get(API, {"q": "搞个档口"}).json()["items"][0]["code"] == "food-business-licence"
    assert [t["code"] for t in client.get(API, {"q": "开档口"}).json()["themes"]] == ["open-stall"]
    # Theme filters are applied to the cached list as the statement applied them.
    assert client.get(API, {"q": "开公司", "audience": "person"}).json()["themes"] == []
    assert client.get(API, {"q": "开公司", "section": "social"}).json()["themes"] == []
    persons = client.get(API, {"q": "开档口", "audience": "person", "section": "commerce"}).json()
    assert [t["code"] for t in persons["themes"]] == ["open-stall"]
