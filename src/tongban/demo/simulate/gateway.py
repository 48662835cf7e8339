"""Fees through the sandbox payment provider and its callback path, at simulated moments.

The simulator starts its own sandbox gateway the way ``make run`` does — ``tongban payments
sandbox`` as a separate process, on a free port, with a secret made for the run — and points
the sandbox provider at it, so every payment order is opened there over HTTP.  The gateway
stamps its notices with the wall clock, which the callback's freshness check would refuse in
a simulated year; so the payer's notice is delivered by the simulator itself, in the gateway's
format and signed with the run's secret (HMAC-SHA256, ``X-Sandbox-Signature``), to
``payments.services.payment_callback_handle`` — signature, freshness, replay and amount
checks included.  No application module imports the sandbox; this talks to it over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.test.utils import override_settings

from tongban.core.errors import DomainError
from tongban.payments.models import PaymentCallback, PaymentOrder
from tongban.payments.services import payment_callback_handle

PROVIDER = "sandbox"
SIGNATURE_HEADER = "X-Sandbox-Signature"
#: Seconds to wait for the gateway to say where it listens (a busy machine is slow to start).
START_TIMEOUT = 60


class GatewayUnavailable(DomainError):
    """The sandbox gateway process did not start."""


@dataclass
class Gateway:
    url: str
    secret: str

    def pay(self, *, order: PaymentOrder, at: datetime, nonce: str) -> PaymentCallback:
        """The applicant pays ``order`` at ``at``; returns the stored callback."""
        body = {
            "order_no": order.order_no,
            "trade_no": f"T{at:%Y%m%d%H%M%S}{order.pk:08d}",
            "amount": str(order.amount),
            "currency": order.currency,
            "status": "paid",
            "nonce": nonce,
            "timestamp": int(at.timestamp()),
        }
        raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
        signature = hmac.new(self.secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
        return payment_callback_handle(
            provider=PROVIDER, body=raw, headers={SIGNATURE_HEADER: signature}
        )


@contextmanager
def sandbox_gateway() -> Iterator[Gateway]:
    """A private sandbox gateway process for the run, and the settings that point at it."""
    secret = secrets.token_hex(16)
    env = {**os.environ, "PAYMENT_SANDBOX_SECRET": secret}
    command = [sys.executable, "-m", "tongban.cli", "payments", "sandbox", "--port", "0"]
    process = subprocess.Popen(  # noqa: S603  (our own CLI, fixed arguments)
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        url = _listening_url(process)
        with override_settings(
            PAYMENT_PROVIDER=PROVIDER, PAYMENT_SANDBOX_URL=url, PAYMENT_SANDBOX_SECRET=secret
        ):
            yield Gateway(url=url, secret=secret)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening_url(process: subprocess.Popen[str]) -> str:
    """The URL the gateway prints when it listens ("… listening on http://127.0.0.1:N")."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        raise GatewayUnavailable(f"the sandbox payment gateway did not start: {line.strip()!r}")
    url = line.rsplit("listening on ", 1)[1].strip()
    with urllib.request.urlopen(f"{url}/health", timeout=START_TIMEOUT) as answer:  # noqa: S310
        if answer.status != 200:
            raise GatewayUnavailable(f"the sandbox payment gateway answered {answer.status}")
    return url
