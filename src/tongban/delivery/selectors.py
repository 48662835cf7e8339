"""Reads of delivery orders; ``cases`` checks who may see the case before it reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from tongban.delivery import regions
from tongban.delivery.carriers import carrier_get
from tongban.delivery.choices import DeliveryMethod, DeliveryStatus
from tongban.delivery.models import DeliveryOrder
from tongban.delivery.services import ADDRESS_FIELDS, DONE_STATUSES
from tongban.identity.masking import mask_phone

if TYPE_CHECKING:
    from tongban.cases.models import Case


@dataclass(frozen=True)
class EventView:
    status: str
    status_label: str
    at: datetime
    location: str
    note: str


@dataclass(frozen=True)
class DeliveryView:
    method: str
    method_label: str
    #: The parcel's status; None while nothing is posted.
    status: str | None
    status_label: str | None
    carrier: str | None
    tracking_no: str | None
    #: The address chosen (phone masked), from the order once posted, else from the case.
    address: dict[str, str] | None
    delivered_at: datetime | None
    events: list[EventView] = field(default_factory=list)


def carrier_name(code: str) -> str:
    """A carrier's display name; a carrier no longer configured shows its code on old parcels."""
    try:
        return str(getattr(carrier_get(code), "name", code))
    except ImproperlyConfigured:
        return code


def delivery_order_for_case(*, case: Case) -> DeliveryOrder | None:
    """The case's delivery order, if its licence was posted."""
    return DeliveryOrder.objects.filter(case_id=case.pk).first()


def _address_out(source: dict[str, str] | None) -> dict[str, str] | None:
    if not source:
        return None
    out = {key: str(source.get(key, "")) for key in ("recipient", "province", "city", "district")}
    out["address"] = str(source.get("address", ""))
    out["phone"] = mask_phone(str(source.get("phone", "")))
    return out


def delivery_view(*, case: Case) -> DeliveryView:
    """How the case's licence reaches the applicant, with the parcel's tracking."""
    order = delivery_order_for_case(case=case)
    method = case.delivery_method
    if order is None:
        return DeliveryView(
            method=method,
            method_label=str(DeliveryMethod(method).label),
            status=None,
            status_label=None,
            carrier=None,
            tracking_no=None,
            address=_address_out(getattr(case, "delivery_address", None) or None),
            delivered_at=None,
        )
    events = [
        EventView(
            status=e.status,
            status_label=str(DeliveryStatus(e.status).label),
            at=e.at,
            location=e.location,
            note=e.note,
        )
        for e in order.events.order_by("at", "id")
    ]
    return DeliveryView(
        method=method,
        method_label=str(DeliveryMethod(method).label),
        status=order.status,
        status_label=str(DeliveryStatus(order.status).label),
        carrier=carrier_name(order.carrier),
        tracking_no=order.tracking_no or None,
        address=_address_out({f: getattr(order, f) for f in ADDRESS_FIELDS}),
        delivered_at=order.delivered_at,
        events=events,
    )


def delivery_orders_open(*, carrier: str | None = None) -> QuerySet[DeliveryOrder]:
    """Parcels still on their way (for ``tongban delivery advance --all``), oldest first."""
    orders = DeliveryOrder.objects.exclude(status__in=list(DONE_STATUSES))
    if carrier:
        orders = orders.filter(carrier=carrier)
    return orders.order_by("created_at", "id")


def regions_table() -> list[dict[str, object]]:
    """Provinces with their cities, and districts where the table knows them (for forms)."""
    return [
        {
            "name": province,
            "cities": [
                {"name": city, "districts": list(regions.DISTRICTS.get(city, ()))}
                for city in cities
            ],
        }
        for province, cities in regions.CITIES.items()
    ]
