"""Payment over HTTP: the providers' callbacks.

Paying for a case, its order and refunds are asked of the case:
``/applications/{id}/payment…`` live in ``cases.api``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from tongban.core.problems import problem_response
from tongban.identity.auth import signed_in
from tongban.identity.models import User
from tongban.payments import services
from tongban.payments.choices import CallbackOutcome, PaymentStatus, failure_reason
from tongban.payments.models import PaymentOrder
from tongban.payments.schemas import CallbackAck

router = Router(tags=["payments"], auth=signed_in)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def order_out(order: PaymentOrder) -> dict[str, Any]:
    """An order as the API shows it (also for GET /applications/{id})."""
    return {
        "order_no": order.order_no,
        "amount": order.amount,
        "currency": order.currency,
        "description": order.description,
        "status": order.status,
        "status_label": str(PaymentStatus(order.status).label),
        "provider": order.provider,
        "pay_url": order.pay_url if order.status == PaymentStatus.PENDING else "",
        "provider_trade_no": order.provider_trade_no,
        "paid_at": order.paid_at,
        "refunded_amount": order.refunded_amount,
        "created_at": order.created_at,
        "failure_code": order.failure_code,
        "failure_reason": (
            failure_reason(order.failure_code) if order.status == PaymentStatus.FAILED else ""
        ),
        "replaced_by": order.replaced_by.order_no if order.replaced_by is not None else None,
    }


@router.post("/payments/callback/{provider}", auth=None, response={200: CallbackAck})
def payment_callback(request: HttpRequest, provider: str) -> Any:
    # No session, no token: the provider proves itself with the signature of the body.
    headers = {key: value for key, value in request.headers.items()}
    callback = services.payment_callback_handle(
        provider=provider, body=request.body, headers=headers
    )
    if callback.outcome == CallbackOutcome.REFUSED:
        return _refused(callback.reason)
    return {"ok": True}


def _refused(reason: str) -> HttpResponse:
    return problem_response(
        status=400, title=_("支付通知被拒绝"), detail=reason, type_slug="payment-callback-refused"
    )
