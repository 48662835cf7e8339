"""Request and response shapes of the delivery API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class DeliveryChooseIn(Schema):
    #: electronic | pickup | post
    method: str
    #: {recipient, phone, province, city, district, address}; required for post. Checked by
    #: the service (not by the schema) so that every field error comes back at once, in Chinese.
    address: dict[str, Any] | None = None


class AddressOut(Schema):
    recipient: str
    #: Masked (138****1234).
    phone: str
    province: str
    city: str
    district: str
    address: str


class EventOut(Schema):
    status: str
    status_label: str
    at: datetime
    location: str
    note: str


class DeliveryOut(Schema):
    method: str
    method_label: str
    status: str | None
    status_label: str | None
    carrier: str | None
    tracking_no: str | None
    address: AddressOut | None
    delivered_at: datetime | None
    events: list[EventOut]


class CityOut(Schema):
    name: str
    districts: list[str]


class ProvinceOut(Schema):
    name: str
    cities: list[CityOut]
