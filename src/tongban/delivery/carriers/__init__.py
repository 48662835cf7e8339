"""Carriers (承运商) behind one small interface, chosen by ``settings.DELIVERY_CARRIER``."""

from tongban.delivery.carriers.base import Carrier, TrackingEvent, carrier_get

__all__ = ["Carrier", "TrackingEvent", "carrier_get"]
