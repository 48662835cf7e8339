from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.delivery.choices import DeliveryStatus


class DeliveryOrder(TimeStampedModel):
    """递送: the paper licence sent to the applicant by a carrier."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="delivery")
    recipient = models.CharField(_("收件人"), max_length=50)
    #: Mainland mobile number (1[3-9]xxxxxxxxx).
    phone = models.CharField(_("手机号"), max_length=20)
    province = models.CharField(_("省"), max_length=30)
    city = models.CharField(_("市"), max_length=30)
    district = models.CharField(_("区县"), max_length=30)
    address = models.CharField(_("详细地址"), max_length=200)
    carrier = models.CharField(_("承运商"), max_length=40)
    tracking_no = models.CharField(_("运单号"), max_length=60, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.CREATED
    )
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    #: When the current parcel was booked with the carrier (a re-shipment books anew).
    shipped_at = models.DateTimeField(_("寄出时间"), null=True, blank=True)
    #: 1 for the first parcel; each re-shipment after a failed delivery adds one.
    attempts = models.PositiveSmallIntegerField(_("寄送次数"), default=1)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("递送单")
        verbose_name_plural = _("递送单")

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_no}"


class DeliveryEvent(models.Model):
    order = models.ForeignKey(DeliveryOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    status = models.CharField(_("状态"), max_length=12, choices=DeliveryStatus.choices)
    location = models.CharField(_("地点"), max_length=100, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("递送轨迹")
        verbose_name_plural = _("递送轨迹")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.status}"
