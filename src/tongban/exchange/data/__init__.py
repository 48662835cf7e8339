"""The demo district's 政务信息资源目录 and the records of its local registries.

Resources are plain dicts in the shape ``catalogue_upsert`` takes; the field
tables are modelled on the real registries (公安人口库, 市场监管法人库, 不动产登记簿,
人社 and 医保 参保缴费, 民政婚姻登记, 公安交警, 税务, 建设和卫健执业资格, 房管,
电子证照库, 公共信用信息).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongban.exchange.data import market, others, population, property, social, tax_traffic
from tongban.exchange.data.elicence import elicence_resource_code, elicence_resources
from tongban.exchange.data.registries import imported_elicences, registry_records


@dataclass(frozen=True)
class DemoCatalogueSummary:
    """What the demo catalogue holds, and whether this load changed anything."""

    resources: int
    fields: int
    departments: int
    records: int
    elicences: int
    changed: bool


def catalogue_resources() -> list[dict[str, Any]]:
    """Every resource of the demo catalogue, registries first, then the e-licence library."""
    from tongban.demo.data.organisation import CERTIFICATE_TYPES

    return [
        *population.RESOURCES,
        *market.RESOURCES,
        *property.RESOURCES,
        *social.RESOURCES,
        *tax_traffic.RESOURCES,
        *others.RESOURCES,
        *elicence_resources(CERTIFICATE_TYPES),
    ]


@transaction.atomic
def catalogue_demo_load() -> DemoCatalogueSummary:
    """Load the demo catalogue, its registry records and imported e-licences; idempotent."""
    from tongban.exchange.catalogue import (
        catalogue_upsert,
        elicences_import,
        registry_records_upsert,
    )

    resources = catalogue_resources()
    catalogue = catalogue_upsert(resources=resources)
    records = registry_records_upsert(records=registry_records())
    licences = elicences_import(licences=imported_elicences())
    return DemoCatalogueSummary(
        resources=catalogue.resources,
        fields=catalogue.fields,
        departments=len({r["provider"] for r in resources}),
        records=records.records,
        elicences=licences.records,
        changed=catalogue.changed
        or bool(records.created + records.updated + licences.created + licences.updated),
    )


__all__ = [
    "DemoCatalogueSummary",
    "catalogue_demo_load",
    "catalogue_resources",
    "elicence_resource_code",
    "registry_records",
]
