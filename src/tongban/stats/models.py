"""Rollups of the reform's indicators, kept current when things happen (OneGov style).

Each case event (a timeline entry, a visit) adds to one row of ``DailyRollup``: the
counters of one Shanghai day for one combination of dimensions (department, section,
matter, theme, kind of case, channel, applicant type).  A decision also adds one case
to ``DurationHistogram``: the working days it took, per month and matter, in integer
buckets, so a median and a 90th percentile are exact without reading any case.

Selectors only sum these rows; ``tongban stats rebuild`` recomputes them from the cases.
The rules that turn an event into counts are in ``stats.rollup``; the definitions of the
indicators built on them are in docs/indicators.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.cases.choices import ApplicantType
from tongban.catalog.choices import Channel


class CaseKind(models.TextChoices):
    """Which cases a rollup row counts: a 办件 of one matter, or a theme application."""

    #: A case of one matter applied for on its own.
    MATTER = "matter", _("单事项办件")
    #: A case of one matter inside a theme application (a child case).
    PART = "part", _("主题服务中的事项办件")
    #: The theme application itself (the parent case of a 一件事).
    THEME = "theme", _("主题服务申请")


#: The counters of ``DailyRollup``, in the order the workbook shows them.
COUNTERS: tuple[str, ...] = (
    "submitted",
    "accepted",
    "rejected",
    "supplemented",
    "supplement_requests",
    "approved",
    "denied",
    "decided_overdue",
    "decided_extended",
    "extended",
    "went_overdue",
    "withdrawn",
    "issued",
    "combined_licences",
    "completed",
    "completed_first_pass",
    "completed_one_visit",
    "visits",
    "shipped",
    "pickup_ready",
    "picked_up",
    "shared_materials",
    "data_lookups",
)


class DailyRollup(models.Model):
    """What happened on one day to the cases of one combination of dimensions."""

    day = models.DateField(_("日期"))
    #: The dimensions joined ("department|section|matter|theme|kind|channel|applicant_type"),
    #: so that one unique index finds the row (NULL foreign keys would never collide).
    key = models.CharField(_("维度键"), max_length=120)
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    section = models.ForeignKey(
        "catalog.Section", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    theme = models.ForeignKey(
        "catalog.Theme", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("办件类别"), max_length=8, choices=CaseKind.choices)
    channel = models.CharField(_("申请渠道"), max_length=10, choices=Channel.choices)
    applicant_type = models.CharField(_("申请人类型"), max_length=12, choices=ApplicantType.choices)

    #: Cases submitted (提交申请) that day.
    submitted = models.PositiveIntegerField(_("提交"), default=0)
    #: Cases accepted (受理, or deemed accepted when the 5 working days passed).
    accepted = models.PositiveIntegerField(_("受理"), default=0)
    #: Cases not accepted (不予受理).
    rejected = models.PositiveIntegerField(_("不予受理"), default=0)
    #: Cases that received their first supplement request (补正) that day.
    supplemented = models.PositiveIntegerField(_("首次补正"), default=0)
    #: Supplement requests sent (a case may receive several).
    supplement_requests = models.PositiveIntegerField(_("补正次数"), default=0)
    #: Decisions: approved (准予许可) and denied (不予许可).
    approved = models.PositiveIntegerField(_("准予许可"), default=0)
    denied = models.PositiveIntegerField(_("不予许可"), default=0)
    #: Decisions taken after the case's due date (超期办结).
    decided_overdue = models.PositiveIntegerField(_("超期决定"), default=0)
    #: Decisions of cases whose limit was extended (延期, 行政许可法第四十二条).
    decided_extended = models.PositiveIntegerField(_("延期后决定"), default=0)
    #: Extensions granted that day.
    extended = models.PositiveIntegerField(_("延期"), default=0)
    #: Cases the SLA sweep found overdue that day.
    went_overdue = models.PositiveIntegerField(_("转为超期"), default=0)
    withdrawn = models.PositiveIntegerField(_("撤回"), default=0)
    #: Certificates issued (已出证); on a theme application: a combined licence.
    issued = models.PositiveIntegerField(_("出证"), default=0)
    #: Combined licences (许可一证通) issued.
    combined_licences = models.PositiveIntegerField(_("综合许可证"), default=0)
    #: Cases completed (办结).
    completed = models.PositiveIntegerField(_("办结"), default=0)
    #: Completed without any supplement request (一次通过).
    completed_first_pass = models.PositiveIntegerField(_("一次通过办结"), default=0)
    #: Completed with at most one in-person visit (最多跑一次), a theme's visits included.
    completed_one_visit = models.PositiveIntegerField(_("最多跑一次办结"), default=0)
    #: In-person visits recorded that day.
    visits = models.PositiveIntegerField(_("到场次数"), default=0)
    #: Results posted (快递寄送) and results ready for pick-up at a window.
    shipped = models.PositiveIntegerField(_("寄送"), default=0)
    pickup_ready = models.PositiveIntegerField(_("待领取"), default=0)
    picked_up = models.PositiveIntegerField(_("窗口领取"), default=0)
    #: Materials of the cases submitted that day supplied by data sharing (免提交).
    shared_materials = models.PositiveIntegerField(_("免提交材料"), default=0)
    #: Data look-ups (exchange access log entries) of the cases submitted that day.
    data_lookups = models.PositiveIntegerField(_("数据查询"), default=0)

    class Meta:
        verbose_name = _("每日统计")
        verbose_name_plural = _("每日统计")
        constraints = [
            models.UniqueConstraint(fields=["day", "key"], name="stats_daily_rollup_unique")
        ]
        indexes = [
            models.Index(fields=["day", "department"], name="stats_daily_day_department"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.key}"


class DurationHistogram(models.Model):
    """How many cases took ``days`` working days, per month of decision and matter.

    For a case of one matter (kind ``matter`` or ``part``): from acceptance to the decision
    (approved or denied), supplement waits excluded as ``cases.services.sla`` counts them.
    For a theme application (kind ``theme``): from submission to completion.
    """

    #: The first day of the month of the decision (Asia/Shanghai).
    month = models.DateField(_("月份"))
    key = models.CharField(_("维度键"), max_length=120)
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    section = models.ForeignKey(
        "catalog.Section", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    theme = models.ForeignKey(
        "catalog.Theme", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("办件类别"), max_length=8, choices=CaseKind.choices)
    #: Working days taken (the bucket).
    days = models.PositiveIntegerField(_("工作日"))
    cases = models.PositiveIntegerField(_("办件数"), default=0)

    class Meta:
        verbose_name = _("办理时长分布")
        verbose_name_plural = _("办理时长分布")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "key", "days"], name="stats_duration_histogram_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.key} {self.days}d×{self.cases}"


class VersionRollup(models.Model):
    """Decisions of one Shanghai day per process version and department (per-version figures).

    Counted by the same rule as ``DailyRollup`` (``stats.rollup.event_counts``): a decision
    (approved or denied) of a 办件, overdue when taken after the case's due date, so that the
    overdue rate of a process version is that of the dashboards, split by the version its
    process ran on.
    """

    day = models.DateField(_("日期"))
    #: "definition|department" — one unique index finds the row (a NULL would never collide).
    key = models.CharField(_("维度键"), max_length=40)
    definition = models.ForeignKey(
        "workflow.ProcessDefinition", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: Decisions (准予 or 不予许可) that day.
    decided = models.PositiveIntegerField(_("决定"), default=0)
    #: Decisions taken after the case's due date (超期决定).
    decided_overdue = models.PositiveIntegerField(_("超期决定"), default=0)

    class Meta:
        verbose_name = _("流程版本每日统计")
        verbose_name_plural = _("流程版本每日统计")
        constraints = [
            models.UniqueConstraint(fields=["day", "key"], name="stats_version_rollup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.key}"


class VersionDurationHistogram(models.Model):
    """How many 办件 of a process version took ``days`` working days (acceptance → decision)."""

    #: The first day of the month of the decision (Asia/Shanghai).
    month = models.DateField(_("月份"))
    key = models.CharField(_("维度键"), max_length=40)
    definition = models.ForeignKey(
        "workflow.ProcessDefinition", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    days = models.PositiveIntegerField(_("工作日"))
    cases = models.PositiveIntegerField(_("办件数"), default=0)

    class Meta:
        verbose_name = _("流程版本办理时长分布")
        verbose_name_plural = _("流程版本办理时长分布")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "key", "days"], name="stats_version_histogram_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.key} {self.days}d×{self.cases}"
