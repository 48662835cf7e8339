"""A district's own payment provider, as a module named in TONGBAN_PLUGINS registers it.

Imported only by test_providers' start-up subprocess (never collected, never in this process).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from tongban.payments.providers import (
    CallbackData,
    PaymentOpened,
    PaymentState,
    ProviderRecord,
    ProviderUnavailable,
    RefundDone,
    payment_providers,
)


@payment_providers.register("district-bank")
class DistrictBankProvider:
    name = "district-bank"

    def create(
        self,
        *,
        order_no: str,
        amount: Decimal,
        currency: str,
        description: str,
        notify_url: str,
        return_url: str,
    ) -> PaymentOpened:
        return PaymentOpened(trade_ref=f"DB{order_no}", pay_url=f"https://bank.example/{order_no}")

    def query(self, *, trade_ref: str) -> PaymentState:
        raise ProviderUnavailable("not in this test")

    def refund(self, *, trade_ref: str, refund_no: str, amount: Decimal, reason: str) -> RefundDone:
        raise ProviderUnavailable("not in this test")

    def verify_callback(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackData:
        raise ProviderUnavailable("not in this test")

    def records(self, *, day: dt.date) -> list[ProviderRecord]:
        return []
