"""A case's fee: paid in the real sandbox gateway, before or after approval (只跑一次)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases import services
from tongban.cases.choices import CaseStatus, TaskKind
from tongban.cases.models import Notification
from tongban.cases.services import outputs
from tongban.cases.tests.factories import case_submitted, open_task
from tongban.cases.tests.outputs_helpers import (
    permit,
    step_texts,
)
from tongban.catalog.models import Department, Matter
from tongban.certificates.models import Certificate
from tongban.core.errors import InvalidStateChange
from tongban.identity.models import User
from tongban.sandbox.payment_gateway import server_make, sign

# --- fees: the real sandbox gateway in this process ------------------------------------------

SANDBOX_SECRET = "outputs-test-sandbox-secret"


@pytest.fixture
def sandbox_gateway(settings: Any) -> Iterator[str]:
    """The sandbox payment gateway on a free port; callbacks go nowhere (we fetch them)."""
    server = server_make(host="127.0.0.1", port=0, secret=SANDBOX_SECRET)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = server.RequestHandlerClass.bank.public_url  # type: ignore[attr-defined]
    settings.PAYMENT_PROVIDER = "sandbox"
    settings.PAYMENT_SANDBOX_URL = url
    settings.PAYMENT_SANDBOX_SECRET = SANDBOX_SECRET
    # Nothing listens on port 9: the gateway's own callback fails, and the test delivers
    # the exact signed callback it recorded instead.
    settings.SITE_URL = "http://127.0.0.1:9"
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def _pay_in_sandbox(gateway: str, pay_url: str) -> dict[str, Any]:
    """Press 确认支付 on the sandbox pay page; returns the signed callback it sent."""
    import time
    import urllib.error
    import urllib.request

    trade_ref = pay_url.rstrip("/").rsplit("/", 1)[-1]
    request = urllib.request.Request(pay_url, data=b"action=confirm", method="POST")  # noqa: S310

    class _Stay(urllib.request.HTTPRedirectHandler):
        # The gateway sends the browser back to the portal; this test has no browser.
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        urllib.request.build_opener(_Stay).open(request, timeout=5).read()
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.code
    target = f"/orders/{trade_ref}"
    for _attempt in range(50):
        check = urllib.request.Request(  # noqa: S310
            gateway + target, headers={"X-Sandbox-Signature": sign(SANDBOX_SECRET, target.encode())}
        )
        trade = json.loads(urllib.request.urlopen(check, timeout=5).read())  # noqa: S310
        if trade["callbacks"]:
            callback: dict[str, Any] = trade["callbacks"][0]
            return callback
        time.sleep(0.1)
    raise AssertionError("the sandbox sent no callback")


def _deliver(api_client: Client, callback: dict[str, Any]) -> Any:
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in callback["headers"].items()
        if name.lower() != "content-type"
    }
    return api_client.post(
        "/api/v1/payments/callback/sandbox",
        data=callback["body"].encode("utf-8"),
        content_type="application/json",
        **headers,
    )


def test_a_fee_case_pays_after_acceptance_waits_at_approval_and_the_callback_completes_it(
    fee_permit: Matter,
    sandbox_gateway: str,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    from tongban.payments.models import PaymentOrder

    case = case_submitted(applicant=applicant, matter_code=fee_permit.code)
    assert not PaymentOrder.objects.filter(case=case).exists()
    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    order = PaymentOrder.objects.get(case=case)
    assert order.amount == Decimal("50.00")
    assert order.status == "pending"
    assert order.pay_url.startswith(sandbox_gateway)
    assert "待缴费" in step_texts(case)
    assert Notification.objects.filter(case=case, subject__contains="待缴费").exists()

    services.task_complete(actor=reviewer, task=open_task(case, TaskKind.REVIEW), decision="pass")
    services.task_complete(
        actor=approver, task=open_task(case, TaskKind.DECIDE), decision="approve"
    )
    case.refresh_from_db()
    # Approved but unpaid: no certificate yet, the case waits for the fee.
    assert case.status == CaseStatus.APPROVED
    assert not Certificate.objects.filter(case=case).exists()
    body = api_client.get(f"/api/v1/applications/{case.pk}", **bearer(applicant)).json()
    assert body["payment"]["status"] == "pending"
    assert body["payment"]["order_no"] == order.order_no
    assert body["payment"]["pay_url"] == order.pay_url
    assert body["payment"]["amount"] == "50.00"

    callback = _pay_in_sandbox(sandbox_gateway, order.pay_url)
    response = _deliver(api_client, callback)
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert Certificate.objects.filter(case=case).count() == 1
    steps = step_texts(case)
    assert steps.index("已缴费") < steps.index("已出证") < steps.index("办结")
    assert case.visit_count == 0
    body = api_client.get(f"/api/v1/applications/{case.pk}", **bearer(applicant)).json()
    assert body["payment"]["status"] == "paid"
    assert len(body["certificates"]) == 1

    # The same callback again changes nothing: no second certificate, no second 办结.
    _deliver(api_client, callback)
    assert Certificate.objects.filter(case=case).count() == 1
    assert step_texts(case).count("办结") == 1


def test_a_fee_paid_before_approval_lets_the_approval_issue_at_once(
    fee_permit: Matter,
    sandbox_gateway: str,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    api_client: Client,
) -> None:
    from tongban.payments.models import PaymentOrder

    case = case_submitted(applicant=applicant, matter_code=fee_permit.code)
    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    order = PaymentOrder.objects.get(case=case)
    assert _deliver(api_client, _pay_in_sandbox(sandbox_gateway, order.pay_url)).status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    assert "已缴费" in step_texts(case)
    services.task_complete(actor=reviewer, task=open_task(case, TaskKind.REVIEW), decision="pass")
    services.task_complete(
        actor=approver, task=open_task(case, TaskKind.DECIDE), decision="approve"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert Certificate.objects.filter(case=case).exists()


def test_a_fee_charged_at_decision_gets_its_order_at_approval(
    departments: dict[str, Department],
    sandbox_gateway: str,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
) -> None:
    from tongban.payments.models import PaymentOrder

    matter = permit("drainage-licence-decide", fee="30", process_params={"payment_at": "decide"})
    case = case_submitted(applicant=applicant, matter_code=matter.code)
    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    assert not PaymentOrder.objects.filter(case=case).exists()
    services.task_complete(actor=reviewer, task=open_task(case, TaskKind.REVIEW), decision="pass")
    services.task_complete(
        actor=approver, task=open_task(case, TaskKind.DECIDE), decision="approve"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert PaymentOrder.objects.get(case=case).amount == Decimal("30.00")
    assert "待缴费" in step_texts(case)


def test_a_confirmation_for_an_unpaid_order_is_refused(
    fee_permit: Matter, sandbox_gateway: str, applicant: User, clerk: User
) -> None:
    from tongban.payments.hooks import OrderPaid
    from tongban.payments.models import PaymentOrder

    case = case_submitted(applicant=applicant, matter_code=fee_permit.code)
    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    order = PaymentOrder.objects.get(case=case)
    with pytest.raises(InvalidStateChange):
        outputs.case_payment_confirmed(OrderPaid(order=order, at=timezone.now()))
    assert "已缴费" not in step_texts(case)
