"""Orders unpaid past their time expire (支付超时未完成); lost callbacks are repaired by the sweep.

Against the real sandbox gateway process, as the other payment tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tongban.cases.choices import TimelineAction
from tongban.cases.models import Case, Notification
from tongban.cases.services.outputs import case_payment_order
from tongban.catalog.models import Matter
from tongban.identity.models import User
from tongban.payments import services
from tongban.payments.choices import CallbackOutcome, PaymentStatus, failure_reason
from tongban.payments.models import PaymentOrder
from tongban.payments.tests.conftest import Sandbox
from tongban.payments.tests.factories import case_accepted

pytestmark = pytest.mark.django_db


def _feed(callback: dict[str, Any]) -> Any:
    return services.payment_callback_handle(
        provider="sandbox", body=callback["body"].encode(), headers=callback["headers"]
    )


@pytest.fixture
def order(sandbox: Sandbox, matter: Matter, applicant: User, clerk: User) -> PaymentOrder:
    case = case_accepted(applicant=applicant, clerk=clerk)
    return case_payment_order(actor=case.applicant_user, case=case)


def _later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_an_order_unpaid_past_its_time_expires_once_and_the_applicant_is_told(
    order: PaymentOrder, settings: Any
) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    assert services.payment_orders_sweep(now=_later(29)).expired == 0
    before = Notification.objects.filter(case_id=order.case_id).count()
    report = services.payment_orders_sweep(now=_later(31))
    assert (report.checked, report.expired, report.paid) == (1, 1, 0)
    order.refresh_from_db()
    assert (order.status, order.failure_code) == (PaymentStatus.FAILED, services.EXPIRED)
    assert failure_reason(order.failure_code) == "支付超时未完成"
    case = Case.objects.get(pk=order.case_id)
    assert case.timeline.filter(action=TimelineAction.PAYMENT_FAILED).count() == 1
    notices = Notification.objects.filter(case=case).count()
    assert notices > before
    assert "支付超时未完成" in Notification.objects.filter(case=case).latest("id").body
    # Running it again changes nothing: no second failure, no second notice.
    again = services.payment_orders_sweep(now=_later(40))
    assert (again.checked, again.expired) == (0, 0)
    assert Notification.objects.filter(case=case).count() == notices


def test_paying_again_after_expiry_makes_a_new_order_and_the_old_is_never_charged(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]], settings: Any
) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    services.payment_orders_sweep(now=_later(31))
    retry = case_payment_order(actor=order.case.applicant_user, case=order.case)
    assert retry.pk != order.pk and retry.status == PaymentStatus.PENDING
    order.refresh_from_db()
    assert order.replaced_by_id == retry.pk
    # The old pay page is used after all: the bank's notice is refused, nothing is charged.
    assert sandbox.submit(order.pay_url).status == 303
    [late] = sandbox.callbacks(order.provider_ref)
    assert _feed(late).outcome == CallbackOutcome.REFUSED
    order.refresh_from_db()
    assert order.status == PaymentStatus.FAILED and confirmed == []
    # The new order pays.
    assert sandbox.submit(retry.pay_url).status == 303
    [paid] = sandbox.callbacks(retry.provider_ref)
    assert _feed(paid).outcome == CallbackOutcome.ACCEPTED
    assert len(confirmed) == 1


def test_asking_to_pay_an_expired_order_expires_it_and_opens_a_new_one(
    order: PaymentOrder, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    PaymentOrder.objects.filter(pk=order.pk).update(created_at=_later(-31))
    retry = case_payment_order(actor=order.case.applicant_user, case=order.case)
    assert retry.pk != order.pk
    order.refresh_from_db()
    assert (order.status, order.failure_code) == (PaymentStatus.FAILED, services.EXPIRED)


def test_a_payment_made_before_expiry_whose_callback_was_lost_is_applied_not_expired(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]], settings: Any
) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    assert sandbox.submit(order.pay_url).status == 303  # paid; the callback never arrives
    report = services.payment_orders_sweep(now=_later(3))
    assert (report.paid, report.expired) == (1, 0)
    order.refresh_from_db()
    assert order.status == PaymentStatus.PAID and len(confirmed) == 1
    # Asking to pay again now finds it paid: no new order.
    again = case_payment_order(actor=order.case.applicant_user, case=order.case)
    assert again.pk == order.pk


def test_an_order_the_provider_cannot_be_asked_about_does_not_expire(
    order: PaymentOrder, settings: Any
) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    report = services.payment_orders_sweep(now=_later(31))
    assert (report.unavailable, report.expired) == (1, 0)
    order.refresh_from_db()
    assert order.status == PaymentStatus.PENDING


def test_the_sweep_reads_a_bounded_batch_oldest_first(order: PaymentOrder, settings: Any) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    report = services.payment_orders_sweep(now=_later(31), batch=0)
    assert report.checked == 0
    order.refresh_from_db()
    assert order.status == PaymentStatus.PENDING


def test_an_order_the_provider_does_not_know_expires_when_due(
    order: PaymentOrder, settings: Any
) -> None:
    """The bank answers that it has no such trade (it lost it, or never had it): nothing can
    have been paid, so the order expires instead of being asked about for ever."""
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    PaymentOrder.objects.filter(pk=order.pk).update(provider_ref="no-such-trade")
    report = services.payment_orders_sweep(now=_later(31))
    assert (report.unavailable, report.expired) == (0, 1)


def test_an_order_whose_provider_is_down_goes_to_the_back_of_the_line(
    sandbox: Sandbox, matter: Matter, applicant: User, clerk: User, settings: Any
) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    first = case_payment_order(
        actor=applicant, case=case_accepted(applicant=applicant, clerk=clerk)
    )
    second = case_payment_order(
        actor=applicant, case=case_accepted(applicant=applicant, clerk=clerk)
    )
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    seen = []
    for minutes in (31, 32):
        before = {o.pk: o.updated_at for o in PaymentOrder.objects.all()}
        assert services.payment_orders_sweep(now=_later(minutes), batch=1).unavailable == 1
        after = {o.pk: o.updated_at for o in PaymentOrder.objects.all()}
        seen += [pk for pk in after if after[pk] != before[pk]]
    assert sorted(seen) == sorted([first.pk, second.pk])
