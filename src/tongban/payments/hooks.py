"""What payments report to the app that asked for the money (``cases`` connects the receivers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tongban.core.hooks import Hook
from tongban.payments.models import PaymentOrder


@dataclass(frozen=True)
class OrderPaid:
    """A verified callback (or a status query) found the order paid, once per order."""

    order: PaymentOrder
    at: datetime


#: Sent inside the transaction that marks the order paid.
order_paid: Hook[OrderPaid] = Hook("payments.order_paid")


@dataclass(frozen=True)
class OrderFailed:
    """A verified callback said the payment failed (``order.failure_code`` says why)."""

    order: PaymentOrder
    at: datetime


#: Sent inside the transaction that marks the order failed, once per order.
order_failed: Hook[OrderFailed] = Hook("payments.order_failed")
