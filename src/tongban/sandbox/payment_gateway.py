"""The sandbox payment gateway: a fake bank that runs as its own local HTTP process.

Pure standard library (no Django), so it behaves like a gateway on another machine:
``tongban payments sandbox --port 8010`` or ``python -m tongban.sandbox.payment_gateway``.

The app talks to it with requests signed by ``X-Sandbox-Signature`` = HMAC-SHA256
(hex) with the shared secret, over the exact body of a POST or over the request
target (path and query) of a GET:

- ``POST /orders`` ``{order_no, amount, currency, description, notify_url, return_url,
  options}`` → ``{trade_ref, pay_url, status}`` (the same order_no gives the same trade)
- ``GET /orders/<trade_ref>`` → the trade with its status, paid amount and the callbacks sent
- ``POST /refunds`` ``{trade_ref, amount, refund_no, reason}`` → ``{refund_no, amount}``
- ``GET /records?day=YYYY-MM-DD`` → the trades paid that day (Asia/Shanghai), to reconcile
- ``POST /reset`` forgets every trade (tests)

The payer's browser opens ``GET /pay/<trade_ref>`` (a Chinese pay page with 确认支付 and
模拟失败) and submits it to ``POST /pay/<trade_ref>``: the trade is marked paid (or
failed) and a signed JSON callback ``{order_no, trade_no, amount, currency, status,
nonce, timestamp}`` is POSTed to the order's notify_url, then the browser goes back to
its return_url.  Failures and delays on demand, as query parameters of the pay page or
``options`` at creation: ``fail=1`` (the payment fails; its callback carries ``fail_code``,
``BALANCE_NOT_ENOUGH`` unless ``fail_code=…`` names another), ``delay=N`` (seconds before the
callback), ``duplicate=1`` (the callback is sent twice, with fresh nonces, as a gateway
retrying would), ``wrong_amount=1`` (the callback claims another amount) and
``forge=1`` (the callback is signed with a wrong key).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import html
import json
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

SIGNATURE_HEADER = "X-Sandbox-Signature"
#: Largest request body accepted, in bytes.
MAX_BODY = 64 * 1024
#: Seconds the sandbox waits for the app to answer a callback.
CALLBACK_TIMEOUT = 5.0
#: Longest delay on demand, in seconds (keeps a test or a demo bounded).
MAX_DELAY = 30.0
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPTION_NAMES = ("fail", "fail_code", "delay", "duplicate", "wrong_amount", "forge")
#: The reason a failed payment gives when ``fail_code`` does not name one.
DEFAULT_FAIL_CODE = "BALANCE_NOT_ENOUGH"


def sign(secret: str, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` with ``secret``, hex: the X-Sandbox-Signature header."""
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


@dataclass
class Trade:
    trade_ref: str
    order_no: str
    amount: Decimal
    currency: str
    description: str
    notify_url: str
    return_url: str
    options: dict[str, str]
    created_at: dt.datetime
    status: str = "pending"
    trade_no: str = ""
    paid_at: dt.datetime | None = None
    refunded: Decimal = Decimal("0")
    fail_code: str = ""
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trade_ref": self.trade_ref,
            "order_no": self.order_no,
            "amount": str(self.amount),
            "currency": self.currency,
            "description": self.description,
            "status": self.status,
            "trade_no": self.trade_no,
            "paid_amount": str(self.amount) if self.paid_at else "0.00",
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
            "refunded": str(self.refunded),
            "callbacks": list(self.callbacks),
        }


class Bank:
    """The sandbox's whole state, in memory; one lock guards it across request threads."""

    def __init__(self, *, secret: str, public_url: str = "") -> None:
        self.secret = secret
        self.public_url = public_url.rstrip("/")
        self.lock = threading.Lock()
        self.trades: dict[str, Trade] = {}
        self.by_order_no: dict[str, str] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.threads: list[threading.Thread] = []

    def reset(self) -> None:
        with self.lock:
            self.trades.clear()
            self.by_order_no.clear()
            self.refunds.clear()

    def create(self, data: dict[str, Any]) -> Trade:
        with self.lock:
            existing = self.by_order_no.get(str(data["order_no"]))
            if existing:
                return self.trades[existing]
            options = data.get("options") or {}
            trade = Trade(
                trade_ref="SBX" + secrets.token_hex(8).upper(),
                order_no=str(data["order_no"]),
                amount=Decimal(str(data["amount"])).quantize(Decimal("0.01")),
                currency=str(data.get("currency") or "CNY"),
                description=str(data.get("description") or ""),
                notify_url=str(data["notify_url"]),
                return_url=str(data.get("return_url") or ""),
                options={k: str(v) for k, v in options.items() if k in OPTION_NAMES},
                created_at=dt.datetime.now(tz=dt.UTC),
            )
            self.trades[trade.trade_ref] = trade
            self.by_order_no[trade.order_no] = trade.trade_ref
            return trade

    def settle(self, trade: Trade, options: dict[str, str]) -> list[bytes] | None:
        """Mark the trade paid or failed; the callback bodies to send, None when already settled."""
        with self.lock:
            if trade.status != "pending":
                return None
            now = dt.datetime.now(tz=dt.UTC)
            if options.get("fail") == "1":
                trade.status = "failed"
                trade.fail_code = (options.get("fail_code") or DEFAULT_FAIL_CODE)[:40]
            else:
                trade.status = "paid"
                trade.paid_at = now
            trade.trade_no = "T" + now.strftime("%Y%m%d%H%M%S") + secrets.token_hex(4).upper()
            amount = trade.amount + Decimal("1.00") if options.get("wrong_amount") == "1" else None
            copies = 2 if options.get("duplicate") == "1" else 1
            return [self._callback_body(trade, amount) for _ in range(copies)]

    def _callback_body(self, trade: Trade, amount: Decimal | None) -> bytes:
        body = {
            "order_no": trade.order_no,
            "trade_no": trade.trade_no,
            "amount": str(amount if amount is not None else trade.amount),
            "currency": trade.currency,
            "status": trade.status,
            "nonce": secrets.token_hex(16),
            "timestamp": int(time.time()),
        }
        if trade.status == "failed":
            body["fail_code"] = trade.fail_code
        return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def notify(self, trade: Trade, bodies: list[bytes], options: dict[str, str]) -> None:
        """Send the callbacks in the background (after the delay asked for)."""
        try:
            delay = min(max(float(options.get("delay") or 0), 0.0), MAX_DELAY)
        except ValueError:
            delay = 0.0
        secret = "forged-" + self.secret if options.get("forge") == "1" else self.secret

        def run() -> None:
            if delay:
                time.sleep(delay)
            for body in bodies:
                self._post_callback(trade, body, secret)

        thread = threading.Thread(target=run, name=f"callback-{trade.trade_ref}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _post_callback(self, trade: Trade, body: bytes, secret: str) -> None:
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
        record: dict[str, Any] = {
            "body": body.decode("utf-8"),
            "headers": headers,
            "sent_at": dt.datetime.now(tz=dt.UTC).isoformat(),
        }
        # notify_url was checked to be http(s) when the trade was created.
        request = urllib.request.Request(trade.notify_url, data=body, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT) as response:  # noqa: S310
                record["response_status"] = response.status
                record["response_body"] = response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            record["response_status"] = exc.code
            record["response_body"] = exc.read(2000).decode("utf-8", "replace")
        except (OSError, ValueError) as exc:
            record["response_status"] = None
            record["error"] = str(exc)
        with self.lock:
            trade.callbacks.append(record)

    def refund(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            trade = self.trades.get(str(data.get("trade_ref")))
            if trade is None:
                return 404, {"error": "trade not found"}
            refund_no = str(data.get("refund_no") or "")
            if refund_no in self.refunds:
                return 200, self.refunds[refund_no]
            try:
                amount = Decimal(str(data.get("amount"))).quantize(Decimal("0.01"))
            except InvalidOperation:
                return 400, {"error": "bad amount"}
            if trade.status not in ("paid", "refunded") or amount <= 0:
                return 409, {"error": "trade not refundable"}
            if amount > trade.amount - trade.refunded:
                return 409, {"error": "refund exceeds the paid amount"}
            trade.refunded += amount
            if trade.refunded == trade.amount:
                trade.status = "refunded"
            result = {"refund_no": refund_no, "amount": str(amount), "trade_ref": trade.trade_ref}
            self.refunds[refund_no] = result
            return 200, result

    def records(self, day: dt.date) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "order_no": t.order_no,
                    "trade_no": t.trade_no,
                    "trade_ref": t.trade_ref,
                    "amount": str(t.amount),
                    "refunded": str(t.refunded),
                    "status": t.status,
                    "paid_at": t.paid_at.isoformat(),
                }
                for t in self.trades.values()
                if t.paid_at is not None and t.paid_at.astimezone(SHANGHAI).date() == day
            ]


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;
background:#f3f5f8}}
main{{max-width:28rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:8px}}
h1{{font-size:1.25rem}} .amount{{font-size:2rem;color:#c0392b;margin:.5rem 0}}
dl{{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}} dt{{color:#666}}
button{{font-size:1rem;padding:.6rem 1.2rem;margin:.5rem .5rem 0 0;border-radius:4px;border:0}}
.pay{{background:#1677ff;color:#fff}} .fail{{background:#eee}}
.note{{color:#888;font-size:.85rem}}
</style></head><body><main>{content}</main></body></html>"""


def _page(title: str, content: str) -> bytes:
    return PAGE.format(title=html.escape(title), content=content).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    server_version = "TongbanSandboxPay/1"
    #: Seconds a client may take to send its request (a stuck client cannot hold a thread).
    timeout = 10
    bank: Bank

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("sandbox-pay: " + (format % args) + "\n")

    # --- helpers -------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _html(self, status: int, title: str, content: str) -> None:
        self._send(status, _page(title, content), "text/html; charset=utf-8")

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length)

    def _signed(self, data: bytes) -> bool:
        given = self.headers.get(SIGNATURE_HEADER) or ""
        return hmac.compare_digest(given, sign(self.bank.secret, data))

    def _refused(self) -> None:
        self._json(401, {"error": "bad signature"})

    # --- routes --------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = dict(urllib.parse.parse_qsl(url.query))
        if len(parts) == 2 and parts[0] == "pay":
            return self._pay_page(parts[1], query)
        if parts == ["health"]:
            return self._json(200, {"ok": True})
        if not self._signed(self.path.encode("utf-8")):
            return self._refused()
        if len(parts) == 2 and parts[0] == "orders":
            trade = self.bank.trades.get(parts[1])
            if trade is None:
                return self._json(404, {"error": "trade not found"})
            with self.bank.lock:
                return self._json(200, trade.as_dict())
        if parts == ["records"]:
            try:
                day = dt.date.fromisoformat(query.get("day", ""))
            except ValueError:
                return self._json(400, {"error": "day must be YYYY-MM-DD"})
            return self._json(200, {"day": day.isoformat(), "records": self.bank.records(day)})
        return self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        body = self._body()
        if body is None:
            return self._json(413, {"error": "body too large or malformed"})
        if len(parts) == 2 and parts[0] == "pay":
            return self._pay_submit(parts[1], body)
        if not self._signed(body):
            return self._refused()
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._json(400, {"error": "invalid JSON"})
        if not isinstance(data, dict):
            return self._json(400, {"error": "a JSON object is expected"})
        if parts == ["orders"]:
            return self._create(data)
        if parts == ["refunds"]:
            status, result = self.bank.refund(data)
            return self._json(status, result)
        if parts == ["reset"]:
            self.bank.reset()
            return self._json(200, {"ok": True})
        return self._json(404, {"error": "not found"})

    def _create(self, data: dict[str, Any]) -> None:
        missing = [k for k in ("order_no", "amount", "notify_url") if not data.get(k)]
        if missing:
            return self._json(400, {"error": "missing: " + ", ".join(missing)})
        try:
            amount = Decimal(str(data["amount"]))
        except InvalidOperation:
            return self._json(400, {"error": "bad amount"})
        if amount <= 0 or not str(data["notify_url"]).startswith(("http://", "https://")):
            return self._json(400, {"error": "bad amount or notify_url"})
        trade = self.bank.create(data)
        pay_url = f"{self.bank.public_url}/pay/{trade.trade_ref}"
        self._json(201, {"trade_ref": trade.trade_ref, "pay_url": pay_url, "status": trade.status})

    def _pay_page(self, trade_ref: str, query: dict[str, str]) -> None:
        trade = self.bank.trades.get(trade_ref)
        if trade is None:
            return self._html(404, "订单不存在", "<h1>订单不存在</h1>")
        if trade.status != "pending":
            label = {"paid": "该订单已支付", "failed": "该订单支付失败", "refunded": "该订单已退款"}
            text = label.get(trade.status, "该订单已处理")
            return self._html(409, text, f"<h1>{html.escape(text)}</h1><p>不会重复扣款。</p>")
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query[name])}">'
            for name in OPTION_NAMES
            if name in query
        )
        content = f"""
<h1>沙箱支付收银台</h1>
<p class="note">这是演示和测试用的模拟支付，不会产生真实扣款。</p>
<div class="amount">¥ {html.escape(str(trade.amount))}</div>
<dl><dt>缴费项目</dt><dd>{html.escape(trade.description)}</dd>
<dt>缴款单号</dt><dd>{html.escape(trade.order_no)}</dd>
<dt>渠道订单号</dt><dd>{html.escape(trade.trade_ref)}</dd></dl>
<form method="post" action="/pay/{html.escape(trade.trade_ref)}">{hidden}
<button class="pay" type="submit" name="action" value="confirm">确认支付</button>
<button class="fail" type="submit" name="action" value="fail">模拟失败</button>
</form>"""
        self._html(200, "沙箱支付", content)

    def _pay_submit(self, trade_ref: str, body: bytes) -> None:
        trade = self.bank.trades.get(trade_ref)
        if trade is None:
            return self._html(404, "订单不存在", "<h1>订单不存在</h1>")
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        options = {**trade.options, **{k: v for k, v in form.items() if k in OPTION_NAMES}}
        if form.get("action") == "fail":
            options["fail"] = "1"
        bodies = self.bank.settle(trade, options)
        if bodies is None:
            # Paying an already paid order never charges twice.
            return self._html(409, "该订单已处理", "<h1>该订单已处理</h1><p>不会重复扣款。</p>")
        self.bank.notify(trade, bodies, options)
        if trade.return_url:
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", trade.return_url)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        text = "支付成功" if trade.status == "paid" else "支付失败"
        return self._html(200, text, f"<h1>{text}</h1>")


def server_make(*, host: str, port: int, secret: str, public_url: str = "") -> ThreadingHTTPServer:
    """A bound (not yet serving) sandbox gateway; port 0 picks a free port."""
    bank = Bank(secret=secret)
    handler = type("BoundHandler", (Handler,), {"bank": bank})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    bank.public_url = (public_url or f"http://{bound_host!s}:{bound_port}").rstrip("/")
    return server


def serve(*, host: str, port: int, secret: str, public_url: str = "") -> None:
    """Run the sandbox gateway until interrupted; prints its URL first (port 0 → a free one)."""
    server = server_make(host=host, port=port, secret=secret, public_url=public_url)
    bank: Bank = server.RequestHandlerClass.bank  # type: ignore[attr-defined]
    print(f"sandbox payment gateway listening on {bank.public_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Tongban sandbox payment gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--public-url", default="")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, secret=args.secret, public_url=args.public_url)


if __name__ == "__main__":
    main()
