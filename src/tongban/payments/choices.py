from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待缴费")
    PAID = "paid", _("已缴费")
    FAILED = "failed", _("缴费失败")
    CANCELLED = "cancelled", _("已取消")
    REFUNDED = "refunded", _("已退款")


class CallbackOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("已受理")
    DUPLICATE = "duplicate", _("重复通知")
    REFUSED = "refused", _("已拒绝")


#: The gateways' reasons for a failed payment, in plain words for the payer.
FAILURE_REASONS = {
    "BALANCE_NOT_ENOUGH": _("账户余额不足"),
    "CARD_LIMIT": _("超出银行卡支付限额"),
    "USER_CANCELLED": _("您取消了支付"),
    "EXPIRED": _("支付超时未完成"),
    "RISK_REJECTED": _("银行风控拒绝了这笔支付"),
}
FAILURE_REASON_UNKNOWN = _("支付渠道未说明原因")


def failure_reason(code: str) -> str:
    """The payer's words for a gateway's failure code (an unknown code says so)."""
    return str(FAILURE_REASONS.get(code, FAILURE_REASON_UNKNOWN))
