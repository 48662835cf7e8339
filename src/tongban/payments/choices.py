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
