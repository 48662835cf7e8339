"""Delivery over HTTP: the regions an address form offers.

How a case's licence reaches the applicant (choose, track) is asked of the case:
``POST/GET /applications/{id}/delivery`` live in ``cases.api``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from tongban.delivery import selectors
from tongban.delivery.schemas import ProvinceOut

router = Router(tags=["delivery"])


@router.get("/delivery/regions", response=list[ProvinceOut])
def delivery_regions(request: HttpRequest) -> list[dict[str, object]]:
    """Provinces and cities (with the districts the address check knows) for address forms."""
    return selectors.regions_table()
