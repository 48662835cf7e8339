"""The payment provider interface: what a district's gateway adapter must offer.

An adapter opens a payment (``create``), reports its state (``query``), refunds
(``refund``), checks a callback's signature and reads it (``verify_callback``) and
lists a day's settled trades for reconciliation (``records``).  Only this package
talks to a payment provider; everything else calls ``tongban.payments.services``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with something unusable."""


class ProviderRefused(Exception):
    """The provider understood the request and said no (e.g. a refund beyond the paid sum)."""


class CallbackRefused(Exception):
    """A callback that cannot be trusted or read; ``reason`` is stored with it."""

    def __init__(self, reason: str, *, signature_valid: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signature_valid = signature_valid


@dataclass(frozen=True)
class PaymentOpened:
    """A payment the provider opened: its reference and where the payer pays."""

    trade_ref: str
    pay_url: str


@dataclass(frozen=True)
class PaymentState:
    #: pending | paid | failed | refunded
    status: str
    paid_amount: Decimal
    trade_no: str = ""
    refunded_amount: Decimal = Decimal("0")


@dataclass(frozen=True)
class CallbackData:
    """A callback whose signature checked out, parsed."""

    order_no: str
    trade_no: str
    amount: Decimal
    status: str
    nonce: str
    timestamp: dt.datetime
    currency: str = "CNY"


@dataclass(frozen=True)
class RefundDone:
    refund_no: str
    amount: Decimal


@dataclass(frozen=True)
class ProviderRecord:
    """One trade in the provider's books, as the reconciliation reads it."""

    order_no: str
    trade_no: str
    amount: Decimal
    status: str
    paid_at: dt.datetime | None


@runtime_checkable
class PaymentProvider(Protocol):
    name: str

    def create(
        self,
        *,
        order_no: str,
        amount: Decimal,
        currency: str,
        description: str,
        notify_url: str,
        return_url: str,
    ) -> PaymentOpened: ...

    def query(self, *, trade_ref: str) -> PaymentState: ...

    def refund(
        self, *, trade_ref: str, refund_no: str, amount: Decimal, reason: str
    ) -> RefundDone: ...

    def verify_callback(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackData: ...

    def records(self, *, day: dt.date) -> list[ProviderRecord]: ...
