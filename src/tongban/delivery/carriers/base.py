"""The carrier interface and its registry.

A district plugs in its courier (EMS 政务专递, SF …) by writing a class with
``ship`` and ``track`` and naming it in ``DELIVERY_CARRIER`` — either a code of
``CARRIERS`` or a dotted path.  Carriers hold no state between calls (several
web processes and workers run at once); what they know lives in the database
or at the courier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from tongban.delivery.models import DeliveryOrder

#: Carrier codes and their classes.
CARRIERS: dict[str, str] = {
    "sandbox": "tongban.delivery.carriers.sandbox.SandboxCarrier",
}


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


def carrier_get(code: str | None = None) -> Carrier:
    """The carrier named ``code`` (default: ``settings.DELIVERY_CARRIER``)."""
    name: str = code or str(getattr(settings, "DELIVERY_CARRIER", "sandbox"))
    path = CARRIERS.get(name, name)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"DELIVERY_CARRIER={name!r} is neither a known carrier ({', '.join(CARRIERS)}) "
            "nor an importable class"
        ) from exc
    carrier = cls()
    if not isinstance(carrier, Carrier):
        raise ImproperlyConfigured(f"{path} does not implement the Carrier interface")
    return carrier
