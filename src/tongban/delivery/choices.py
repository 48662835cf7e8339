from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryMethod(models.TextChoices):
    ELECTRONIC = "electronic", _("仅电子证照")
    PICKUP = "pickup", _("窗口领取")
    POST = "post", _("快递寄送")


class DeliveryStatus(models.TextChoices):
    CREATED = "created", _("待揽收")
    COLLECTED = "collected", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    DELIVERED = "delivered", _("已签收")
    FAILED = "failed", _("投递失败")
