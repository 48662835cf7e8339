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


class WindowKind(models.TextChoices):
    #: 综合窗口: accepts every matter of its section (前台综合受理).
    COMPREHENSIVE = "comprehensive", _("综合受理窗口")
    #: 统一出件窗口: hands out every result.
    OUTPUT = "output", _("统一出件窗口")
    #: 咨询/帮办窗口.
    ENQUIRY = "enquiry", _("咨询帮办窗口")


class TicketStatus(models.TextChoices):
    """CONTRACT.md: the statuses of a queue ticket."""

    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVING = "serving", _("办理中")
    DONE = "done", _("已办结")
    NO_SHOW = "no_show", _("过号未到")
    TRANSFERRED = "transferred", _("已转移")


class TicketSource(models.TextChoices):
    KIOSK = "kiosk", _("现场取号机")
    PHONE = "phone", _("手机取号")
    APPOINTMENT = "appointment", _("预约签到")
    TRANSFER = "transfer", _("窗口转移")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    #: Arrived and took a ticket with priority.
    CHECKED_IN = "checked_in", _("已签到")
    NO_SHOW = "no_show", _("爽约")
