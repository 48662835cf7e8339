from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema


class PaymentOrderOut(Schema):
    order_no: str
    amount: Decimal
    currency: str
    description: str
    status: str
    status_label: str
    provider: str
    pay_url: str
    provider_trade_no: str
    paid_at: datetime | None
    refunded_amount: Decimal
    created_at: datetime
    #: Why a failed payment failed: the gateway's code and its plain words (else empty).
    failure_code: str = ""
    failure_reason: str = ""
    #: The order that replaced this failed one (pay again), if any.
    replaced_by: str | None = None


class RefundIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=10, decimal_places=2)
    reason: str = Field(..., min_length=1, max_length=300)


class CallbackAck(Schema):
    ok: bool
