"""The sandbox carrier (code ``sandbox``): parcels that move when told to, for the demo and tests.

Tracking numbers are deterministic (SB + booking date + order id + attempt).
Each ``advance`` moves a parcel one step: created → collected at the service
center → in transit at the Shanghai hub → delivered in the recipient's
district.  An address containing ``测试投递失败`` fails at the last step, so
the failure path can be shown on demand.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.delivery.carriers import TrackingEvent, carriers
from tongban.delivery.choices import DeliveryStatus
from tongban.delivery.models import DeliveryOrder
from tongban.workflow.calendar import SHANGHAI

#: A fake courier: refused in production (tongban.core.plugins.plugins_load).
DEVELOPMENT_ONLY = True

#: Write this into the address to make the sandbox fail the delivery.
FAIL_MARKER = "测试投递失败"
ORIGIN = "上海市嘉定区行政服务中心"
HUB = "上海转运中心"


@carriers.register("sandbox")
class SandboxCarrier:
    code = "sandbox"
    name = "沙箱快递"

    def ship(self, order: DeliveryOrder) -> str:
        booked = timezone.now().astimezone(SHANGHAI)
        return f"SB{booked:%Y%m%d}{order.pk:08d}{order.attempts:02d}"

    def track(self, order: DeliveryOrder) -> list[TrackingEvent]:
        # The sandbox has no courier behind it: what it knows is what it reported.
        return [
            TrackingEvent(status=e.status, at=e.at, location=e.location, note=e.note)
            for e in order.events.filter(at__gte=order.shipped_at or order.created_at)
        ]

    def advance(self, order: DeliveryOrder, *, now: datetime | None = None) -> TrackingEvent | None:
        """The parcel's next scan, or None when it has arrived (or failed)."""
        at = now or timezone.now()
        status = order.status
        if status == DeliveryStatus.CREATED:
            return TrackingEvent(DeliveryStatus.COLLECTED, at, ORIGIN, _("快递员已揽收证照邮件"))
        if status == DeliveryStatus.COLLECTED:
            return TrackingEvent(
                DeliveryStatus.IN_TRANSIT, at, HUB, _("邮件已到达上海转运中心，正在发往目的地")
            )
        if status == DeliveryStatus.IN_TRANSIT:
            place = f"{order.city}{order.district}"
            if FAIL_MARKER in order.address:
                return TrackingEvent(
                    DeliveryStatus.FAILED, at, place, _("地址无法投递，邮件已退回寄件人")
                )
            return TrackingEvent(
                DeliveryStatus.DELIVERED,
                at,
                place,
                _("已签收，签收人：%(recipient)s") % {"recipient": order.recipient},
            )
        return None
