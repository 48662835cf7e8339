"""Payments (缴费): orders for a case's fee, provider callbacks, refunds and reconciliation.

A callback is money moving at a bank, so every one is stored (PaymentCallback) with
what was made of it, and a paid order changes state exactly once: the order row is
locked while a callback is checked, so a duplicate or concurrent notice of the same
trade finds it paid already and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import localized
from tongban.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidStateChange,
    PermissionDenied,
    ValidationFailed,
)
from tongban.core.prepared import Param, Prepared, PreparedRows
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.payments.choices import CallbackOutcome, PaymentStatus
from tongban.payments.hooks import OrderFailed, OrderPaid, order_failed, order_paid
from tongban.payments.models import PaymentCallback, PaymentOrder, PaymentRefund
from tongban.payments.providers import (
    CallbackData,
    CallbackRefused,
    PaymentProvider,
    ProviderRecord,
    ProviderRefused,
    ProviderUnavailable,
    payment_provider,
    provider_get,
)

if TYPE_CHECKING:
    from tongban.cases.models import Case

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CURRENCY = "CNY"
#: Orders that still wait for money: at most one per case.
OPEN_STATUSES = (PaymentStatus.PENDING,)


class PaymentProviderUnavailable(DomainError):
    """The payment provider cannot be reached now; nothing was charged."""

    status = 503
    type_slug = "payment-provider-unavailable"
    default_title = "支付渠道暂不可用"


@dataclass(frozen=True)
class AmountMismatch:
    order_no: str
    local_amount: Decimal
    provider_amount: Decimal


@dataclass
class ReconciliationReport:
    """对账: one day's local paid orders against the provider's records."""

    day: dt.date
    provider: str
    matched: list[str] = field(default_factory=list)
    #: Paid at the provider but not paid here (a lost callback): refresh or refund.
    missing_locally: list[ProviderRecord] = field(default_factory=list)
    #: Paid here but unknown to the provider: never trust these without checking.
    missing_at_provider: list[str] = field(default_factory=list)
    amount_mismatches: list[AmountMismatch] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not (self.missing_locally or self.missing_at_provider or self.amount_mismatches)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "provider": self.provider,
            "balanced": self.balanced,
            "matched": list(self.matched),
            "missing_locally": [
                {"order_no": r.order_no, "trade_no": r.trade_no, "amount": str(r.amount)}
                for r in self.missing_locally
            ],
            "missing_at_provider": list(self.missing_at_provider),
            "amount_mismatches": [
                {
                    "order_no": m.order_no,
                    "local_amount": str(m.local_amount),
                    "provider_amount": str(m.provider_amount),
                }
                for m in self.amount_mismatches
            ],
        }


# --- helpers ---------------------------------------------------------------------------------


def _unavailable(exc: Exception) -> PaymentProviderUnavailable:
    logger.warning("payment provider unavailable: %s", exc)
    return PaymentProviderUnavailable(_("支付渠道暂不可用，请稍后再试"))


def _order_no(now: dt.datetime) -> str:
    # JF = 缴费; the date helps a clerk read it, the random part keeps it unguessable.
    return f"JF{now.astimezone(SHANGHAI):%Y%m%d}{secrets.token_hex(4).upper()}"


def _notify_url(provider: PaymentProvider) -> str:
    return f"{settings.SITE_URL}/api/v1/payments/callback/{provider.name}"


def _return_url(case_id: int) -> str:
    return settings.SITE_URL + reverse("portal:my_case", args=[case_id])


def _order_open_at_provider(order: PaymentOrder, provider: PaymentProvider) -> None:
    opened = provider.create(
        order_no=order.order_no,
        amount=order.amount,
        currency=order.currency,
        description=order.description,
        notify_url=_notify_url(provider),
        return_url=_return_url(order.case_id),
    )
    order.provider_ref = opened.trade_ref
    order.pay_url = opened.pay_url
    order.save(update_fields=["provider_ref", "pay_url", "updated_at"])


# --- orders ----------------------------------------------------------------------------------


def payment_order_existing(*, case: Case) -> PaymentOrder | None:
    """The case's open, paid or refunded order, if it has one (a failed one does not count)."""
    return _ORDER_EXISTING.first(case=case.pk)


# Every payment order and every callback reads these: compiled once (core/prepared.py).
_ORDER_EXISTING: Prepared[PaymentOrder] = Prepared(
    lambda: PaymentOrder.objects.filter(
        case_id=Param("case", PaymentOrder._meta.get_field("case").target_field),
        status__in=(*OPEN_STATUSES, PaymentStatus.PAID, PaymentStatus.REFUNDED),
    ).order_by("-created_at", "-id")[:1]
)
_ORDER_LOCKED_BY_NO: Prepared[PaymentOrder] = Prepared(
    lambda: (
        PaymentOrder.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(order_no=Param("order_no", PaymentOrder._meta.get_field("order_no")))
        .order_by("pk")[:1]
    )
)
_NONCE_USED = PreparedRows(
    lambda: PaymentCallback.objects.filter(
        provider=Param("provider", PaymentCallback._meta.get_field("provider")),
        nonce=Param("nonce", PaymentCallback._meta.get_field("nonce")),
    ).values_list("pk")[:1]
)


@transaction.atomic
def payment_order_create(
    *,
    case: Case,
    amount: Decimal,
    now: dt.datetime | None = None,
    before_create: Callable[[], None] | None = None,
) -> PaymentOrder:
    """The case's open (or paid) order, created and opened at the provider when there is none.

    The caller (``cases``) holds the case's row lock, which makes "one open order per
    case" hold for concurrent requests; ``before_create`` is its rule for a new order
    (whether the case may pay now), called only when there is none yet.
    When the provider cannot be reached the order is still created (so an acceptance
    never fails because a bank is down) with an empty ``pay_url``; calling again opens
    it at the provider.
    """
    if amount <= 0:
        raise Conflict(_("该事项不收费，无需缴费"))
    now = now or timezone.now()
    existing = payment_order_existing(case=case)
    if existing is not None and _order_expire_if_due(existing, now=now):
        # Unpaid past its time (the provider says so): it failed as expired; a new one follows.
        existing = None
    if existing is None and before_create is not None:
        # The caller's rule for a new order (may the case pay now?); it raises to refuse.
        before_create()
    provider = payment_provider()
    if existing is not None:
        if existing.status in OPEN_STATUSES and not existing.pay_url:
            try:
                _order_open_at_provider(existing, provider_get(existing.provider) or provider)
            except (ProviderUnavailable, ProviderRefused) as exc:
                logger.warning("order %s not opened at the provider: %s", existing.order_no, exc)
        return existing
    name = localized(case.matter, "name") if case.matter_id else _("办件")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                order = PaymentOrder.objects.create(
                    order_no=_order_no(now),
                    case=case,
                    amount=amount,
                    currency=CURRENCY,
                    description=f"{name}（{case.case_no or case.pk}）"[:200],
                    provider=provider.name,
                )
            break
        except IntegrityError:  # the random part of order_no collided: draw again
            continue
    else:
        raise Conflict(_("缴款单号生成失败，请重试"))
    # Paying again: the failed orders are replaced, and a late payment of one is refused.
    PaymentOrder.objects.filter(
        case=case, status=PaymentStatus.FAILED, replaced_by__isnull=True
    ).exclude(pk=order.pk).update(replaced_by=order, updated_at=now)
    try:
        _order_open_at_provider(order, provider)
    except (ProviderUnavailable, ProviderRefused) as exc:
        logger.warning("order %s not opened at the provider: %s", order.order_no, exc)
    return order


def _order_paid(order: PaymentOrder, *, trade_no: str, now: dt.datetime) -> None:
    order.status = PaymentStatus.PAID
    order.paid_at = now
    order.provider_trade_no = trade_no
    order.save(update_fields=["status", "paid_at", "provider_trade_no", "updated_at"])
    order_paid.send(OrderPaid(order=order, at=now))


# --- callbacks -------------------------------------------------------------------------------


def _callback_store(
    *,
    provider: str,
    body: bytes,
    outcome: str,
    reason: str = "",
    signature_valid: bool,
    order: PaymentOrder | None = None,
    data: CallbackData | None = None,
) -> PaymentCallback:
    if outcome == CallbackOutcome.REFUSED:
        logger.warning("payment callback refused (%s): %s", provider, reason)
    return PaymentCallback.objects.create(
        order=order,
        provider=provider[:40],
        body=body.decode("utf-8", "replace")[:20000],
        signature_valid=signature_valid,
        nonce=data.nonce[:80] if data else "",
        trade_no=data.trade_no[:80] if data else "",
        outcome=outcome,
        reason=reason[:300],
    )


def _callback_decide(
    order: PaymentOrder, data: CallbackData, provider: str, now: dt.datetime
) -> tuple[str, str]:
    """(outcome, reason) of a signed, fresh callback for ``order`` (locked); applies it."""
    if order.provider != provider:
        return CallbackOutcome.REFUSED, "缴款单不属于该支付渠道"
    if data.currency != order.currency:
        return CallbackOutcome.REFUSED, f"币种不符：通知 {data.currency}，应为 {order.currency}"
    if data.amount != order.amount:
        return (
            CallbackOutcome.REFUSED,
            f"金额不符：通知 {data.amount} 元，应缴 {order.amount} 元",
        )
    if order.replaced_by_id is not None:
        if data.status == "paid":
            # Money taken for an order the applicant paid again: the bank must give it back.
            logger.error(
                "order %s was replaced by a new order but trade %s paid it: refund it",
                order.order_no,
                data.trade_no,
            )
        return CallbackOutcome.REFUSED, "缴款单已被新的缴款单取代，不再收款"
    if data.status == "paid":
        if order.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
            if order.provider_trade_no == data.trade_no:
                return CallbackOutcome.DUPLICATE, "该交易已入账，未重复处理"
            logger.error(
                "order %s paid twice: trade %s after %s",
                order.order_no,
                data.trade_no,
                order.provider_trade_no,
            )
            return CallbackOutcome.REFUSED, "缴款单已由另一笔交易支付，需核实退款"
        if order.status == PaymentStatus.CANCELLED:
            return CallbackOutcome.REFUSED, "缴款单已取消"
        # pending, or failed earlier and then paid after all: the money arrived.
        _order_paid(order, trade_no=data.trade_no, now=now)
        return CallbackOutcome.ACCEPTED, ""
    if data.status == "failed":
        if order.status == PaymentStatus.FAILED and order.provider_trade_no == data.trade_no:
            return CallbackOutcome.DUPLICATE, "该失败通知已处理"
        if order.status != PaymentStatus.PENDING:
            return CallbackOutcome.REFUSED, "缴款单已不在待缴费状态，不接受失败通知"
        order.status = PaymentStatus.FAILED
        order.provider_trade_no = data.trade_no
        order.failure_code = data.fail_code
        order.save(update_fields=["status", "provider_trade_no", "failure_code", "updated_at"])
        order_failed.send(OrderFailed(order=order, at=now))
        return CallbackOutcome.ACCEPTED, f"支付失败：{data.fail_code or '未说明原因'}"
    return CallbackOutcome.REFUSED, f"未知的支付状态：{data.status}"[:300]


@transaction.atomic
def payment_callback_handle(
    *, provider: str, body: bytes, headers: dict[str, str]
) -> PaymentCallback:
    """Check and apply one provider callback; it is stored whatever its outcome.

    accepted: the order moved (paid → the case continues); duplicate: a notice of a
    trade already applied, nothing changed; refused: forged, replayed, stale, for an
    unknown order or with the wrong amount or currency — logged, nothing changed.
    """
    store: dict[str, Any] = {"provider": provider, "body": body}
    impl = provider_get(provider)
    if impl is None:
        return _callback_store(
            **store, outcome=CallbackOutcome.REFUSED, reason="未知支付渠道", signature_valid=False
        )
    try:
        data = impl.verify_callback(body=body, headers=headers)
    except CallbackRefused as exc:
        return _callback_store(
            **store,
            outcome=CallbackOutcome.REFUSED,
            reason=exc.reason,
            signature_valid=exc.signature_valid,
        )
    store.update(signature_valid=True, data=data)
    # Lock the order first: a concurrent copy of this callback waits here, then sees it.
    order = _ORDER_LOCKED_BY_NO.first(order_no=data.order_no)
    store["order"] = order
    if order is None:
        return _callback_store(**store, outcome=CallbackOutcome.REFUSED, reason="缴款单不存在")
    if _NONCE_USED.all(provider=provider, nonce=data.nonce):
        return _callback_store(
            **store, outcome=CallbackOutcome.REFUSED, reason="重放的通知：随机数已使用过"
        )
    now = timezone.now()
    max_age = dt.timedelta(seconds=settings.PAYMENT_CALLBACK_MAX_AGE_SECONDS)
    if data.timestamp < now - max_age or data.timestamp > now + max_age:
        return _callback_store(
            **store, outcome=CallbackOutcome.REFUSED, reason="通知时间超出有效期，疑似重放"
        )
    outcome, reason = _callback_decide(order, data, provider, now)
    return _callback_store(**store, outcome=outcome, reason=reason)


# --- status, refunds, reconciliation ---------------------------------------------------------


@transaction.atomic
def payment_status_refresh(*, order: PaymentOrder) -> PaymentOrder:
    """Ask the provider about an order (a lost callback): a payment found there is applied."""
    order = (
        PaymentOrder.objects.select_for_update(of=("self",)).select_related("case").get(pk=order.pk)
    )
    if order.status != PaymentStatus.PENDING or not order.provider_ref:
        return order
    impl = provider_get(order.provider)
    if impl is None:
        raise _unavailable(RuntimeError(f"unknown provider {order.provider}"))
    try:
        state = impl.query(trade_ref=order.provider_ref)
    except (ProviderUnavailable, ProviderRefused) as exc:
        raise _unavailable(exc) from exc
    if state.status in ("paid", "refunded"):
        if state.paid_amount != order.amount:
            logger.error(
                "order %s: provider reports %s paid, %s due",
                order.order_no,
                state.paid_amount,
                order.amount,
            )
            return order
        _order_paid(order, trade_no=state.trade_no, now=timezone.now())
    elif state.status == "failed":
        order.status = PaymentStatus.FAILED
        order.provider_trade_no = state.trade_no
        order.save(update_fields=["status", "provider_trade_no", "updated_at"])
        order_failed.send(OrderFailed(order=order, at=timezone.now()))
    return order


# --- expiry and lost callbacks ---------------------------------------------------------------

#: The gateway code an expired order fails with (``choices.FAILURE_REASONS``: 支付超时未完成).
EXPIRED = "EXPIRED"


def _order_due(order: PaymentOrder, now: dt.datetime) -> bool:
    ttl = dt.timedelta(minutes=settings.PAYMENT_ORDER_TTL_MINUTES)
    return order.status == PaymentStatus.PENDING and order.created_at <= now - ttl


def _provider_view(order: PaymentOrder) -> PaymentOrder | None:
    """``order`` after asking its provider (a payment found there is applied), or None when the
    provider cannot be asked. A provider that answers but refuses the look-up (it has no such
    trade) holds no payment of it: the order is returned as it is."""
    if not order.provider_ref:
        return order  # never opened at the provider: nobody can have paid it
    try:
        return payment_status_refresh(order=order)
    except PaymentProviderUnavailable as exc:
        if isinstance(exc.__cause__, ProviderRefused):
            return order
        return None


def _order_expire_if_due(order: PaymentOrder, *, now: dt.datetime) -> bool:
    """Expire ``order`` if it is pending past its time and the provider has no payment for it.

    The provider is asked first (a lost callback is applied, never expired over): an order it
    cannot be asked about stays pending until it can. Returns whether the order expired.
    """
    if not _order_due(order, now):
        return False
    seen = _provider_view(order)
    return seen is not None and payment_order_expire(order=seen, now=now)


@transaction.atomic
def payment_order_expire(*, order: PaymentOrder, now: dt.datetime | None = None) -> bool:
    """Mark a pending order past its time as failed (支付超时未完成); the case is told.

    The payer pays again with a new order, which replaces this one: a payment of this one
    arriving later is then refused and flagged for refund (``_callback_decide``).
    """
    now = now or timezone.now()
    order = (
        PaymentOrder.objects.select_for_update(of=("self",)).select_related("case").get(pk=order.pk)
    )
    if not _order_due(order, now):
        return False
    order.status = PaymentStatus.FAILED
    order.failure_code = EXPIRED
    order.save(update_fields=["status", "failure_code", "updated_at"])
    order_failed.send(OrderFailed(order=order, at=now))
    return True


@dataclass
class SweepReport:
    checked: int = 0
    paid: int = 0
    expired: int = 0
    unavailable: int = 0


def payment_orders_sweep(*, now: dt.datetime | None = None, batch: int = 100) -> SweepReport:
    """The periodic repair of pending orders (``payments-sweep``): each pending order older
    than ``PAYMENT_REFRESH_AFTER_SECONDS`` is looked up at its provider (a callback lost while
    no web process ran is applied), and one past ``PAYMENT_ORDER_TTL_MINUTES`` expires.
    Oldest first, ``batch`` at most per run; running it twice changes nothing the second time.
    """
    now = now or timezone.now()
    report = SweepReport()
    quiet = now - dt.timedelta(seconds=settings.PAYMENT_REFRESH_AFTER_SECONDS)
    # Least recently looked at first: an order whose provider cannot answer goes to the back
    # of the line (its updated_at is touched), so it never holds up the others.
    for order in PaymentOrder.objects.filter(
        status=PaymentStatus.PENDING, created_at__lte=quiet
    ).order_by("updated_at", "id")[:batch]:
        report.checked += 1
        seen = _provider_view(order)
        if seen is None:
            report.unavailable += 1
            PaymentOrder.objects.filter(pk=order.pk).update(updated_at=now)
            continue
        if seen.status == PaymentStatus.PAID:
            report.paid += 1
        elif payment_order_expire(order=seen, now=now):
            report.expired += 1
        else:
            PaymentOrder.objects.filter(pk=order.pk, status=PaymentStatus.PENDING).update(
                updated_at=now
            )
    return report


def payment_orders_sweep_periodic() -> dict[str, int]:
    """The periodic job ``payments-sweep`` (registered in PaymentsConfig.ready)."""
    report = payment_orders_sweep()
    return {
        "checked": report.checked,
        "paid": report.paid,
        "expired": report.expired,
        "unavailable": report.unavailable,
    }


def _may_refund(actor: User, order: PaymentOrder) -> bool:
    staff = identity_selectors.user_staff(user=actor)
    if staff is None:
        return False
    roles = identity_selectors.user_roles(user=actor)
    if StaffRole.CENTER_ADMIN in roles:
        return True
    return StaffRole.APPROVER in roles and staff.department_id == order.case.department_id


@transaction.atomic
def payment_refund(
    *, actor: User, order: PaymentOrder, amount: Decimal, reason: str
) -> PaymentOrder:
    """Refund (part of) a paid order: center admin, or an approver of the case's department."""
    order = (
        PaymentOrder.objects.select_for_update(of=("self",)).select_related("case").get(pk=order.pk)
    )
    if not _may_refund(actor, order):
        raise PermissionDenied(_("只有中心管理员或承办部门的审批人员可以退款"))
    if order.status != PaymentStatus.PAID:
        raise InvalidStateChange(
            _("缴款单当前状态为“%(status)s”，不能退款")
            % {"status": PaymentStatus(order.status).label}
        )
    reason = (reason or "").strip()
    errors = []
    refundable = order.amount - order.refunded_amount
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        errors.append(FieldError(field="amount", message=_("退款金额必须大于 0")))
    elif amount != amount.quantize(Decimal("0.01")):
        errors.append(FieldError(field="amount", message=_("退款金额最多两位小数")))
    elif amount > refundable:
        errors.append(
            FieldError(
                field="amount",
                message=_("退款金额不能超过可退金额 %(left)s 元") % {"left": refundable},
            )
        )
    if not reason:
        errors.append(FieldError(field="reason", message=_("请填写退款原因")))
    if errors:
        raise ValidationFailed(_("退款申请有误"), errors=errors)
    impl = provider_get(order.provider)
    if impl is None:
        raise _unavailable(RuntimeError(f"unknown provider {order.provider}"))
    refund_no = f"TK{order.order_no[2:]}{order.refunds.count() + 1:02d}"
    try:
        done = impl.refund(
            trade_ref=order.provider_ref, refund_no=refund_no, amount=amount, reason=reason
        )
    except ProviderRefused as exc:
        raise Conflict(_("支付渠道拒绝了退款：%(detail)s") % {"detail": exc}) from exc
    except ProviderUnavailable as exc:
        raise _unavailable(exc) from exc
    PaymentRefund.objects.create(
        order=order,
        refund_no=refund_no,
        amount=amount,
        reason=reason[:300],
        actor=actor,
        provider_refund_no=done.refund_no,
    )
    order.refunded_amount += amount
    if order.refunded_amount == order.amount:
        order.status = PaymentStatus.REFUNDED
    order.save(update_fields=["refunded_amount", "status", "updated_at"])
    return order


def payment_reconcile(*, day: dt.date, provider: str | None = None) -> ReconciliationReport:
    """对账: compare the orders paid on ``day`` (Asia/Shanghai) with the provider's records."""
    impl = provider_get(provider) if provider else payment_provider()
    if impl is None:
        raise ValidationFailed(
            _("未知支付渠道"), errors=[FieldError(field="provider", message=_("未知支付渠道"))]
        )
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    local = {
        o.order_no: o
        for o in PaymentOrder.objects.filter(
            provider=impl.name,
            paid_at__gte=start,
            paid_at__lt=start + dt.timedelta(days=1),
            status__in=(PaymentStatus.PAID, PaymentStatus.REFUNDED),
        )
    }
    try:
        records = impl.records(day=day)
    except (ProviderUnavailable, ProviderRefused) as exc:
        raise _unavailable(exc) from exc
    report = ReconciliationReport(day=day, provider=impl.name)
    seen: set[str] = set()
    for record in records:
        order = local.get(record.order_no)
        if order is None:
            report.missing_locally.append(record)
            continue
        seen.add(record.order_no)
        if order.amount != record.amount:
            report.amount_mismatches.append(
                AmountMismatch(
                    order_no=order.order_no,
                    local_amount=order.amount,
                    provider_amount=record.amount,
                )
            )
        else:
            report.matched.append(order.order_no)
    report.missing_at_provider = sorted(set(local) - seen)
    report.matched.sort()
    return report
