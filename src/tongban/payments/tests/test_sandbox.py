"""The sandbox gateway process on its own: it only obeys the app, and the CLI around it."""

# ruff: noqa: S310  (tests open the sandbox gateway on loopback)
from __future__ import annotations

import json
import urllib.error
import urllib.request
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tongban.payments.models import PaymentOrder
from tongban.payments.tests.conftest import Sandbox


def _post(url: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"X-Sandbox-Signature": signature}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_gateway_refuses_an_unsigned_or_badly_signed_request(sandbox: Sandbox) -> None:
    body = json.dumps(
        {"order_no": "X1", "amount": "1.00", "notify_url": "http://127.0.0.1:9/cb"}
    ).encode()
    assert _post(sandbox.url + "/orders", body, "") == 401
    assert _post(sandbox.url + "/orders", body, "f" * 64) == 401
    assert _post(sandbox.url + "/reset", b"{}", "f" * 64) == 401
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(sandbox.url + "/records?day=2026-01-01", timeout=10)
    assert refused.value.code == 401


def test_the_gateway_refuses_a_bad_order_and_an_unknown_pay_page(sandbox: Sandbox) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        sandbox.signed("POST", "/orders", {"order_no": "X1", "amount": "-1", "notify_url": "x"})
    assert refused.value.code == 400
    assert sandbox.page(sandbox.url + "/pay/SBXNOPE").status == 404


def test_the_gateway_opens_one_trade_per_order_no(sandbox: Sandbox) -> None:
    data = {"order_no": "X2", "amount": "5.00", "notify_url": "http://127.0.0.1:9/cb"}
    first = sandbox.signed("POST", "/orders", data)
    again = sandbox.signed("POST", "/orders", data)
    assert first["trade_ref"] == again["trade_ref"]


def test_the_pay_page_escapes_what_the_app_sent(sandbox: Sandbox) -> None:
    opened = sandbox.signed(
        "POST",
        "/orders",
        {
            "order_no": "X3",
            "amount": "5.00",
            "description": "<script>alert(1)</script>",
            "notify_url": "http://127.0.0.1:9/cb",
        },
    )
    page = sandbox.page(opened["pay_url"])
    assert "<script>" not in page.body and "&lt;script&gt;" in page.body


@pytest.mark.django_db
def test_reconcile_prints_the_report(
    sandbox: Sandbox, matter: Any, applicant: Any, clerk: Any, confirmed: Any
) -> None:
    from django.utils import timezone

    from tongban.payments.tests.factories import case_accepted

    order = PaymentOrder.objects.get(case=case_accepted(applicant=applicant, clerk=clerk))
    sandbox.submit(order.pay_url)  # the callback is lost: the order is paid only at the bank
    sandbox.callbacks(order.provider_ref)
    out = StringIO()

    call_command("payments", "reconcile", "--day", timezone.localdate().isoformat(), stdout=out)

    assert "渠道有、本地无" in out.getvalue() and order.order_no in out.getvalue()
    assert "对账不平衡" in out.getvalue()


def test_reconcile_refuses_a_bad_day() -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("payments", "reconcile", "--day", "2026-13-40")


@pytest.mark.django_db
def test_reconcile_says_in_one_line_when_the_provider_is_down(settings: Any) -> None:
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="支付渠道暂不可用"):
        call_command("payments", "reconcile", "--day", "2026-01-05")


@pytest.mark.django_db
def test_without_a_secret_no_callback_is_believed(settings: Any) -> None:
    from tongban.payments.choices import CallbackOutcome
    from tongban.payments.services import payment_callback_handle

    settings.PAYMENT_SANDBOX_SECRET = ""
    received = payment_callback_handle(
        provider="sandbox", body=b"{}", headers={"X-Sandbox-Signature": ""}
    )
    assert received.outcome == CallbackOutcome.REFUSED
    assert received.reason == "未配置签名密钥"
