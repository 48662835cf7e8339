"""Delivery over HTTP: the applicant's choice of how the licence arrives, and its tracking."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from tongban.api.auth import signed_in
from tongban.cases.selectors import case_get_for_user
from tongban.delivery import selectors
from tongban.delivery.schemas import DeliveryChooseIn, DeliveryOut, ProvinceOut
from tongban.delivery.selectors import DeliveryView
from tongban.identity.models import User

router = Router(tags=["delivery"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.post("/applications/{case_id}/delivery", response=DeliveryOut, auth=signed_in)
def delivery_choose(request: HttpRequest, case_id: int, payload: DeliveryChooseIn) -> DeliveryView:
    """Choose e-certificate only, pick-up at the window, or post to an address (before issue)."""
    from tongban.cases.outputs import case_delivery_choose

    user = _user(request)
    case = case_get_for_user(user=user, case_id=case_id)
    # case_delivery_choose checks the address with delivery.services.delivery_address_clean.
    case = case_delivery_choose(
        actor=user, case=case, method=payload.method, address=payload.address
    )
    return selectors.delivery_view(case=case)


@router.get("/applications/{case_id}/delivery", response=DeliveryOut, auth=signed_in)
def delivery_get(request: HttpRequest, case_id: int) -> DeliveryView:
    """How the licence reaches the applicant, and the parcel's tracking events."""
    return selectors.delivery_view_for_user(user=_user(request), case_id=case_id)


@router.get("/delivery/regions", response=list[ProvinceOut])
def delivery_regions(request: HttpRequest) -> list[dict[str, object]]:
    """Provinces and cities (with the districts the address check knows) for address forms."""
    return selectors.regions_table()
