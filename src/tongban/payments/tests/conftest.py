"""The sandbox gateway as a real process on a free loopback port, and a fee matter."""

# ruff: noqa: S310  (tests open the sandbox gateway on loopback)
from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tongban.cases.services.outputs import case_payment_confirmed
from tongban.catalog.models import Department, Matter
from tongban.payments.hooks import OrderPaid, order_paid
from tongban.payments.tests.factories import fee_matter

SANDBOX_SECRET = "payments-test-sandbox-secret"
#: Where callbacks go when a test feeds them to the service itself: nothing listens there.
DEAD_SITE_URL = "http://127.0.0.1:9"
START_TIMEOUT = 30.0


def _sign(data: bytes) -> str:
    return hmac.new(SANDBOX_SECRET.encode(), data, hashlib.sha256).hexdigest()


@dataclass
class PageAnswer:
    status: int
    body: str
    location: str = ""


@dataclass
class Sandbox:
    """A handle on the running gateway, speaking to it as the payer's browser or the app."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)

    def _open(self, request: urllib.request.Request) -> PageAnswer:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=10) as response:
                return PageAnswer(response.status, response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            return PageAnswer(
                exc.code, exc.read().decode("utf-8"), exc.headers.get("Location") or ""
            )

    def page(self, pay_url: str, **query: str) -> PageAnswer:
        suffix = ("?" + urllib.parse.urlencode(query)) if query else ""
        return self._open(urllib.request.Request(pay_url + suffix))

    def submit(self, pay_url: str, action: str = "confirm", **options: str) -> PageAnswer:
        body = urllib.parse.urlencode({"action": action, **options}).encode()
        return self._open(urllib.request.Request(pay_url, data=body, method="POST"))

    def signed(self, method: str, target: str, data: dict[str, Any] | None = None) -> Any:
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.url + target,
            data=body,
            method=method,
            headers={"X-Sandbox-Signature": _sign(body if body is not None else target.encode())},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def trade(self, trade_ref: str) -> dict[str, Any]:
        return dict(self.signed("GET", f"/orders/{trade_ref}"))

    def callbacks(
        self, trade_ref: str, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """The callbacks the gateway has sent for a trade, waiting (bounded) for ``count``."""
        deadline = time.monotonic() + timeout
        while True:
            sent = self.trade(trade_ref)["callbacks"]
            if len(sent) >= count or time.monotonic() > deadline:
                return list(sent)
            time.sleep(0.05)


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[str]:
    """`tongban payments sandbox --port 0` in its own process; its URL. Always stopped."""
    env = {**os.environ, "PAYMENT_SANDBOX_SECRET": SANDBOX_SECRET, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tongban.cli", "payments", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        line = lines.get(timeout=START_TIMEOUT)
        assert "listening on " in line, line
        yield line.rsplit("listening on ", 1)[1].strip()
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def sandbox(sandbox_process: str, settings: Any) -> Sandbox:
    """The gateway, emptied, with the app configured to use it; callbacks go nowhere."""
    settings.PAYMENT_PROVIDER = "sandbox"
    settings.PAYMENT_SANDBOX_URL = sandbox_process
    settings.PAYMENT_SANDBOX_SECRET = SANDBOX_SECRET
    settings.SITE_URL = DEAD_SITE_URL
    handle = Sandbox(url=sandbox_process)
    handle.signed("POST", "/reset", {})
    return handle


@pytest.fixture
def confirmed() -> Iterator[list[dict[str, Any]]]:
    """The ``order_paid`` events payments sends (recorded; the case is not told)."""
    calls: list[dict[str, Any]] = []

    def record(event: OrderPaid) -> None:
        calls.append({"order": event.order, "case": event.order.case, "now": event.at})

    order_paid.disconnect(case_payment_confirmed)
    order_paid.connect(record)
    yield calls
    order_paid.disconnect(record)
    order_paid.connect(case_payment_confirmed)


@pytest.fixture
def matter(departments: dict[str, Department]) -> Matter:
    """户外招牌设置许可 of market with a fee of 80.00 yuan, paid after acceptance."""
    return fee_matter()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
