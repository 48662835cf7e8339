"""What delivery reports to the app whose result was posted (``cases`` connects the receivers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tongban.core.hooks import Hook
from tongban.delivery.models import DeliveryOrder


@dataclass(frozen=True)
class ParcelDelivered:
    """The carrier reported the parcel delivered (签收)."""

    order: DeliveryOrder
    at: datetime


#: Sent inside the transaction that records the delivery scan.
parcel_delivered: Hook[ParcelDelivered] = Hook("delivery.parcel_delivered")
