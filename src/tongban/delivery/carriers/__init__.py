"""Carriers (承运商) behind one small interface, chosen by ``settings.DELIVERY_CARRIER``.

The interface and the registry are in ``base``; carriers live outside this package and
register themselves (the sandbox's in ``tongban.sandbox.delivery``).
"""

from tongban.delivery.carriers.base import Carrier, TrackingEvent, carrier_get, carriers

__all__ = ["Carrier", "TrackingEvent", "carrier_get", "carriers"]
