"""Delivery orders: shipping, tracking through the sandbox, failures and guarded transitions."""

from __future__ import annotations

import pytest

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.core.errors import Conflict, InvalidStateChange, ValidationFailed
from tongban.delivery import services
from tongban.delivery.carriers import Carrier, carrier_get
from tongban.delivery.choices import DeliveryStatus
from tongban.delivery.hooks import ParcelDelivered, parcel_delivered
from tongban.delivery.models import DeliveryEvent, DeliveryOrder
from tongban.delivery.tests.factories import address, case_issued, delivery_order
from tongban.identity.models import User

pytestmark = pytest.mark.usefixtures("drainage")


def _advance_until_done(order: DeliveryOrder) -> DeliveryOrder:
    for _step in range(5):
        if order.status in services.DONE_STATUSES:
            break
        order = services.delivery_advance(order=order)
    return order


def test_the_configured_carrier_is_the_sandbox() -> None:
    carrier = carrier_get()
    assert isinstance(carrier, Carrier)
    assert carrier.code == "sandbox"


def test_an_issued_case_gets_an_order_with_a_sandbox_tracking_number(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    assert order.carrier == "sandbox"
    assert order.status == DeliveryStatus.CREATED
    assert order.tracking_no.startswith("SB")
    assert order.tracking_no.endswith(f"{order.pk:08d}01")
    assert (order.district, order.phone) == ("嘉定区", "13800001234")
    assert list(order.events.values_list("status", flat=True)) == [DeliveryStatus.CREATED]


def test_an_approved_case_with_post_may_be_shipped(applicant: User) -> None:
    case = case_issued(applicant=applicant, status=CaseStatus.APPROVED)
    assert services.delivery_order_create(case=case, address=address()).pk


def test_it_refuses_a_second_order_for_one_case(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    with pytest.raises(Conflict):
        services.delivery_order_create(case=order.case, address=address())
    assert DeliveryOrder.objects.count() == 1


def test_it_refuses_a_bad_address_and_saves_nothing(applicant: User) -> None:
    case = case_issued(applicant=applicant)
    with pytest.raises(ValidationFailed) as caught:
        services.delivery_order_create(case=case, address=address(phone="110"))
    assert caught.value.field_errors() == [
        {"field": "address.phone", "message": "请填写有效的中国大陆手机号"}
    ]
    assert not DeliveryOrder.objects.exists()
    assert not DeliveryEvent.objects.exists()


def test_the_sandbox_parcel_travels_to_delivered_and_completes_the_case(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    order = _advance_until_done(order)
    events = list(order.events.order_by("at", "id"))
    assert [e.status for e in events] == [
        DeliveryStatus.CREATED,
        DeliveryStatus.COLLECTED,
        DeliveryStatus.IN_TRANSIT,
        DeliveryStatus.DELIVERED,
    ]
    assert events[1].location == "上海市嘉定区行政服务中心"
    assert events[2].location == "上海转运中心"
    assert events[3].location == "上海市嘉定区"
    assert "张三" in events[3].note
    assert order.delivered_at is not None
    case = Case.objects.get(pk=order.case_id)
    assert case.status == CaseStatus.COMPLETED
    assert case.timeline.filter(action="delivered").count() == 1


def test_delivered_tells_the_case_exactly_once(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    told: list[ParcelDelivered] = []
    parcel_delivered.connect(told.append)
    try:
        order = services.delivery_advance(order=order)
        order = services.delivery_advance(order=order)
        assert told == []
        order = services.delivery_advance(order=order)
        assert [event.order.case_id for event in told] == [order.case_id]
        with pytest.raises(InvalidStateChange):
            services.delivery_advance(order=order)
    finally:
        parcel_delivered.disconnect(told.append)
    assert len(told) == 1


def test_an_address_marked_for_failure_fails_and_leaves_the_case_issued(applicant: User) -> None:
    order = delivery_order(applicant=applicant, address="嘉定镇街道测试投递失败1号")
    order = _advance_until_done(order)
    assert order.status == DeliveryStatus.FAILED
    assert order.events.last().note == "地址无法投递，邮件已退回寄件人"  # type: ignore[union-attr]
    assert Case.objects.get(pk=order.case_id).status == CaseStatus.ISSUED


def test_a_failed_parcel_is_reshipped_to_a_corrected_address_and_delivered(
    applicant: User,
) -> None:
    order = _advance_until_done(delivery_order(applicant=applicant, address="测试投递失败路1号"))
    first_tracking_no = order.tracking_no
    with pytest.raises(InvalidStateChange):
        services.delivery_event_apply(order=order, status=DeliveryStatus.IN_TRANSIT)
    order = services.delivery_reship(order=order, address=address(address="嘉定镇街道博乐路70号"))
    assert (order.status, order.attempts) == (DeliveryStatus.CREATED, 2)
    assert order.tracking_no != first_tracking_no
    order = _advance_until_done(order)
    assert order.status == DeliveryStatus.DELIVERED
    assert Case.objects.get(pk=order.case_id).status == CaseStatus.COMPLETED


def test_it_refuses_to_reship_a_parcel_that_has_not_failed(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    with pytest.raises(InvalidStateChange):
        services.delivery_reship(order=order)


@pytest.mark.parametrize(
    ("reached", "back_to"),
    [
        (DeliveryStatus.COLLECTED, DeliveryStatus.CREATED),
        (DeliveryStatus.COLLECTED, DeliveryStatus.COLLECTED),
        (DeliveryStatus.IN_TRANSIT, DeliveryStatus.COLLECTED),
        (DeliveryStatus.DELIVERED, DeliveryStatus.IN_TRANSIT),
        (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED),
    ],
)
def test_a_parcel_never_goes_back(applicant: User, reached: str, back_to: str) -> None:
    order = delivery_order(applicant=applicant)
    order = services.delivery_event_apply(order=order, status=reached)
    with pytest.raises(InvalidStateChange):
        services.delivery_event_apply(order=order, status=back_to)
    order.refresh_from_db()
    assert order.status == reached
    assert order.events.count() == 2


def test_several_transit_scans_are_recorded(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    for location in ("上海转运中心", "嘉定区营业部"):
        order = services.delivery_event_apply(
            order=order, status=DeliveryStatus.IN_TRANSIT, location=location
        )
    assert order.events.filter(status=DeliveryStatus.IN_TRANSIT).count() == 2


def test_it_refuses_an_unknown_status(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    with pytest.raises(ValidationFailed):
        services.delivery_event_apply(order=order, status="lost")


def test_track_refresh_applies_only_new_scans(applicant: User) -> None:
    order = services.delivery_advance(order=delivery_order(applicant=applicant))
    # The sandbox reports what it already reported: nothing new, nothing applied twice.
    order = services.delivery_track_refresh(order=order)
    assert order.status == DeliveryStatus.COLLECTED
    assert order.events.count() == 2
