"""The payment provider interface, what a district's gateway adapter must offer, and its registry.

An adapter opens a payment (``create``), reports its state (``query``), refunds
(``refund``), checks a callback's signature and reads it (``verify_callback``) and
lists a day's settled trades for reconciliation (``records``).  It registers itself with
``@payment_providers.register("code")`` in a module listed in ``settings.TONGBAN_PLUGINS``
and is built without arguments (it reads its own settings); ``settings.PAYMENT_PROVIDER``
names the code used for new orders.  Only the payments app talks to a payment provider;
everything else calls ``tongban.payments.services``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from tongban.core.plugins import Registry


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
    #: Why a failed payment failed, the gateway's code (empty when paid or not said).
    fail_code: str = ""


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


payment_providers = Registry[PaymentProvider](
    name="payment provider", label="支付渠道", setting="PAYMENT_PROVIDER", protocol=PaymentProvider
)


def payment_provider() -> PaymentProvider:
    """The provider settings.PAYMENT_PROVIDER names (an unknown code is a configuration error)."""
    return payment_providers.configured()


def provider_get(name: str) -> PaymentProvider | None:
    """The provider registered under ``name`` (an order's provider), or None when there is none."""
    return payment_providers.get(name) if name in payment_providers else None
