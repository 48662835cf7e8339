"""Reads of payment orders.

The orders of a case are read by ``cases`` after it has checked that the caller may see
the case (``cases.selectors.case_get_for_user``); payments knows nothing of who that is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from tongban.payments.models import PaymentCallback, PaymentOrder

if TYPE_CHECKING:
    from tongban.cases.models import Case


def payment_order_for_case(*, case: Case) -> PaymentOrder | None:
    """The case's latest order (the caller has already been allowed to see the case)."""
    return PaymentOrder.objects.filter(case=case).order_by("-created_at", "-id").first()


def payment_orders_for_case(*, case: Case) -> QuerySet[PaymentOrder]:
    """Every order of the case, newest first (a failed payment leaves its order behind)."""
    return PaymentOrder.objects.filter(case=case).order_by("-created_at", "-id")


def payment_callbacks_for_order(*, order: PaymentOrder) -> QuerySet[PaymentCallback]:
    """The callbacks received for an order (staff audit), newest first."""
    return PaymentCallback.objects.filter(order=order).order_by("-received_at", "-id")
