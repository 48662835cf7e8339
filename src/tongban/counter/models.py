from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.counter.choices import (
    AppointmentStatus,
    GuidanceKind,
    GuidanceStatus,
    TicketSource,
    TicketStatus,
    WindowKind,
)


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


class CenterSection(TimeStampedModel):
    """A section (板块) as the service center runs it: its queue letter, hours and appointments.

    Opening hours are in Asia/Shanghai and hold on working days of the calendar only
    (``tongban.workflow.calendar``); a lunch break, when set, closes the section between
    ``break_start`` and ``break_end``.
    """

    section = models.OneToOneField(
        "catalog.Section", on_delete=models.CASCADE, related_name="center", verbose_name=_("板块")
    )
    #: 取号字母: tickets of the section are numbered A001, A002 … per day.
    letter = models.CharField(_("号段字母"), max_length=1, unique=True)
    opens_at = models.TimeField(_("开始办公"), default=time(9, 0))
    closes_at = models.TimeField(_("结束办公"), default=time(17, 0))
    break_start = models.TimeField(_("午休开始"), null=True, blank=True)
    break_end = models.TimeField(_("午休结束"), null=True, blank=True)
    #: Appointment slots: length and how many people one slot takes (per matter rule below).
    slot_minutes = models.PositiveSmallIntegerField(_("预约时段（分钟）"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("每时段可约人数"), default=5)
    #: Service time assumed before any is measured (minutes per ticket and window).
    default_service_minutes = models.PositiveSmallIntegerField(
        _("默认办理时长（分钟）"), default=10
    )
    is_open = models.BooleanField(_("开放取号"), default=True)

    class Meta:
        ordering = ["section__order", "section__code"]
        verbose_name = _("中心板块")
        verbose_name_plural = _("中心板块")

    def __str__(self) -> str:
        return f"{self.letter} {self.section}"


class Window(TimeStampedModel):
    """窗口: a counter of a section; comprehensive windows accept every matter of the section."""

    code = models.SlugField(_("窗口编号"), max_length=20, unique=True)
    section = models.ForeignKey(
        "catalog.Section", on_delete=models.PROTECT, related_name="windows", verbose_name=_("板块")
    )
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    kind = models.CharField(
        _("类型"), max_length=16, choices=WindowKind.choices, default=WindowKind.COMPREHENSIVE
    )
    #: Matters this window takes; empty means every matter of its section.
    matters = models.ManyToManyField(
        "catalog.Matter", blank=True, related_name="windows", verbose_name=_("受理事项")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["section__order", "order", "code"]
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WindowAssignment(TimeStampedModel):
    """排班: a clerk staffs a window on ``date``, or on every working day when ``date`` is empty."""

    window = models.ForeignKey(
        Window, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("窗口")
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="window_assignments",
        verbose_name=_("工作人员"),
    )
    date = models.DateField(_("日期"), null=True, blank=True)

    class Meta:
        ordering = ["window", "date"]
        verbose_name = _("窗口排班")
        verbose_name_plural = _("窗口排班")
        constraints = [
            models.UniqueConstraint(
                fields=["window", "clerk", "date"], name="window_assignment_per_day"
            ),
            models.UniqueConstraint(
                fields=["window", "clerk"],
                condition=models.Q(date__isnull=True),
                name="window_assignment_standing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window_id} {self.clerk_id} {self.date or '*'}"


class NegativeListEntry(TimeStampedModel):
    """不进驻中心负面清单: a matter allowed to stay outside the center, why, and where instead."""

    matter = models.OneToOneField(
        "catalog.Matter",
        on_delete=models.CASCADE,
        related_name="negative_list_entry",
        verbose_name=_("事项"),
    )
    reason = models.TextField(_("不进驻理由"))
    reason_en = models.TextField(_("英文理由"), blank=True)
    handled_at = models.CharField(_("办理地点"), max_length=200)
    handled_at_en = models.CharField(_("英文办理地点"), max_length=200, blank=True)

    class Meta:
        ordering = ["matter__code"]
        verbose_name = _("不进驻中心事项")
        verbose_name_plural = _("不进驻中心负面清单")

    def __str__(self) -> str:
        return str(self.matter)


class Ticket(TimeStampedModel):
    """取号: a place in a section's queue for one day, numbered by the section letter."""

    day = models.DateField(_("日期"))
    section = models.ForeignKey(
        "catalog.Section", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("板块")
    )
    sequence = models.PositiveIntegerField(_("序号"))
    #: ``A012``: the section letter and the sequence of the day.
    number = models.CharField(_("号码"), max_length=8)
    matter = models.ForeignKey(
        "catalog.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("事项"),
    )
    source = models.CharField(
        _("来源"), max_length=12, choices=TicketSource.choices, default=TicketSource.KIOSK
    )
    #: An appointment checked in: called before the others once its slot has begun.
    appointment = models.OneToOneField(
        "counter.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket",
        verbose_name=_("预约"),
    )
    #: Higher first; appointments due now get 1, the rest 0.
    priority = models.SmallIntegerField(_("优先级"), default=0)
    #: Who took the ticket, when signed in (phone, appointment).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("取号人"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    window = models.ForeignKey(
        Window,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("窗口"),
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("叫号人员"),
    )
    issued_at = models.DateTimeField(_("取号时间"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始办理"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(_("重呼次数"), default=0)
    #: The last call or recall: the call screen announces the newest first.
    announced_at = models.DateTimeField(_("最近呼叫"), null=True, blank=True)
    #: A transfer closes this ticket and opens one in the other section.
    transferred_to = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transferred_from",
        verbose_name=_("转至"),
    )

    class Meta:
        ordering = ["day", "section", "sequence"]
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        constraints = [
            models.UniqueConstraint(fields=["day", "number"], name="ticket_number_per_day"),
            models.UniqueConstraint(
                fields=["day", "section", "sequence"], name="ticket_sequence_per_section_day"
            ),
        ]
        indexes = [models.Index(fields=["section", "day", "status"])]

    def __str__(self) -> str:
        return f"{self.day} {self.number}"


class AppointmentSlot(models.Model):
    """One bookable period of a section (and matter, where configured) with its capacity.

    Created on first booking; the booking service locks the row (``select_for_update``)
    so ``booked`` never exceeds ``capacity`` however many book at once.
    """

    section = models.ForeignKey(
        "catalog.Section", on_delete=models.PROTECT, related_name="+", verbose_name=_("板块")
    )
    matter = models.ForeignKey(
        "catalog.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("事项"),
    )
    start = models.DateTimeField(_("开始"))
    end = models.DateTimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("容量"))
    booked = models.PositiveSmallIntegerField(_("已约"), default=0)

    class Meta:
        ordering = ["start"]
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "matter", "start"], name="appointment_slot_per_matter"
            ),
            models.UniqueConstraint(
                fields=["section", "start"],
                condition=models.Q(matter__isnull=True),
                name="appointment_slot_per_section",
            ),
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("capacity")),
                name="appointment_slot_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section_id} {self.start:%Y-%m-%d %H:%M}"


class Appointment(TimeStampedModel):
    """预约: a person's booking of a slot; arriving with it gives a ticket with priority."""

    #: Shown to the person and typed at the kiosk to check in.
    code = models.CharField(_("预约码"), max_length=12, unique=True)
    slot = models.ForeignKey(
        AppointmentSlot,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("预约时段"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("预约人"),
    )
    #: The matter the person comes for (the slot is the section's unless the matter has its own).
    matter = models.ForeignKey(
        "catalog.Matter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("事项"),
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    #: 预审预约: the pre-review (营业性演出) this appointment is for.
    guidance = models.ForeignKey(
        GuidanceRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("批前指导"),
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return self.code


class BookingSuspension(TimeStampedModel):
    """Repeated no-shows suspend a person's booking until ``until``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="booking_suspensions",
        verbose_name=_("用户"),
    )
    until = models.DateTimeField(_("暂停至"))
    reason = models.CharField(_("原因"), max_length=200)

    class Meta:
        ordering = ["-until"]
        verbose_name = _("预约限制")
        verbose_name_plural = _("预约限制")
