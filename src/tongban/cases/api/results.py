"""What a case produces, over HTTP: paying its fee, its refunds, how its licence arrives.

The provider's callback stays in ``payments.api``; everything asked of one case is here,
behind the case's own access rule (``case_get_for_user``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from tongban.cases import selectors
from tongban.cases.services import outputs
from tongban.core.errors import NotFound
from tongban.delivery.schemas import DeliveryChooseIn, DeliveryOut
from tongban.delivery.selectors import DeliveryView, delivery_view
from tongban.identity.auth import signed_in
from tongban.identity.models import User
from tongban.payments import selectors as payment_selectors
from tongban.payments.api import order_out
from tongban.payments.schemas import PaymentOrderOut, RefundIn
from tongban.payments.services import payment_refund

router = Router(auth=signed_in)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.post("/applications/{case_id}/payment", response=PaymentOrderOut, tags=["payments"])
def payment_create(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """Pay the case's fee: its order, opened at the payment provider."""
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    return order_out(outputs.case_payment_request(actor=user, case=case))


@router.get("/applications/{case_id}/payment", response=PaymentOrderOut, tags=["payments"])
def payment_get(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case's latest payment order."""
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    order = payment_selectors.payment_order_for_case(case=case)
    if order is None:
        raise NotFound(_("该办件尚无缴款单"))
    return order_out(order)


@router.post("/applications/{case_id}/payment/refund", response=PaymentOrderOut, tags=["payments"])
def payment_refund_create(request: HttpRequest, case_id: int, payload: RefundIn) -> dict[str, Any]:
    """Refund (part of) the case's paid fee: center admin or the department's approver."""
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    order = payment_selectors.payment_order_for_case(case=case)
    if order is None:
        raise NotFound(_("该办件尚无缴款单"))
    order = payment_refund(actor=user, order=order, amount=payload.amount, reason=payload.reason)
    return order_out(order)


@router.post("/applications/{case_id}/delivery", response=DeliveryOut, tags=["delivery"])
def delivery_choose(request: HttpRequest, case_id: int, payload: DeliveryChooseIn) -> DeliveryView:
    """Choose e-certificate only, pick-up at the window, or post to an address (before issue)."""
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    case = outputs.case_delivery_choose(
        actor=user, case=case, method=payload.method, address=payload.address
    )
    return delivery_view(case=case)


@router.get("/applications/{case_id}/delivery", response=DeliveryOut, tags=["delivery"])
def delivery_get(request: HttpRequest, case_id: int) -> DeliveryView:
    """How the licence reaches the applicant, and the parcel's tracking events."""
    user = _user(request)
    return delivery_view(case=selectors.case_get_for_user(user=user, case_id=case_id))
