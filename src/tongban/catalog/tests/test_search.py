from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog.models import Matter
from tongban.catalog.search import build_search_text, parse_query
from tongban.catalog.selectors import matter_search
from tongban.catalog.tests.conftest import ACTIVE_MATTER_COUNT
from tongban.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def codes(query: str, **filters: str) -> list[str]:
    return [m.code for m in matter_search(query=query, **filters).items]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("开饭店", "food-business-licence"),
        ("我要开饭店", "food-business-licence"),
        ("营业执照", "company-registration"),
        ("办居住证", "residence-permit"),
        ("施工许可", "construction-permit"),
        ("食品经营许可", "food-business-licence"),
        ("公章", "seal-engraving"),
        ("过户", "property-registration"),
        ("二类医疗器械", "device-2-filing"),
        ("Drainage Permit", "drainage-permit"),
    ],
)
def test_it_ranks_the_intended_matter_first(
    catalogue: dict[str, Matter], query: str, expected: str
) -> None:
    assert codes(query)[0] == expected


def test_a_shop_that_sells_medicine_finds_the_drug_retail_licence(
    catalogue: dict[str, Matter],
) -> None:
    assert "drug-retail-licence" in codes("药店")[:3]


def test_english_words_find_matters_by_their_english_name(catalogue: dict[str, Matter]) -> None:
    assert "food-business-licence" in codes("food")
    assert "food-business-licence" in codes("FOOD licence")


def test_an_offline_matter_is_never_found(catalogue: dict[str, Matter]) -> None:
    assert "retired-canteen-permit" not in codes("饭店")
    assert "retired-canteen-permit" not in codes("")


def test_a_word_in_the_name_beats_the_same_word_among_materials(
    catalogue: dict[str, Matter],
) -> None:
    # 营业执照 is a material of many licences; those must rank below company registration.
    result = codes("营业执照")
    assert result[0] == "company-registration"
    assert "food-business-licence" in result[1:]


def test_a_query_of_one_meaningful_character_still_searches(catalogue: dict[str, Matter]) -> None:
    assert "property-tax" in codes("税")


def test_a_query_of_function_words_alone_does_not_list_everything(
    catalogue: dict[str, Matter],
) -> None:
    assert len(codes("我要")) < ACTIVE_MATTER_COUNT


def test_a_query_matching_nothing_returns_an_empty_page(catalogue: dict[str, Matter]) -> None:
    page = matter_search(query="航天发射")
    assert (page.items, page.total, page.pages) == ([], 0, 0)


def test_the_query_drops_function_words_and_expands_synonyms(
    catalogue: dict[str, Matter],
) -> None:
    parsed = parse_query("我要怎么开饭店")
    assert parsed.terms == ["饭店"]
    # The reviewed table's words (catalog/data/synonyms.txt), then the admin rows'.
    assert parsed.synonym_terms == ["餐饮", "食品经营", "开办餐饮店"]


def test_search_text_holds_names_keywords_department_and_materials(
    catalogue: dict[str, Matter],
) -> None:
    text = build_search_text(Matter.objects.get(code="food-business-licence"))
    for word in ["食品经营许可", "food business licence", "开饭店", "市场监管局", "营业执照"]:
        assert word in text


def test_empty_query_lists_every_active_matter_in_catalogue_order(
    catalogue: dict[str, Matter],
) -> None:
    page = matter_search(query="", page_size=100)
    assert page.total == ACTIVE_MATTER_COUNT
    orders = [(m.department.order, m.code) for m in page.items]
    assert orders == sorted(orders)


def test_filters_narrow_the_results(catalogue: dict[str, Matter]) -> None:
    assert codes("", department="police") == ["residence-permit", "seal-engraving"]
    person = set(codes("", audience="person"))
    assert "residence-permit" in person
    assert "property-registration" in person  # audience both serves persons too
    assert "company-registration" not in person
    assert set(codes("", section="realestate")) == {
        "housing-transaction",
        "property-tax",
        "property-registration",
    }
    assert set(codes("", online_depth="window")) == {
        "housing-transaction",
        "property-tax",
        "property-registration",
    }
    assert codes("营业执照", department="police") == ["seal-engraving"]


def test_pages_split_the_results(catalogue: dict[str, Matter]) -> None:
    first = matter_search(query="", page=1, page_size=5)
    last = matter_search(query="", page=4, page_size=5)
    assert (first.total, first.pages) == (ACTIVE_MATTER_COUNT, 4)
    assert len(last.items) == ACTIVE_MATTER_COUNT - 15
    beyond = matter_search(query="", page=9, page_size=5)
    assert beyond.items == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"audience": "martians"}, "audience"),
        ({"online_depth": "telepathy"}, "online_depth"),
        ({"section": "nowhere"}, "section"),
        ({"department": "nowhere"}, "department"),
        ({"page": 0}, "page"),
        ({"query": "办" * 101}, "q"),
    ],
)
def test_it_refuses_bad_filters(
    catalogue: dict[str, Matter], filters: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        matter_search(**filters)  # type: ignore[arg-type]
    assert [e.field for e in exc.value.errors] == [field]


def test_partial_words_fall_back_to_substring_search(catalogue: dict[str, Matter]) -> None:
    assert "food-business-licence" in codes("licen")
    assert codes("食品经")[0] in {"food-business-licence", "food-production-licence"}


def test_a_cached_search_is_served_without_queries_and_forgotten_after_a_change(
    catalogue: dict[str, Matter],
    settings: Any,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core.cache import cache

    from tongban.catalog.services import matter_upsert
    from tongban.catalog.tests.factories import matter_fields

    settings.CATALOG_SEARCH_CACHE_SECONDS = 60
    cache.clear()
    assert codes("外卖")[:1] == []
    with django_assert_num_queries(0):
        assert codes("外卖") == []
    with django_capture_on_commit_callbacks(execute=True):
        matter_upsert(
            code="food-business-licence",
            fields=matter_fields(keywords="开饭店,餐饮,外卖"),
            materials=[],
        )
    assert codes("外卖") == ["food-business-licence"]


def test_the_index_leaves_out_offline_matters_and_follows_department_order(
    catalogue: dict[str, Matter],
) -> None:
    from tongban.catalog.models import SearchToken
    from tongban.catalog.services import department_upsert

    assert not SearchToken.objects.filter(matter__code="retired-canteen-permit").exists()
    department_upsert(code="police", order=99)
    keys = set(
        SearchToken.objects.filter(matter__code="residence-permit").values_list(
            "sort_key", flat=True
        )
    )
    assert keys == {"0000000099:residence-permit"}
