from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.counter.choices import GuidanceKind, GuidanceStatus


class GuidanceRequest(TimeStampedModel):
    """批前指导 / 预审: asked of the department before applying; the answer carries over."""

    kind = models.CharField(_("类型"), max_length=16, choices=GuidanceKind.choices)
    matter = models.ForeignKey("catalog.Matter", on_delete=models.PROTECT, related_name="+")
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guidance_requests"
    )
    applicant_enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The project as described, and the draft form data reviewed.
    description = models.TextField(_("项目情况"))
    draft_form = models.JSONField(_("申请表草稿"), default=dict, blank=True)
    #: 预约时间 for a pre-review appointment.
    appointment_at = models.DateTimeField(_("预约时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=GuidanceStatus.choices, default=GuidanceStatus.REQUESTED
    )
    answer = models.TextField(_("指导意见"), blank=True)
    #: Items the department already checked, so the later review starts from them.
    checked_items = models.JSONField(_("已预审内容"), default=list, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("批前指导")
        verbose_name_plural = _("批前指导")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.matter_id}"
