"""Orders, callbacks, refunds and reconciliation against the real sandbox gateway process."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tongban.cases import services as case_services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.cases.services.outputs import case_payment_order, case_payment_request
from tongban.catalog.models import Matter
from tongban.core.errors import (
    Conflict,
    InvalidStateChange,
    PermissionDenied,
    ValidationFailed,
)
from tongban.identity.models import User
from tongban.payments import services
from tongban.payments.choices import CallbackOutcome, PaymentStatus
from tongban.payments.models import PaymentCallback, PaymentOrder
from tongban.payments.services import PaymentProviderUnavailable
from tongban.payments.tests.conftest import SANDBOX_SECRET, Sandbox
from tongban.payments.tests.factories import (
    case_accepted,
    case_submitted,
    fee_matter,
    open_task,
)
from tongban.sandbox.payment_gateway import sign

pytestmark = pytest.mark.django_db


def _feed(callback: dict[str, Any]) -> PaymentCallback:
    """Hand a callback the gateway sent over to the service, as the API would."""
    return services.payment_callback_handle(
        provider="sandbox", body=callback["body"].encode(), headers=callback["headers"]
    )


def _pay(
    sandbox: Sandbox, order: PaymentOrder, count: int = 1, **options: str
) -> list[dict[str, Any]]:
    answer = sandbox.submit(order.pay_url, **options)
    assert answer.status == 303, answer.body
    return sandbox.callbacks(order.provider_ref, count=count)


def _signed_body(data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()
    return body, {"X-Sandbox-Signature": sign(SANDBOX_SECRET, body)}


def _order(case: Case) -> PaymentOrder:
    """The applicant asks to pay (the case's rules decide whether it may pay now)."""
    return case_payment_order(actor=case.applicant_user, case=case)


@pytest.fixture
def order(sandbox: Sandbox, matter: Matter, applicant: User, clerk: User) -> PaymentOrder:
    case = case_accepted(applicant=applicant, clerk=clerk)
    return _order(case)


# --- orders ----------------------------------------------------------------------------------


def test_it_creates_an_order_for_the_fee_and_opens_it_at_the_sandbox(
    sandbox: Sandbox, order: PaymentOrder
) -> None:
    assert order.amount == Decimal("80.00")
    assert order.status == PaymentStatus.PENDING
    assert order.order_no.startswith("JF")
    assert order.pay_url.startswith(sandbox.url + "/pay/")
    trade = sandbox.trade(order.provider_ref)
    assert trade["order_no"] == order.order_no
    assert trade["amount"] == "80.00"


def test_it_keeps_one_open_order_per_case(order: PaymentOrder) -> None:
    again = _order(order.case)
    assert again.pk == order.pk
    assert PaymentOrder.objects.filter(case=order.case).count() == 1


def test_it_refuses_an_order_for_a_matter_without_a_fee(
    sandbox: Sandbox, departments: Any, applicant: User, clerk: User
) -> None:
    fee_matter(code="free-permit", fee="0")
    case = case_accepted(applicant=applicant, clerk=clerk, matter_code="free-permit")
    with pytest.raises(Conflict):
        _order(case)
    assert not PaymentOrder.objects.exists()


def test_it_refuses_an_order_before_the_case_is_accepted(
    sandbox: Sandbox, matter: Matter, applicant: User
) -> None:
    case = case_submitted(applicant=applicant)
    with pytest.raises(InvalidStateChange):
        _order(case)
    assert not PaymentOrder.objects.exists()


def test_a_matter_paid_at_decision_refuses_payment_before_approval(
    sandbox: Sandbox, departments: Any, applicant: User, clerk: User
) -> None:
    fee_matter(code="late-fee", payment_at="decide")
    case = case_accepted(applicant=applicant, clerk=clerk, matter_code="late-fee")
    with pytest.raises(InvalidStateChange):
        _order(case)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)
    assert _order(case).amount == Decimal("80.00")


def test_an_order_made_while_the_provider_is_down_is_opened_later(
    sandbox: Sandbox, matter: Matter, applicant: User, clerk: User, settings: Any
) -> None:
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    # A bank that is down never stops the acceptance that creates the order.
    case = case_accepted(applicant=applicant, clerk=clerk)
    with pytest.raises(PaymentProviderUnavailable):
        case_payment_request(actor=applicant, case=case)
    kept = PaymentOrder.objects.get(case=case)
    assert kept.pay_url == ""
    settings.PAYMENT_SANDBOX_URL = sandbox.url
    opened = case_payment_request(actor=applicant, case=case)
    assert opened.pk == kept.pk
    assert opened.pay_url.startswith(sandbox.url)


def test_only_the_applicant_may_ask_to_pay(
    sandbox: Sandbox, matter: Matter, applicant: User, clerk: User, outsider: User
) -> None:
    case = case_accepted(applicant=applicant, clerk=clerk)
    with pytest.raises(PermissionDenied):
        case_payment_request(actor=outsider, case=case)


# --- the pay flow and its callbacks ----------------------------------------------------------


def test_paying_in_the_sandbox_marks_the_order_paid_and_continues_the_case(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    page = sandbox.page(order.pay_url)
    assert page.status == 200
    assert "确认支付" in page.body and "模拟失败" in page.body
    assert "80.00" in page.body and order.order_no in page.body

    answer = sandbox.submit(order.pay_url)
    assert answer.status == 303
    assert answer.location.endswith(f"/my/cases/{order.case_id}/")
    [callback] = sandbox.callbacks(order.provider_ref)
    sent = json.loads(callback["body"])
    assert sent["amount"] == "80.00" and sent["status"] == "paid"

    received = _feed(callback)

    assert received.outcome == CallbackOutcome.ACCEPTED
    order.refresh_from_db()
    assert order.status == PaymentStatus.PAID
    assert order.paid_at is not None
    assert order.provider_trade_no == sent["trade_no"]
    assert [c["order"].pk for c in confirmed] == [order.pk]
    assert confirmed[0]["case"].pk == order.case_id


def test_a_forged_callback_is_refused_and_logged(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    [callback] = _pay(sandbox, order, forge="1")

    received = _feed(callback)

    assert received.outcome == CallbackOutcome.REFUSED
    assert received.signature_valid is False
    assert received.reason == "签名无效"
    order.refresh_from_db()
    assert order.status == PaymentStatus.PENDING
    assert confirmed == []


def test_a_replayed_callback_is_refused(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    [callback] = _pay(sandbox, order)
    assert _feed(callback).outcome == CallbackOutcome.ACCEPTED

    replay = _feed(callback)

    assert replay.outcome == CallbackOutcome.REFUSED
    assert "重放" in replay.reason
    assert len(confirmed) == 1
    assert PaymentCallback.objects.count() == 2


def test_a_stale_callback_is_refused_as_a_replay(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    eleven_minutes_ago = int(time.time()) - 11 * 60
    body, headers = _signed_body(
        {
            "order_no": order.order_no,
            "trade_no": "T-OLD",
            "amount": "80.00",
            "currency": "CNY",
            "status": "paid",
            "nonce": "n-stale",
            "timestamp": eleven_minutes_ago,
        }
    )

    received = services.payment_callback_handle(provider="sandbox", body=body, headers=headers)

    assert received.outcome == CallbackOutcome.REFUSED
    assert "有效期" in received.reason
    order.refresh_from_db()
    assert order.status == PaymentStatus.PENDING


def test_a_callback_with_the_wrong_amount_is_refused_and_logged(
    sandbox: Sandbox,
    order: PaymentOrder,
    confirmed: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    [callback] = _pay(sandbox, order, wrong_amount="1")

    received = _feed(callback)

    assert received.outcome == CallbackOutcome.REFUSED
    assert "金额不符" in received.reason and "81.00" in received.reason
    assert received.order_id == order.pk
    assert "payment callback refused" in caplog.text
    order.refresh_from_db()
    assert order.status == PaymentStatus.PENDING
    assert confirmed == []


def test_a_duplicate_callback_does_not_charge_twice(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    first, second = _pay(sandbox, order, count=2, duplicate="1")
    assert json.loads(first["body"])["nonce"] != json.loads(second["body"])["nonce"]

    assert _feed(first).outcome == CallbackOutcome.ACCEPTED
    order.refresh_from_db()
    paid_at = order.paid_at
    assert _feed(second).outcome == CallbackOutcome.DUPLICATE

    order.refresh_from_db()
    assert order.status == PaymentStatus.PAID
    assert order.paid_at == paid_at
    assert len(confirmed) == 1
    # and the payer cannot pay the same order again at the gateway
    again = sandbox.submit(order.pay_url)
    assert again.status == 409 and "不会重复扣款" in again.body
    assert sandbox.page(order.pay_url).status == 409
    assert len(sandbox.trade(order.provider_ref)["callbacks"]) == 2


def test_a_second_trade_for_a_paid_order_is_refused(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    [callback] = _pay(sandbox, order)
    _feed(callback)
    data = json.loads(callback["body"])
    body, headers = _signed_body({**data, "trade_no": "T-OTHER", "nonce": "n-other"})

    received = services.payment_callback_handle(provider="sandbox", body=body, headers=headers)

    assert received.outcome == CallbackOutcome.REFUSED
    assert len(confirmed) == 1


def test_a_callback_for_an_unknown_order_or_provider_is_refused(
    sandbox: Sandbox, order: PaymentOrder
) -> None:
    body, headers = _signed_body(
        {
            "order_no": "JF-NOPE",
            "trade_no": "T1",
            "amount": "80.00",
            "currency": "CNY",
            "status": "paid",
            "nonce": "n-unknown",
            "timestamp": int(time.time()),
        }
    )
    unknown_order = services.payment_callback_handle(provider="sandbox", body=body, headers=headers)
    unknown_provider = services.payment_callback_handle(provider="bank", body=body, headers=headers)

    assert unknown_order.outcome == CallbackOutcome.REFUSED
    assert unknown_order.reason == "缴款单不存在"
    assert unknown_provider.outcome == CallbackOutcome.REFUSED
    assert unknown_provider.reason == "未知支付渠道"


def test_an_incomplete_or_garbled_callback_is_refused(
    sandbox: Sandbox, order: PaymentOrder
) -> None:
    body, headers = _signed_body({"order_no": order.order_no})
    missing = services.payment_callback_handle(provider="sandbox", body=body, headers=headers)
    garbage, garbage_headers = b"not json", _signed_body({})[1]

    assert missing.outcome == CallbackOutcome.REFUSED and missing.signature_valid
    assert (
        services.payment_callback_handle(
            provider="sandbox", body=garbage, headers=garbage_headers
        ).outcome
        == CallbackOutcome.REFUSED
    )


def test_a_payment_failed_on_demand_fails_the_order_and_a_new_one_can_be_paid(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    page = sandbox.page(order.pay_url)
    assert page.status == 200
    answer = sandbox.submit(order.pay_url, action="fail")
    assert answer.status == 303
    [callback] = sandbox.callbacks(order.provider_ref)
    assert json.loads(callback["body"])["status"] == "failed"

    assert _feed(callback).outcome == CallbackOutcome.ACCEPTED
    order.refresh_from_db()
    assert order.status == PaymentStatus.FAILED
    assert confirmed == []

    retry = _order(order.case)
    assert retry.pk != order.pk and retry.status == PaymentStatus.PENDING
    [paid] = _pay(sandbox, retry)
    assert _feed(paid).outcome == CallbackOutcome.ACCEPTED
    assert len(confirmed) == 1


def test_fail_as_a_query_parameter_fails_the_payment(sandbox: Sandbox, order: PaymentOrder) -> None:
    page = sandbox.page(order.pay_url, fail="1")
    assert 'name="fail" value="1"' in page.body
    [callback] = _pay(sandbox, order, fail="1")
    assert json.loads(callback["body"])["status"] == "failed"


def test_a_delayed_callback_arrives_after_the_delay(sandbox: Sandbox, order: PaymentOrder) -> None:
    started = time.monotonic()
    assert sandbox.submit(order.pay_url, delay="1").status == 303
    assert sandbox.trade(order.provider_ref)["callbacks"] == []

    [callback] = sandbox.callbacks(order.provider_ref, timeout=10)

    assert time.monotonic() - started >= 1.0
    assert json.loads(callback["body"])["status"] == "paid"


def test_status_refresh_applies_a_payment_whose_callback_was_lost(
    sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]
) -> None:
    _pay(sandbox, order)  # the callback went to a dead address

    refreshed = services.payment_status_refresh(order=order)

    assert refreshed.status == PaymentStatus.PAID
    assert refreshed.provider_trade_no
    assert len(confirmed) == 1
    # and the late callback is then a duplicate
    [callback] = sandbox.callbacks(order.provider_ref)
    assert _feed(callback).outcome == CallbackOutcome.DUPLICATE


# --- refunds ---------------------------------------------------------------------------------


@pytest.fixture
def paid(sandbox: Sandbox, order: PaymentOrder, confirmed: list[dict[str, Any]]) -> PaymentOrder:
    [callback] = _pay(sandbox, order)
    _feed(callback)
    order.refresh_from_db()
    return order


def test_an_approver_of_the_department_refunds_part_then_the_rest(
    sandbox: Sandbox, paid: PaymentOrder, approver: User
) -> None:
    partly = services.payment_refund(
        actor=approver, order=paid, amount=Decimal("30.00"), reason="多收"
    )
    assert partly.refunded_amount == Decimal("30.00")
    assert partly.status == PaymentStatus.PAID
    rest = services.payment_refund(
        actor=approver, order=paid, amount=Decimal("50.00"), reason="撤回申请"
    )
    assert rest.status == PaymentStatus.REFUNDED
    assert sandbox.trade(paid.provider_ref)["refunded"] == "80.00"
    assert paid.refunds.count() == 2


def test_a_center_admin_may_refund(
    sandbox: Sandbox, paid: PaymentOrder, center_admin: User
) -> None:
    order = services.payment_refund(
        actor=center_admin, order=paid, amount=Decimal("80.00"), reason="不予许可"
    )
    assert order.status == PaymentStatus.REFUNDED


@pytest.mark.parametrize("who", ["clerk", "police_clerk", "applicant", "outsider"])
def test_it_refuses_a_refund_by_anyone_else(
    sandbox: Sandbox, paid: PaymentOrder, who: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(PermissionDenied):
        services.payment_refund(
            actor=request.getfixturevalue(who), order=paid, amount=Decimal("1"), reason="x"
        )
    paid.refresh_from_db()
    assert paid.refunded_amount == 0


def test_it_refuses_to_refund_more_than_was_paid(
    sandbox: Sandbox, paid: PaymentOrder, approver: User
) -> None:
    services.payment_refund(actor=approver, order=paid, amount=Decimal("70.00"), reason="多收")
    with pytest.raises(ValidationFailed) as refused:
        services.payment_refund(actor=approver, order=paid, amount=Decimal("10.01"), reason="多收")
    assert refused.value.errors[0].field == "amount"
    paid.refresh_from_db()
    assert paid.refunded_amount == Decimal("70.00")
    assert sandbox.trade(paid.provider_ref)["refunded"] == "70.00"


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("1.005")])
def test_it_refuses_a_refund_amount_that_is_not_a_positive_sum(
    sandbox: Sandbox, paid: PaymentOrder, approver: User, amount: Decimal
) -> None:
    with pytest.raises(ValidationFailed):
        services.payment_refund(actor=approver, order=paid, amount=amount, reason="多收")


def test_it_refuses_a_refund_without_a_reason_or_of_an_unpaid_order(
    sandbox: Sandbox, order: PaymentOrder, approver: User
) -> None:
    with pytest.raises(InvalidStateChange):
        services.payment_refund(actor=approver, order=order, amount=Decimal("1"), reason="多收")
    order.status = PaymentStatus.PAID
    order.save()
    with pytest.raises(ValidationFailed) as refused:
        services.payment_refund(actor=approver, order=order, amount=Decimal("1"), reason=" ")
    assert refused.value.errors[0].field == "reason"


# --- reconciliation --------------------------------------------------------------------------


def test_reconciliation_reports_matched_missing_and_mismatched_orders(
    sandbox: Sandbox,
    matter: Matter,
    applicant: User,
    clerk: User,
    confirmed: list[dict[str, Any]],
) -> None:
    orders = [_order(case_accepted(applicant=applicant, clerk=clerk)) for _ in range(4)]
    matched, lost, mismatched, local_only = orders
    for order in (matched, lost, mismatched):
        [callback] = _pay(sandbox, order)
        if order is not lost:
            _feed(callback)
    PaymentOrder.objects.filter(pk=mismatched.pk).update(amount=Decimal("60.00"))
    PaymentOrder.objects.filter(pk=local_only.pk).update(
        status=PaymentStatus.PAID, paid_at=timezone.now()
    )

    report = services.payment_reconcile(day=timezone.localdate())

    assert report.matched == [matched.order_no]
    assert [r.order_no for r in report.missing_locally] == [lost.order_no]
    assert report.missing_at_provider == [local_only.order_no]
    [mismatch] = report.amount_mismatches
    assert (mismatch.order_no, mismatch.local_amount, mismatch.provider_amount) == (
        mismatched.order_no,
        Decimal("60.00"),
        Decimal("80.00"),
    )
    assert not report.balanced
    assert report.as_dict()["missing_at_provider"] == [local_only.order_no]


def test_reconciliation_of_a_quiet_day_is_balanced(sandbox: Sandbox, paid: PaymentOrder) -> None:
    report = services.payment_reconcile(day=timezone.localdate() - dt.timedelta(days=3))
    assert report.balanced and report.matched == []


def test_reconciliation_says_so_when_the_provider_is_down(
    sandbox: Sandbox, settings: Any, db: None
) -> None:
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    with pytest.raises(PaymentProviderUnavailable):
        services.payment_reconcile(day=timezone.localdate())


def test_the_accept_task_still_works_for_a_fee_matter(
    sandbox: Sandbox, matter: Matter, applicant: User, clerk: User
) -> None:
    case = case_submitted(applicant=applicant)
    case_services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    case.refresh_from_db()
    assert case.status in (CaseStatus.ACCEPTED, CaseStatus.UNDER_REVIEW)
