from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.payments.choices import CallbackOutcome, PaymentStatus


class PaymentOrder(TimeStampedModel):
    """A fee to pay for a case (非税收入缴款), handled by a pluggable provider."""

    order_no = models.CharField(_("缴款单号"), max_length=40, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="payments")
    #: Amount in yuan, from the matter version's fee.
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)
    #: ISO 4217; fees of Chinese authorities are in renminbi.
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    description = models.CharField(_("缴费项目"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    provider = models.CharField(_("支付渠道"), max_length=40)
    #: The provider's reference of the payment it opened (before anything is paid).
    provider_ref = models.CharField(_("渠道订单号"), max_length=80, blank=True)
    #: The provider's transaction number, once paid.
    provider_trade_no = models.CharField(_("交易流水号"), max_length=80, blank=True)
    pay_url = models.URLField(_("支付地址"), max_length=500, blank=True)
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    refunded_amount = models.DecimalField(
        _("已退款（元）"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    #: The gateway's code of why a payment failed (see ``payments.choices.FAILURE_REASONS``).
    failure_code = models.CharField(_("失败原因代码"), max_length=40, blank=True)
    #: The order that replaced this failed one (缴费重试): this one is never charged again.
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("取代它的缴款单"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("缴款单")
        verbose_name_plural = _("缴款单")
        indexes = [models.Index(fields=["status", "paid_at"])]

    def __str__(self) -> str:
        return self.order_no


class PaymentCallback(models.Model):
    """Every callback received, kept whatever its fate (forged, replayed, wrong amount …)."""

    order = models.ForeignKey(
        PaymentOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="callbacks"
    )
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    provider = models.CharField(_("支付渠道"), max_length=40)
    body = models.TextField(_("原文"))
    signature_valid = models.BooleanField(_("签名有效"))
    #: The provider's one-time value of this notice: seen twice means a replay.
    nonce = models.CharField(_("随机数"), max_length=80, blank=True, db_index=True)
    trade_no = models.CharField(_("交易流水号"), max_length=80, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=12, choices=CallbackOutcome.choices)
    reason = models.CharField(_("原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("支付回调")
        verbose_name_plural = _("支付回调")

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome}"


class PaymentRefund(models.Model):
    """One refund of (part of) a paid order, with who decided it and why."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="refunds")
    refund_no = models.CharField(_("退款单号"), max_length=40, unique=True)
    amount = models.DecimalField(_("退款金额（元）"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("退款原因"), max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    provider_refund_no = models.CharField(_("渠道退款号"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("退款时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("退款")
        verbose_name_plural = _("退款")

    def __str__(self) -> str:
        return self.refund_no
