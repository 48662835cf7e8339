"""好差评: ratings of a case's stages, invitations to rate, window rating requests and appeals.

Attribution: a rating belongs to the department and matter of the case it rates.  A theme
(一件事) is rated once as a whole, on the theme's parent case: the applicant dealt with one
window and one form, so the lead department — the department the parent case is assigned
to, which answers for the theme (``cases.services.themes``) — receives the rating, follows
up a bad one and carries it in its scores; the rating names the theme, not a matter.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.evaluation.choices import (
    AppealKind,
    AppealState,
    RatingChannel,
    Score,
    Stage,
)


class Evaluation(TimeStampedModel):
    """One rating of one stage of a case by its applicant (一事一评)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluations")
    stage = models.CharField(_("评价环节"), max_length=12, choices=Stage.choices)
    score = models.PositiveSmallIntegerField(_("评分"), choices=Score.choices)
    #: {"efficiency": 1..5, "attitude": 1..5, "convenience": 1..5}, each optional.
    dimensions = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.TextField(_("评价意见"), blank=True)
    channel = models.CharField(_("评价渠道"), max_length=8, choices=RatingChannel.choices)
    #: The applicant's account (the person, or the enterprise's agent) — never a clerk.
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations"
    )
    rated_at = models.DateTimeField(_("评价时间"))
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="evaluations"
    )
    matter = models.ForeignKey(
        "catalog.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
    )
    theme = models.ForeignKey(
        "catalog.Theme", on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations"
    )
    #: The clerk who handed the counter device to the applicant (channel ``window``).
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    #: 差评回访整改: the supervisor's follow-up task of a bad rating.
    follow_up_task = models.OneToOneField(
        "cases.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluation",
    )
    #: Last day of the follow-up (5 working days after the rating), Asia/Shanghai.
    follow_up_due_date = models.DateField(_("整改答复期限"), null=True, blank=True)
    verified = models.BooleanField(_("核实属实"), null=True, blank=True)
    rectification = models.TextField(_("整改情况"), blank=True)
    answer = models.TextField(_("答复申请人"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    #: 申诉复核成立: the rating stays on record but no longer counts in any score.
    excluded_at = models.DateTimeField(_("不计入评价时间"), null=True, blank=True)

    class Meta:
        ordering = ["-rated_at", "-id"]
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(fields=["case", "stage"], name="evaluation_once_per_stage")
        ]
        indexes = [models.Index(fields=["department", "rated_at"])]

    def __str__(self) -> str:
        return f"{self.case} {self.stage} {self.score}"

    @property
    def is_bad(self) -> bool:
        return self.score <= 2


class Invitation(models.Model):
    """The applicant was invited to rate a stage of a case (once per case and stage)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="evaluation_invitations"
    )
    stage = models.CharField(_("评价环节"), max_length=12, choices=Stage.choices)
    #: When the stage happened (the timeline entry's time).
    invited_at = models.DateTimeField(_("邀请时间"))

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        constraints = [
            models.UniqueConstraint(fields=["case", "stage"], name="invitation_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.stage}"


class RatingRequest(models.Model):
    """评价器: a short-lived, single-use link a window clerk opens for the counter device."""

    token = models.CharField(max_length=43, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(_("评价环节"), max_length=12, choices=Stage.choices)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("发起时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("窗口评价请求")
        verbose_name_plural = _("窗口评价请求")

    def __str__(self) -> str:
        return f"{self.case} {self.stage} {self.opened_at:%Y-%m-%d %H:%M}"


class Appeal(TimeStampedModel):
    """申诉复核: the department asks the center admin to set a bad rating aside."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, related_name="appeal")
    kind = models.CharField(_("申诉类型"), max_length=10, choices=AppealKind.choices)
    reason = models.TextField(_("申诉理由"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("申诉时间"))
    state = models.CharField(
        _("状态"), max_length=10, choices=AppealState.choices, default=AppealState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decision_comment = models.TextField(_("复核意见"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("差评申诉")
        verbose_name_plural = _("差评申诉")

    def __str__(self) -> str:
        return f"{self.evaluation} {self.state}"
