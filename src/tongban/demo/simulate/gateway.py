"""Fees paid through the sandbox payment provider and its callback path, at simulated moments.

The simulator starts its own sandbox gateway (``tongban.sandbox.payment_gateway``) in this
process on a free port and points the sandbox provider at it, so payment orders are opened
over HTTP exactly as in the demo.  The payer's 确认支付 settles the trade in that gateway;
the gateway's notice is then delivered to ``payments.services.payment_callback_handle``
(signature, freshness, replay and amount checks included) with the simulated moment as its
timestamp, since the gateway itself stamps notices with the wall clock.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.test.utils import override_settings

from tongban.payments.models import PaymentCallback, PaymentOrder
from tongban.payments.services import payment_callback_handle
from tongban.sandbox.payment_gateway import SIGNATURE_HEADER, Bank, server_make, sign

PROVIDER = "sandbox"


@dataclass
class Gateway:
    bank: Bank
    secret: str

    def pay(self, *, order: PaymentOrder, at: datetime, rng: random.Random) -> PaymentCallback:
        """The applicant pays ``order`` at ``at``; returns the stored callback."""
        trade = self.bank.trades.get(order.provider_ref)
        if trade is None:
            raise LookupError(f"order {order.order_no} was never opened at the sandbox gateway")
        self.bank.settle(trade, {})
        body: dict[str, Any] = {
            "order_no": trade.order_no,
            "trade_no": trade.trade_no,
            "amount": str(trade.amount),
            "currency": trade.currency,
            "status": trade.status,
            "nonce": f"{rng.getrandbits(128):032x}",
            "timestamp": int(at.timestamp()),
        }
        raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return payment_callback_handle(
            provider=PROVIDER, body=raw, headers={SIGNATURE_HEADER: sign(self.secret, raw)}
        )


def _quiet(*args: Any) -> None:
    """Nothing: the simulator's gateway does not log each request."""


@contextmanager
def sandbox_gateway() -> Iterator[Gateway]:
    """A private sandbox gateway for the run, and the settings that point the provider at it."""
    secret = secrets.token_hex(16)
    server = server_make(host="127.0.0.1", port=0, secret=secret)
    # The gateway logs each request to stderr; over a year of fees that is only noise.
    server.RequestHandlerClass.log_message = _quiet  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bank: Bank = server.RequestHandlerClass.bank  # type: ignore[attr-defined]
    try:
        with override_settings(
            PAYMENT_PROVIDER=PROVIDER,
            PAYMENT_SANDBOX_URL=bank.public_url,
            PAYMENT_SANDBOX_SECRET=secret,
        ):
            yield Gateway(bank=bank, secret=secret)
    finally:
        server.shutdown()
        server.server_close()
