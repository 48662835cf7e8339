"""不进驻中心负面清单 in the catalogue: the guide and the search results say where to go instead."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.catalog.models import Matter
from tongban.counter.models import NegativeListEntry

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def outside(catalogue: None) -> NegativeListEntry:
    return NegativeListEntry.objects.create(
        matter=Matter.objects.get(code="public-place-hygiene"),
        reason="涉及现场卫生检测，需在卫生监督所实验室办理",
        reason_en="Needs on-site hygiene testing at the health inspection laboratory",
        handled_at="嘉定区卫生监督所（博乐路 123 号）",
        handled_at_en="Jiading Health Inspection Office, 123 Bole Road",
    )


def html(response: Any) -> str:
    return response.content.decode()


def test_the_guide_of_a_matter_on_the_negative_list_says_where_and_why(
    client: Client, outside: NegativeListEntry
) -> None:
    page = html(client.get("/matters/public-place-hygiene/"))
    assert "不进驻中心负面清单" in page
    assert "嘉定区卫生监督所（博乐路 123 号）" in page
    assert "涉及现场卫生检测" in page


def test_the_guide_says_it_in_english(client: Client, outside: NegativeListEntry) -> None:
    client.cookies["django_language"] = "en"
    page = html(client.get("/matters/public-place-hygiene/"))
    assert "negative list" in page
    assert "Jiading Health Inspection Office, 123 Bole Road" in page
    assert "on-site hygiene testing" in page
    assert "嘉定区卫生监督所" not in page


def test_an_ordinary_guide_has_no_negative_list_note(
    client: Client, outside: NegativeListEntry
) -> None:
    page = html(client.get("/matters/food-business-licence/"))
    assert "data-negative-list" not in page
    assert "不进驻中心" not in page


def test_search_results_mark_the_matter_and_name_the_place(
    client: Client, outside: NegativeListEntry
) -> None:
    response = client.get("/search/", {"section": "social"})
    page = html(response)
    assert page.count("data-negative-list") == 1
    assert "在嘉定区卫生监督所（博乐路 123 号）办理" in page
    client.cookies["django_language"] = "en"
    page = html(client.get("/search/", {"section": "social"}, headers={"HX-Request": "true"}))
    assert "Outside the center" in page
    assert "Handled at Jiading Health Inspection Office, 123 Bole Road" in page


def test_search_reads_the_negative_list_in_one_query(
    client: Client, outside: NegativeListEntry
) -> None:
    client.get("/search/")  # warm caches
    with CaptureQueriesContext(connection) as queries:
        client.get("/search/")
    assert sum("counter_negativelistentry" in q["sql"] for q in queries.captured_queries) == 1
