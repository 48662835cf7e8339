"""Search beyond single matters: themes first, the synonym table, noise cut, zero-result help."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tongban.catalog.models import Matter, SearchSynonym, Section
from tongban.catalog.schemas import MatterPageOut
from tongban.catalog.search import SYNONYM_FILE, file_synonyms, parse_query
from tongban.catalog.selectors import SUGGESTED_SERVICES
from tongban.catalog.services import matter_upsert
from tongban.catalog.tests.factories import matter_fields

pytestmark = pytest.mark.django_db

API = "/api/v1"


def search(client: Client, **params: str) -> dict:
    response = client.get(f"{API}/matters", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert MatterPageOut.model_validate(body).model_dump() == body
    return body


def test_a_colloquial_query_finds_the_theme_first_and_the_matters_beside_it(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    body = search(client, q="开公司")
    assert [t["code"] for t in body["themes"]] == ["open-company"]
    assert body["themes"][0]["name"] == "开办企业"
    assert body["themes"][0]["section"]["code"] == "commerce"
    assert body["items"][0]["code"] == "company-registration"
    assert body["suggestions"] is None
    # The theme's exact name finds it too; a filter themes lack (department) leaves them out.
    assert [t["code"] for t in search(client, q="开办企业")["themes"]] == ["open-company"]
    assert search(client, q="开办企业", department="market")["themes"] == []
    # Themes are on the first page only.
    assert search(client, q="开公司", page="2")["themes"] == []


def test_a_member_matter_or_a_shared_word_does_not_list_the_theme(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    for query in ("企业设立登记", "登记", "发票"):
        assert search(client, q=query)["themes"] == [], query


def test_a_word_shared_with_the_best_match_only_is_cut_off(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    for code, name, keywords in (
        ("marriage-registration", "结婚登记", "结婚,领证"),
        ("company-change-registration", "企业变更登记", "变更,换执照"),
    ):
        fields = matter_fields(name=name, name_en="", keywords=keywords)
        matter_upsert(code=code, fields=fields, materials=[])
    codes = [m["code"] for m in search(client, q="结婚登记")["items"]]
    assert codes == ["marriage-registration"]
    # A query that is only the shared word still lists every matter with it.
    registrations = {m["code"] for m in search(client, q="登记")["items"]}
    assert {"marriage-registration", "company-change-registration"} <= registrations


def test_the_reviewed_synonym_table_expands_without_a_database_row(
    catalogue: dict[str, Matter],
) -> None:
    table = file_synonyms()
    assert len(table) >= 50
    lines = [
        line
        for line in SYNONYM_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[^:\s]+: \S.*", line) for line in lines), "term: words per line"
    assert not SearchSynonym.objects.filter(term__in=["生孩子", "开公司", "社保"]).exists()
    assert "开办企业" in parse_query("怎么开公司").synonym_terms
    assert "社会保障卡" in parse_query("社保").synonym_terms
    # Admin rows still add their own words beside the file's.
    SearchSynonym.objects.create(term="开公司", expansions="公司注册")
    assert {"开办企业", "公司注册"} <= set(parse_query("开公司").synonym_terms)


def test_a_search_that_finds_nothing_suggests_sections_and_services(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    for query in ("公积金", "！？。，", "zzzqqq"):
        body = search(client, q=query)
        assert (body["total"], body["items"], body["themes"]) == (0, [], []), query
        sections = [s["code"] for s in body["suggestions"]["sections"]]
        assert sections == list(
            Section.objects.order_by("order", "code").values_list("code", flat=True)
        )
        services = body["suggestions"]["matters"]
        assert len(services) == SUGGESTED_SERVICES
        assert all(Matter.objects.get(code=m["code"]).is_active for m in services)
    # No query is a listing, not a failed search.
    assert search(client, q="")["suggestions"] is None


def test_an_overlong_query_is_refused_clearly_and_changes_nothing(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    count = Matter.objects.count()
    response = client.get(f"{API}/matters", {"q": "开饭店" * settings.SEARCH_MAX_QUERY_LENGTH})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"
    assert Matter.objects.count() == count


def test_the_search_page_shows_themes_first_and_help_when_nothing_is_found(
    client: Client, catalogue: dict[str, Matter]
) -> None:
    page = client.get("/search/", {"q": "开公司"}).content.decode()
    assert 'data-theme="open-company"' in page
    assert page.index('data-theme="open-company"') < page.index('class="matter-item"')
    assert "data-suggestions" not in page

    empty = client.get("/search/", {"q": "公积金"}).content.decode()
    assert 'data-suggestions="sections"' in empty and 'data-suggestions="matters"' in empty
    assert "商事登记" in empty and empty.count('class="matter-item"') == SUGGESTED_SERVICES

    client.cookies["django_language"] = "en"
    english = client.get("/search/", {"q": "公积金"}).content.decode()
    assert "Browse by section" in english and "Services people use most" in english
    themed = client.get("/search/", {"q": "开公司"}).content.decode()
    assert "Themed services" in themed and "Opening a Company" in themed
