"""The demo district's catalogue as test input for the exchange's writes (tests only)."""

from __future__ import annotations

import copy
from typing import Any

from tongban.catalog.models import Department
from tongban.demo.district import District, district_read

#: Read once per test process: the files do not change while tests run.
DISTRICT: District = district_read()


def departments_create() -> None:
    """The demo district's departments, the providers the catalogue names."""
    for order, item in enumerate(DISTRICT.departments, start=1):
        Department.objects.update_or_create(
            code=item["code"],
            defaults={"name": item["name"], "name_en": item["name_en"], "order": order},
        )


def demo_resources() -> list[dict[str, Any]]:
    """A fresh copy of the whole demo catalogue (125 resources, 2,076 data items)."""
    return copy.deepcopy(DISTRICT.resources)


def small_catalogue() -> list[dict[str, Any]]:
    """Three resources of the demo catalogue, one of each share type."""
    by_code = {r["code"]: r for r in DISTRICT.resources}
    picked = ["market.business_licence", "police.resident_id", "tax.tax_cases"]
    return copy.deepcopy([by_code[code] for code in picked])


def imported_elicences() -> list[dict[str, Any]]:
    return copy.deepcopy(DISTRICT.elicences)
