"""The sandbox payment provider (code ``sandbox``): the app's client of ``payment_gateway``.

Requests carry ``X-Sandbox-Signature`` (HMAC-SHA256 with settings.PAYMENT_SANDBOX_SECRET)
and every call has a timeout, so a stuck gateway cannot hold a web request for long.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from tongban.payments.providers import (
    CallbackData,
    CallbackRefused,
    PaymentOpened,
    PaymentState,
    ProviderRecord,
    ProviderRefused,
    ProviderUnavailable,
    RefundDone,
    payment_providers,
)
from tongban.sandbox.payment_gateway import SIGNATURE_HEADER, sign

#: A fake bank: refused in production (tongban.core.plugins.plugins_load).
DEVELOPMENT_ONLY = True
#: Seconds to wait for the gateway.
TIMEOUT = 5.0
CALLBACK_FIELDS = ("order_no", "trade_no", "amount", "status", "nonce", "timestamp")


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


@payment_providers.register("sandbox")
class SandboxProvider:
    name = "sandbox"

    def __init__(self, *, base_url: str | None = None, secret: str | None = None) -> None:
        self.base_url = (base_url or settings.PAYMENT_SANDBOX_URL).rstrip("/")
        self.secret = secret if secret is not None else settings.PAYMENT_SANDBOX_SECRET

    # --- transport -----------------------------------------------------------------------

    def _call(self, method: str, target: str, data: dict[str, Any] | None = None) -> Any:
        if not self.secret:
            raise ProviderUnavailable("PAYMENT_SANDBOX_SECRET is not set")
        body = json.dumps(data, ensure_ascii=False).encode("utf-8") if data is not None else None
        signed = body if body is not None else target.encode("utf-8")
        # The URL is settings.PAYMENT_SANDBOX_URL (http/https), never user input.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + target,
            data=body,
            method=method,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self.secret, signed),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            if 400 <= exc.code < 500 and exc.code != 401:
                raise ProviderRefused(f"sandbox said {exc.code}: {detail}") from exc
            raise ProviderUnavailable(f"sandbox said {exc.code}: {detail}") from exc
        except (OSError, ValueError) as exc:
            raise ProviderUnavailable(f"sandbox unreachable: {exc}") from exc

    # --- the interface -------------------------------------------------------------------

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
        answer = self._call(
            "POST",
            "/orders",
            {
                "order_no": order_no,
                "amount": str(amount),
                "currency": currency,
                "description": description,
                "notify_url": notify_url,
                "return_url": return_url,
            },
        )
        try:
            return PaymentOpened(trade_ref=str(answer["trade_ref"]), pay_url=str(answer["pay_url"]))
        except (KeyError, TypeError) as exc:
            raise ProviderUnavailable("sandbox answered without trade_ref/pay_url") from exc

    def query(self, *, trade_ref: str) -> PaymentState:
        answer = self._call("GET", f"/orders/{trade_ref}")
        try:
            return PaymentState(
                status=str(answer["status"]),
                paid_amount=Decimal(str(answer["paid_amount"])),
                trade_no=str(answer.get("trade_no") or ""),
                refunded_amount=Decimal(str(answer.get("refunded") or "0")),
            )
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise ProviderUnavailable("sandbox answered an unreadable trade") from exc

    def refund(self, *, trade_ref: str, refund_no: str, amount: Decimal, reason: str) -> RefundDone:
        answer = self._call(
            "POST",
            "/refunds",
            {
                "trade_ref": trade_ref,
                "refund_no": refund_no,
                "amount": str(amount),
                "reason": reason,
            },
        )
        try:
            return RefundDone(refund_no=str(answer["refund_no"]), amount=Decimal(answer["amount"]))
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise ProviderUnavailable("sandbox answered an unreadable refund") from exc

    def records(self, *, day: dt.date) -> list[ProviderRecord]:
        answer = self._call("GET", f"/records?day={day.isoformat()}")
        try:
            return [
                ProviderRecord(
                    order_no=str(row["order_no"]),
                    trade_no=str(row["trade_no"]),
                    amount=Decimal(str(row["amount"])),
                    status=str(row["status"]),
                    paid_at=dt.datetime.fromisoformat(row["paid_at"]) if row["paid_at"] else None,
                )
                for row in answer["records"]
            ]
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise ProviderUnavailable("sandbox answered unreadable records") from exc

    def verify_callback(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackData:
        if not self.secret:
            # Without a secret nothing can be verified, so nothing is believed.
            raise CallbackRefused("未配置签名密钥")
        given = _header(headers, SIGNATURE_HEADER)
        # compare_digest: the time taken must not tell a forger how much of a guess was right.
        if not given or not hmac.compare_digest(given.encode(), sign(self.secret, body).encode()):
            raise CallbackRefused("签名无效")
        try:
            data = json.loads(body)
        except ValueError:
            raise CallbackRefused("通知不是有效的 JSON", signature_valid=True) from None
        if not isinstance(data, dict) or any(data.get(k) in (None, "") for k in CALLBACK_FIELDS):
            raise CallbackRefused("通知缺少必需字段", signature_valid=True)
        try:
            amount = Decimal(str(data["amount"]))
            timestamp = dt.datetime.fromtimestamp(int(data["timestamp"]), tz=dt.UTC)
        except (InvalidOperation, ValueError, TypeError, OverflowError, OSError):
            raise CallbackRefused("通知的金额或时间格式错误", signature_valid=True) from None
        if not amount.is_finite():
            raise CallbackRefused("通知的金额或时间格式错误", signature_valid=True)
        return CallbackData(
            order_no=str(data["order_no"]),
            trade_no=str(data["trade_no"]),
            amount=amount,
            status=str(data["status"]),
            nonce=str(data["nonce"]),
            timestamp=timestamp,
            currency=str(data.get("currency") or "CNY"),
            fail_code=str(data.get("fail_code") or "")[:40],
        )
