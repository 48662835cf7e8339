from django.db import models
from django.utils.translation import gettext_lazy as _


class GuidanceKind(models.TextChoices):
    #: 批前指导: the department reviews a draft before the formal application.
    PRE_APPROVAL = "pre_approval", _("批前指导")
    #: 预约通道: a pre-review appointment before the application.
    PRE_REVIEW = "pre_review", _("预审预约")


class GuidanceStatus(models.TextChoices):
    REQUESTED = "requested", _("待答复")
    ANSWERED = "answered", _("已答复")
    USED = "used", _("已用于申请")
    CANCELLED = "cancelled", _("已取消")
