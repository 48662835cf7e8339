"""The payment endpoints, and the whole chain through HTTP with the sandbox calling back."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases.models import Case, TimelineEntry
from tongban.catalog.models import Department, Matter
from tongban.identity.models import User
from tongban.payments.choices import CallbackOutcome, PaymentStatus
from tongban.payments.models import PaymentCallback, PaymentOrder
from tongban.payments.services import payment_orders_sweep
from tongban.payments.tests.conftest import SANDBOX_SECRET, Sandbox
from tongban.payments.tests.factories import case_accepted, case_submitted, fee_matter
from tongban.sandbox.payment_gateway import sign

Bearer = Callable[[User], dict[str, str]]
CALLBACK = "/api/v1/payments/callback/sandbox"


def _url(case: Case) -> str:
    return f"/api/v1/applications/{case.pk}/payment"


@pytest.fixture
def case(sandbox: Sandbox, matter: Matter, applicant: User, clerk: User) -> Case:
    return case_accepted(applicant=applicant, clerk=clerk)


@pytest.mark.django_db
def test_the_applicant_gets_the_order_with_its_pay_url(
    api_client: Client, bearer: Bearer, applicant: User, case: Case, sandbox: Sandbox
) -> None:
    answer = api_client.post(_url(case), **bearer(applicant))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["amount"] == "80.00"
    assert body["status"] == "pending" and body["status_label"] == "待缴费"
    assert body["pay_url"].startswith(sandbox.url + "/pay/")
    again = api_client.post(_url(case), **bearer(applicant)).json()
    assert again["order_no"] == body["order_no"]
    shown = api_client.get(_url(case), **bearer(applicant)).json()
    assert shown["order_no"] == body["order_no"]


@pytest.mark.django_db
def test_it_refuses_payment_for_a_case_without_a_fee_with_409(
    api_client: Client,
    bearer: Bearer,
    sandbox: Sandbox,
    departments: dict[str, Department],
    applicant: User,
    clerk: User,
) -> None:
    fee_matter(code="free-permit", fee="0")
    free = case_accepted(applicant=applicant, clerk=clerk, matter_code="free-permit")
    answer = api_client.post(_url(free), **bearer(applicant))
    assert answer.status_code == 409
    assert answer["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_it_refuses_payment_before_acceptance_with_409(
    api_client: Client, bearer: Bearer, sandbox: Sandbox, matter: Matter, applicant: User
) -> None:
    submitted = case_submitted(applicant=applicant)
    assert api_client.post(_url(submitted), **bearer(applicant)).status_code == 409
    assert not PaymentOrder.objects.exists()


@pytest.mark.django_db
def test_someone_else_cannot_see_or_pay_the_order(
    api_client: Client, bearer: Bearer, case: Case, outsider: User, clerk: User
) -> None:
    assert api_client.post(_url(case), **bearer(outsider)).status_code == 404
    assert api_client.get(_url(case), **bearer(outsider)).status_code == 404
    assert api_client.post(_url(case), **bearer(clerk)).status_code == 403
    assert api_client.post(_url(case)).status_code == 401


@pytest.mark.django_db
def test_the_provider_being_down_answers_503(
    api_client: Client,
    bearer: Bearer,
    sandbox: Sandbox,
    matter: Matter,
    applicant: User,
    clerk: User,
    settings: Any,
) -> None:
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    down = case_accepted(applicant=applicant, clerk=clerk)
    answer = api_client.post(_url(down), **bearer(applicant))
    assert answer.status_code == 503
    assert answer.json()["title"] == "支付渠道暂不可用"


@pytest.mark.django_db
def test_a_forged_callback_gets_a_400_problem_and_is_logged(
    api_client: Client, bearer: Bearer, applicant: User, case: Case, sandbox: Sandbox
) -> None:
    order = PaymentOrder.objects.get(case=case)
    body = json.dumps({"order_no": order.order_no, "amount": "80.00", "status": "paid"})
    answer = api_client.post(
        CALLBACK, data=body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE="0" * 64
    )
    assert answer.status_code == 400
    assert answer.json()["detail"] == "签名无效"
    [logged] = PaymentCallback.objects.all()
    assert logged.outcome == CallbackOutcome.REFUSED and not logged.signature_valid
    order.refresh_from_db()
    assert order.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_staff_refund_over_the_api_checks_the_amount(
    api_client: Client,
    bearer: Bearer,
    applicant: User,
    approver: User,
    case: Case,
    sandbox: Sandbox,
    confirmed: list[dict[str, Any]],
) -> None:
    from tongban.payments import services

    order = PaymentOrder.objects.get(case=case)
    sandbox.submit(order.pay_url)
    [sent] = sandbox.callbacks(order.provider_ref)
    services.payment_callback_handle(
        provider="sandbox", body=sent["body"].encode(), headers=sent["headers"]
    )
    url = _url(case) + "/refund"
    too_much = api_client.post(
        url,
        data={"amount": "90", "reason": "多收"},
        content_type="application/json",
        **bearer(approver),
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["field"] == "amount"
    by_applicant = api_client.post(
        url,
        data={"amount": "10", "reason": "多收"},
        content_type="application/json",
        **bearer(applicant),
    )
    assert by_applicant.status_code == 403
    done = api_client.post(
        url,
        data={"amount": "10", "reason": "多收"},
        content_type="application/json",
        **bearer(approver),
    )
    assert done.status_code == 200
    assert done.json()["refunded_amount"] == "10.00"


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_calls_back_into_the_running_app_and_the_case_moves_on(
    live_server: Any,
    settings: Any,
    sandbox: Sandbox,
    matter: Matter,
    applicant: User,
    clerk: User,
) -> None:
    settings.SITE_URL = live_server.url
    paid_case = case_accepted(applicant=applicant, clerk=clerk)
    order = PaymentOrder.objects.get(case=paid_case)

    assert sandbox.submit(order.pay_url, duplicate="1").status == 303

    callbacks = sandbox.callbacks(order.provider_ref, count=2, timeout=15)
    assert [c["response_status"] for c in callbacks] == [200, 200]
    assert [json.loads(c["response_body"]) for c in callbacks] == [{"ok": True}, {"ok": True}]
    deadline = time.monotonic() + 5
    while PaymentOrder.objects.get(pk=order.pk).status != PaymentStatus.PAID:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    outcomes = sorted(PaymentCallback.objects.filter(order=order).values_list("outcome", flat=True))
    assert outcomes == [CallbackOutcome.ACCEPTED, CallbackOutcome.DUPLICATE]
    # cases.outputs recorded the payment once on the case's timeline
    assert TimelineEntry.objects.filter(case=paid_case, action="paid").count() == 1


def _post_callback(api_client: Client, callback: dict[str, Any]) -> Any:
    """Hand the gateway's signed callback to the callback endpoint, as the gateway would."""
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in callback["headers"].items()
        if k.lower() != "content-type"
    }
    return api_client.post(
        CALLBACK, data=callback["body"], content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_a_failed_payment_says_why_and_paying_again_replaces_the_order(
    api_client: Client, bearer: Bearer, applicant: User, case: Case, sandbox: Sandbox
) -> None:
    first = api_client.post(_url(case), **bearer(applicant)).json()
    order = PaymentOrder.objects.get(order_no=first["order_no"])
    assert sandbox.submit(order.pay_url, action="fail", fail_code="CARD_LIMIT").status == 303
    [failed] = sandbox.callbacks(order.provider_ref)
    assert json.loads(failed["body"])["fail_code"] == "CARD_LIMIT"
    assert _post_callback(api_client, failed).status_code == 200

    shown = api_client.get(_url(case), **bearer(applicant)).json()
    assert shown["status"] == PaymentStatus.FAILED
    assert shown["failure_code"] == "CARD_LIMIT"
    assert shown["failure_reason"] == "超出银行卡支付限额"
    assert shown["pay_url"] == ""
    english = api_client.get(_url(case), HTTP_ACCEPT_LANGUAGE="en", **bearer(applicant)).json()
    assert english["failure_reason"] == "The amount is over your bank card's payment limit"
    # the applicant is told, with the reason, and the case's timeline says so
    [sms] = case.notifications.filter(channel="sms", body__contains="缴费未成功")
    assert "未扣款" in sms.body and "原因：超出银行卡支付限额" in sms.body
    assert TimelineEntry.objects.filter(case=case, action="payment_failed").count() == 1

    # 重新缴费: a new order; the failed one points at it
    again = api_client.post(_url(case), **bearer(applicant))
    assert again.status_code == 200
    retry = again.json()
    assert retry["order_no"] != order.order_no and retry["status"] == PaymentStatus.PENDING
    assert retry["pay_url"]
    order.refresh_from_db()
    assert order.status == PaymentStatus.FAILED and order.replaced_by is not None
    assert order.replaced_by.order_no == retry["order_no"]
    # asking again gives the same new order, not a third one
    assert api_client.post(_url(case), **bearer(applicant)).json()["order_no"] == retry["order_no"]
    assert PaymentOrder.objects.filter(case=case).count() == 2


@pytest.mark.django_db
def test_a_late_payment_of_a_replaced_order_is_refused_and_not_charged_twice(
    api_client: Client, bearer: Bearer, applicant: User, case: Case, sandbox: Sandbox
) -> None:
    first = api_client.post(_url(case), **bearer(applicant)).json()
    order = PaymentOrder.objects.get(order_no=first["order_no"])
    sandbox.submit(order.pay_url, action="fail")
    [failed] = sandbox.callbacks(order.provider_ref)
    _post_callback(api_client, failed)
    retry_no = api_client.post(_url(case), **bearer(applicant)).json()["order_no"]
    retry = PaymentOrder.objects.get(order_no=retry_no)
    assert sandbox.submit(retry.pay_url).status == 303
    [paid] = sandbox.callbacks(retry.provider_ref)
    assert _post_callback(api_client, paid).status_code == 200

    # the gateway (or a forger with the key) reports the replaced order as paid after all
    data = json.loads(failed["body"])
    late = {**data, "status": "paid", "trade_no": "T-LATE", "nonce": "n-late"}
    late["timestamp"] = int(time.time())
    late.pop("fail_code")
    body = json.dumps(late).encode()
    answer = api_client.post(
        CALLBACK,
        data=body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=sign(SANDBOX_SECRET, body),
    )
    assert answer.status_code == 400
    assert answer.json()["detail"] == "缴款单已被新的缴款单取代，不再收款"
    logged = PaymentCallback.objects.get(nonce="n-late")
    assert logged.outcome == CallbackOutcome.REFUSED and logged.signature_valid
    assert logged.order == order
    order.refresh_from_db()
    assert order.status == PaymentStatus.FAILED and order.paid_at is None
    assert list(PaymentOrder.objects.filter(case=case, status=PaymentStatus.PAID)) == [retry]
    assert TimelineEntry.objects.filter(case=case, action="paid").count() == 1
    # the replaced order cannot be paid at the gateway either
    assert sandbox.submit(order.pay_url).status == 409


@pytest.mark.django_db
def test_an_expired_order_says_so_and_paying_again_opens_a_new_one(
    api_client: Client, bearer: Bearer, applicant: User, case: Case, settings: Any
) -> None:
    settings.PAYMENT_ORDER_TTL_MINUTES = 30
    first = api_client.post(_url(case), **bearer(applicant)).json()
    PaymentOrder.objects.filter(order_no=first["order_no"]).update(
        created_at=timezone.now() - dt.timedelta(minutes=31)
    )
    assert payment_orders_sweep().expired == 1
    shown = api_client.get(_url(case), **bearer(applicant)).json()
    assert (shown["status"], shown["failure_code"]) == (PaymentStatus.FAILED, "EXPIRED")
    assert shown["failure_reason"] == "支付超时未完成"
    english = api_client.get(_url(case), HTTP_ACCEPT_LANGUAGE="en", **bearer(applicant)).json()
    assert english["failure_reason"] and english["failure_reason"] != "支付超时未完成"
    retry = api_client.post(_url(case), **bearer(applicant)).json()
    assert retry["order_no"] != first["order_no"] and retry["status"] == PaymentStatus.PENDING
    # Someone else still cannot pay it, and nothing changes for them.
    outsider = User.objects.create_user(username="outsider-expiry", password="x-pass-2026-long")
    before = PaymentOrder.objects.count()
    assert api_client.post(_url(case), **bearer(outsider)).status_code in (403, 404)
    assert PaymentOrder.objects.count() == before
