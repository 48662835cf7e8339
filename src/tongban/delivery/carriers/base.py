"""The carrier interface and its registry.

A district plugs in its courier (EMS 政务专递, SF …) by writing a class with ``ship``
and ``track``, registering it with ``@carriers.register("code")`` in a module listed in
``settings.TONGBAN_PLUGINS``, and naming the code in ``DELIVERY_CARRIER``.  Carriers hold
no state between calls (several web processes and workers run at once); what they know
lives in the database or at the courier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tongban.core.plugins import Registry

if TYPE_CHECKING:
    from tongban.delivery.models import DeliveryOrder


@dataclass(frozen=True)
class TrackingEvent:
    """One scan of a parcel as the carrier reports it."""

    status: str
    at: datetime
    location: str = ""
    note: str = ""


@runtime_checkable
class Carrier(Protocol):
    #: Stored on the order, so its parcels are tracked with the same carrier later.
    code: str
    name: str

    def ship(self, order: DeliveryOrder) -> str:
        """Book the parcel with the carrier and return its tracking number."""
        ...

    def track(self, order: DeliveryOrder) -> list[TrackingEvent]:
        """Every scan of the parcel so far, oldest first."""
        ...


carriers = Registry[Carrier](
    name="carrier", label="承运商", setting="DELIVERY_CARRIER", protocol=Carrier
)


def carrier_get(code: str | None = None) -> Carrier:
    """The carrier registered under ``code`` (default: the one settings.DELIVERY_CARRIER names)."""
    return carriers.get(code) if code else carriers.configured()
