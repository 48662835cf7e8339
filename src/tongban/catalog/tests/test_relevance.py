"""The search relevance set: everyday queries on the demo district and their expected first result.

``data/relevance.yaml`` holds the queries; ``python -m tongban.catalog.tests.test_relevance``
is not needed — ``hit_rates`` below is what bench/README.md's before/after figures come from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import transaction
from django.test import override_settings

from tongban.catalog import selectors
from tongban.catalog.services import (
    certificate_type_upsert,
    department_upsert,
    matter_upsert,
    section_upsert,
    synonym_upsert,
    theme_upsert,
)
from tongban.demo.district import district_read

RELEVANCE_FILE = Path(__file__).resolve().parent / "data" / "relevance.yaml"
RELEVANCE: dict[str, list[str]] = yaml.safe_load(RELEVANCE_FILE.read_text(encoding="utf-8"))

pytestmark = pytest.mark.django_db


def ranked(query: str) -> list[str]:
    """The first results as a citizen sees them: themes first, then matters."""
    page = selectors.matter_search(query=query, page_size=10)
    return [f"theme:{t.code}" for t in getattr(page, "themes", [])] + [m.code for m in page.items]


def hit_rates() -> tuple[float, float]:
    """Share of the set whose expected result is first, and within the first three."""
    at1 = at3 = 0
    for query, expected in RELEVANCE.items():
        results = ranked(query)
        at1 += bool(results[:1]) and results[0] in expected
        at3 += any(r in expected for r in results[:3])
    return at1 / len(RELEVANCE), at3 / len(RELEVANCE)


@pytest.fixture(scope="module")
def district(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The demo district's catalogue (as `tongban demo load` publishes it), rolled back after."""
    district = district_read()
    with (
        django_db_blocker.unblock(),
        override_settings(CATALOG_SEARCH_CACHE_SECONDS=0),
        transaction.atomic(),
    ):
        for order, item in enumerate(district.departments, start=1):
            department_upsert(**{"order": order, "in_center": True, **item})
        for order, item in enumerate(district.sections, start=1):
            section_upsert(**{"order": order, **item})
        for item in district.certificate_types:
            values = {"is_combined": False, **item}
            certificate_type_upsert(code=values.pop("code"), fields=values)
        for item in district.matters:
            fields = dict(item)
            code, materials = fields.pop("code"), fields.pop("materials")
            matter_upsert(code=code, fields=fields, materials=materials, published_by="demo")
        for theme in district.themes:
            fields = {k: v for k, v in theme.items() if k not in ("code", "matters")}
            theme_upsert(code=theme["code"], fields=fields, matters=theme["matters"])
        for term, expansions in district.synonyms.items():
            synonym_upsert(term=term, expansions=expansions)
        yield
        transaction.set_rollback(True)


def test_the_set_holds_at_least_sixty_everyday_queries() -> None:
    assert len(RELEVANCE) >= 60
    assert all(isinstance(expected, list) and expected for expected in RELEVANCE.values())


@pytest.mark.parametrize("query", list(RELEVANCE))
def test_the_expected_result_comes_first(district: None, query: str) -> None:
    results = ranked(query)
    assert results, f"{query!r} found nothing"
    assert results[0] in RELEVANCE[query], f"{query!r} → {results[:5]}"
