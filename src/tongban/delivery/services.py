"""Delivery (递送) operations: check an address, ship, apply tracking events, re-ship.

Status changes are guarded: a parcel only moves forward (created → collected →
in transit → delivered or failed); ``delivered`` is final, ``failed`` only
leaves through ``delivery_reship``.  A delivered parcel completes its case
(through ``delivery.hooks.parcel_delivered``) in the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core.errors import Conflict, FieldError, InvalidStateChange, ValidationFailed
from tongban.delivery import regions
from tongban.delivery.carriers import TrackingEvent, carrier_get
from tongban.delivery.choices import DeliveryStatus
from tongban.delivery.hooks import ParcelDelivered, parcel_delivered
from tongban.delivery.models import DeliveryEvent, DeliveryOrder

if TYPE_CHECKING:
    from tongban.cases.models import Case

#: Mainland mobile numbers (中国大陆手机号): 11 digits, 13x–19x.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
#: Order of the statuses; a parcel never moves to a lower rank.
STATUS_RANK: dict[str, int] = {
    DeliveryStatus.CREATED: 0,
    DeliveryStatus.COLLECTED: 1,
    DeliveryStatus.IN_TRANSIT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.FAILED: 3,
}
#: Statuses after which the carrier reports nothing more.
DONE_STATUSES = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED})
ADDRESS_FIELDS = ("recipient", "phone", "province", "city", "district", "address")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _phone_normalise(value: Any) -> str:
    phone = re.sub(r"[\s\-()]", "", value) if isinstance(value, str) else ""
    # Numbers copied from a contact card often carry the country code.
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


def delivery_address_clean(*, address: Any) -> dict[str, str]:
    """A checked, normalised delivery address, or ValidationFailed with every field error."""
    if not isinstance(address, dict):
        raise ValidationFailed(
            _("收件地址有误"), errors=[FieldError(field="address", message=_("请填写收件地址"))]
        )
    errors: list[FieldError] = []

    def error(field: str, message: str) -> None:
        errors.append(FieldError(field=f"address.{field}", message=message))

    recipient = _text(address.get("recipient"))
    if not recipient:
        error("recipient", _("请填写收件人"))
    elif len(recipient) > 50:
        error("recipient", _("收件人不能超过50个字"))

    phone = _phone_normalise(address.get("phone"))
    if not MOBILE_RE.match(phone):
        error("phone", _("请填写有效的中国大陆手机号"))

    province = city = district = ""
    province_raw = _text(address.get("province"))
    city_raw = _text(address.get("city"))
    district_raw = _text(address.get("district"))
    if not province_raw:
        error("province", _("请选择省份"))
    else:
        province = regions.province_find(province_raw) or ""
        if not province:
            error("province", _("“%(name)s”不是有效的省份") % {"name": province_raw})
    if not city_raw:
        error("city", _("请选择城市"))
    elif province:
        city = regions.city_find(province=province, name=city_raw) or ""
        if not city:
            error(
                "city",
                _("“%(city)s”不属于%(province)s") % {"city": city_raw, "province": province},
            )
    if not district_raw:
        error("district", _("请选择区县"))
    elif len(district_raw) > 30:
        error("district", _("区县名称不能超过30个字"))
    elif city:
        if regions.districts_known(city=city):
            district = regions.district_find(city=city, name=district_raw) or ""
            if not district:
                error(
                    "district",
                    _("“%(district)s”不是%(city)s的区县")
                    % {"district": district_raw, "city": city},
                )
        else:
            district = district_raw

    detail = _text(address.get("address"))
    if not 5 <= len(detail) <= 200:
        error("address", _("详细地址应为5至200个字"))

    if errors:
        raise ValidationFailed(_("收件地址有误"), errors=errors)
    return {
        "recipient": recipient,
        "phone": phone,
        "province": province,
        "city": city,
        "district": district,
        "address": detail,
    }


def _event_add(
    order: DeliveryOrder, *, status: str, at: datetime, location: str = "", note: str = ""
) -> DeliveryEvent:
    return DeliveryEvent.objects.create(
        order=order, status=status, at=at, location=location[:100], note=note[:200]
    )


def _book(order: DeliveryOrder, *, now: datetime) -> None:
    carrier = carrier_get(order.carrier)
    order.tracking_no = carrier.ship(order)
    order.shipped_at = now
    order.save(update_fields=["tracking_no", "shipped_at", "updated_at"])
    _event_add(
        order,
        status=DeliveryStatus.CREATED,
        at=now,
        note=_("%(carrier)s运单已创建，等待揽收") % {"carrier": carrier.name},
    )


@transaction.atomic
def delivery_order_create(
    *, case: Case, address: dict[str, Any], now: datetime | None = None
) -> DeliveryOrder:
    """Book the posting of a case's paper licence with the configured carrier.

    ``cases`` calls it when the licence is issued; whether the case may post is its rule.
    """
    if DeliveryOrder.objects.filter(case_id=case.pk).exists():
        raise Conflict(_("该办件已有递送单"))
    clean = delivery_address_clean(address=address)
    now = now or timezone.now()
    carrier = carrier_get()
    order = DeliveryOrder.objects.create(case=case, carrier=carrier.code, **clean)
    _book(order, now=now)
    return order


def _transition_check(order: DeliveryOrder, status: str) -> None:
    if status not in DeliveryStatus.values:
        raise ValidationFailed(
            _("递送状态无效"),
            errors=[
                FieldError(
                    field="status",
                    message=_("只能是：%(values)s") % {"values": "、".join(DeliveryStatus.values)},
                )
            ],
        )
    current = order.status
    label = DeliveryStatus(current).label
    if current == DeliveryStatus.DELIVERED:
        raise InvalidStateChange(_("邮件已签收，状态不能再改变"))
    if current == DeliveryStatus.FAILED:
        raise InvalidStateChange(_("邮件投递失败，请重新寄送"))
    # Several transit scans are normal; any other repeat or step back is refused.
    repeat_ok = current == status == DeliveryStatus.IN_TRANSIT
    if not repeat_ok and STATUS_RANK[status] <= STATUS_RANK[current]:
        raise InvalidStateChange(
            _("递送状态不能从“%(current)s”变为“%(new)s”")
            % {"current": label, "new": DeliveryStatus(status).label}
        )


@transaction.atomic
def delivery_event_apply(
    *,
    order: DeliveryOrder,
    status: str,
    at: datetime | None = None,
    location: str = "",
    note: str = "",
) -> DeliveryOrder:
    """Record a carrier scan and move the parcel on; a delivery completes the case."""
    order = DeliveryOrder.objects.select_for_update().get(pk=order.pk)
    _transition_check(order, status)
    at = at or timezone.now()
    _event_add(order, status=status, at=at, location=location, note=note)
    order.status = status
    fields = ["status", "updated_at"]
    if status == DeliveryStatus.DELIVERED:
        order.delivered_at = at
        fields.append("delivered_at")
    order.save(update_fields=fields)
    if status == DeliveryStatus.DELIVERED:
        parcel_delivered.send(ParcelDelivered(order=order, at=at))
    return order


@transaction.atomic
def delivery_reship(
    *, order: DeliveryOrder, address: dict[str, Any] | None = None, now: datetime | None = None
) -> DeliveryOrder:
    """Post a failed parcel again (to a corrected address if given) under a new tracking number."""
    order = DeliveryOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != DeliveryStatus.FAILED:
        raise InvalidStateChange(
            _("只有投递失败的邮件可以重新寄送（当前状态：%(status)s）")
            % {"status": DeliveryStatus(order.status).label}
        )
    if address is not None:
        for field, value in delivery_address_clean(address=address).items():
            setattr(order, field, value)
    order.status = DeliveryStatus.CREATED
    order.attempts += 1
    order.save()
    _book(order, now=now or timezone.now())
    return order


def delivery_advance(*, order: DeliveryOrder, now: datetime | None = None) -> DeliveryOrder:
    """Move a sandbox parcel one step on (the demo's and the tests' courier)."""
    carrier = carrier_get(order.carrier)
    advance = getattr(carrier, "advance", None)
    if advance is None:
        raise InvalidStateChange(_("只有沙箱承运商的邮件可以手动推进"))
    if order.status in DONE_STATUSES:
        raise InvalidStateChange(
            _("邮件已%(status)s，无需推进") % {"status": DeliveryStatus(order.status).label}
        )
    event: TrackingEvent | None = advance(order, now=now)
    if event is None:
        return order
    return delivery_event_apply(
        order=order, status=event.status, at=event.at, location=event.location, note=event.note
    )


def delivery_track_refresh(*, order: DeliveryOrder) -> DeliveryOrder:
    """Ask the carrier for the parcel's scans and apply the ones newer than its status."""
    if order.status in DONE_STATUSES:
        return order
    latest = order.events.order_by("-at", "-id").first()
    for event in carrier_get(order.carrier).track(order):
        if latest is not None and event.at <= latest.at:
            continue
        try:
            order = delivery_event_apply(
                order=order,
                status=event.status,
                at=event.at,
                location=event.location,
                note=event.note,
            )
        except InvalidStateChange:
            # Carriers resend old scans; one that would move the parcel back is ignored.
            continue
        if order.status in DONE_STATUSES:
            break
    return order
