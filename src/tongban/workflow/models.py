"""The working-day calendar (工作日历).

Only exceptions to the Monday–Friday week matter: holidays that fall on
weekdays count as rest, make-up workdays (调休) that fall on weekends count as
work.  Holidays that fall on a weekend are kept too, so the table reads like
the State Council's notice.  A year is usable once a CalendarYear row marks it
entered; a deadline that runs into a year not entered counts weekends only and
is provisional.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.workflow.choices import CalendarDayKind, DefinitionKind, DefinitionStatus


class CalendarYear(TimeStampedModel):
    year = models.PositiveIntegerField(_("年份"), unique=True)
    #: Where the schedule came from (chinese-calendar seed, 国务院办公厅通知 …).
    source = models.CharField(_("来源"), max_length=200, blank=True)
    entered_by = models.CharField(_("录入人"), max_length=150, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(TimeStampedModel):
    #: Unique, so seeding twice or entering a day twice can never double-count it.
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=CalendarDayKind.choices)
    #: The holiday this day belongs to (春节, 国庆节 …), also on make-up workdays.
    name = models.CharField(_("节日"), max_length=50, blank=True)
    name_en = models.CharField(_("节日英文名"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"

    def clean(self) -> None:
        # A make-up workday only means something on a weekend; on a weekday it is a typo.
        if self.kind == CalendarDayKind.WORKDAY and self.date and self.date.weekday() < 5:
            raise ValidationError({"date": _("调休上班日必须是星期六或星期日")})


class ProcessDefinition(models.Model):
    """A version of a BPMN process or DMN table: stored once per content digest.

    A release file is reviewed code and is published the moment the engine first sees it; a
    version uploaded in the studio is validated and dry-run at upload and published only when
    a second center admin approves it. New cases start on the latest published version of a
    name; running ones keep the version their instance points at.
    """

    name = models.CharField(_("流程"), max_length=60)
    kind = models.CharField(
        _("类型"), max_length=10, choices=DefinitionKind.choices, default=DefinitionKind.BPMN
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DefinitionStatus.choices,
        default=DefinitionStatus.VALIDATED,
    )
    #: SHA-256 of the BPMN (and DMN) source: a changed file is a new version.
    digest = models.CharField(max_length=64, unique=True)
    #: The release file it came from ("" for a version uploaded in the studio).
    source_file = models.CharField(_("文件"), max_length=200, blank=True)
    #: The serialized SpiffWorkflow spec (and subprocess specs); {} for a DMN table.
    spec = models.JSONField(default=dict)
    #: The BPMN XML this spec was parsed from (what the diagram viewer draws).
    source = models.TextField(_("源文件"), blank=True)
    #: 1, 2, 3 … per process name, in the order the versions were stored.
    version = models.PositiveIntegerField(_("版本"), default=1)
    #: When this version became the one new cases start on (None: never published).
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    #: What changed and why, in the uploader's words.
    note = models.TextField(_("变更说明"), blank=True)
    #: The center admin who uploaded it (None: a release file).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The published version it was validated and dry-run against: approving it once another
    #: version has been published since would publish checks made against the wrong ground.
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("基于版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The second center admin who approved (四眼原则) or rejected it, and when.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    review_comment = models.TextField(_("审批意见"), blank=True)
    #: The rules checked at upload and what each found (workflow.studio.validation).
    validation_report = models.JSONField(_("校验报告"), default=dict, blank=True)
    #: Recorded cases of the published version replayed on this one (workflow.studio.dry_run).
    dry_run_report = models.JSONField(_("试运行报告"), default=dict, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="workflow_processdefinition_name_version"
            )
        ]
        indexes = [models.Index(fields=["name", "status", "-version"])]

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.digest[:8]})"


class ProcessInstanceManager(models.Manager["ProcessInstance"]):
    def with_digest(self) -> models.QuerySet[ProcessInstance]:
        """Instances with their definition's digest read in the same query.

        The engine restores a workflow on the spec cached by that digest, so this saves a
        query per step. Not the default queryset: Django turns an UPDATE of an annotated
        queryset into ``WHERE id IN (SELECT … JOIN …)``, which PostgreSQL does not re-check
        after a lock wait, and that would void the optimistic lock.
        """
        return self.get_queryset().annotate(definition_digest=models.F("definition__digest"))


class ProcessInstance(models.Model):
    """The persisted state of one running process, without its spec."""

    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, related_name="instances"
    )
    #: SpiffWorkflow's serialized workflow minus the spec.
    state = models.JSONField()
    #: Optimistic lock: every save is UPDATE … WHERE version = the version read.
    version = models.PositiveIntegerField(default=1)
    completed = models.BooleanField(default=False)
    #: Id of the end event reached (e.g. "approved", "denied"), once completed.
    end_event = models.CharField(max_length=60, blank=True)
    #: Earliest pending timer; the SLA sweep refreshes instances whose timer is due.
    next_timer_at = models.DateTimeField(null=True, blank=True, db_index=True)
    #: The department the process runs for (the case's), given at start: the heat map's daily
    #: rollup (NodeVisitDay) counts a visit under it unless the visit names its own department.
    department = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProcessInstanceManager()

    class Meta:
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")

    def __str__(self) -> str:
        return f"{self.pk} v{self.version}{' ' + self.end_event if self.end_event else ''}"


class NodeVisit(models.Model):
    """One pass of a process instance through one BPMN node: the recorded path of a case.

    Written by the engine whenever a node is reached or left (start, every completed task,
    every timer refresh that moved the process), so the path of a case and the traffic of a
    process version are plain rows: the position of a case on its diagram and the heat map of
    a version read them without restoring a workflow. A multi-instance node (the joint
    review) has one visit per instance, each with its ``department``.
    """

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="visits")
    #: Copied from the instance: the heat map filters a version's visits without a join.
    #: (Dwell in working days is computed when read: from the distinct (reached, left) dates
    #: through the calendar, which a center admin may still change.)
    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, related_name="visits"
    )
    #: The SpiffWorkflow task id: one visit per task (a loop back makes a new task).
    task_id = models.UUIDField()
    #: BPMN element id, e.g. "accept", "accept_gateway", "department_review".
    node = models.CharField(_("环节"), max_length=60)
    #: BPMN element type, e.g. "UserTask", "ExclusiveGateway", "EndEvent".
    node_type = models.CharField(max_length=40)
    #: The node the path came from ("" for the start event): with ``node``, the flow taken.
    from_node = models.CharField(max_length=60, blank=True)
    lane = models.CharField(max_length=40, blank=True)
    #: The reviewing department of one instance of a multi-instance node.
    department = models.CharField(max_length=40, blank=True)
    entered_at = models.DateTimeField(_("到达时间"))
    left_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    #: Left because the path went elsewhere (e.g. a timer that did not fire), not completed.
    cancelled = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("环节记录")
        verbose_name_plural = _("环节记录")
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "task_id"], name="workflow_nodevisit_instance_task"
            )
        ]
        indexes = [
            models.Index(fields=["definition", "node", "entered_at"]),
            models.Index(fields=["instance", "entered_at"]),
            # The heat map (stats.heatmap): a version's visits left, or reached, in a period,
            # and those waiting now, read from the index alone on PostgreSQL (bench/position.py).
            models.Index(
                fields=["definition", "left_at"],
                include=["node", "instance", "entered_at", "cancelled"],
                name="workflow_nodevisit_left",
            ),
            models.Index(
                fields=["definition", "entered_at"],
                include=["node", "from_node", "instance"],
                name="workflow_nodevisit_entered",
            ),
            models.Index(
                fields=["definition", "node"],
                include=["instance", "entered_at"],
                condition=models.Q(left_at__isnull=True),
                name="workflow_nodevisit_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instance_id} {self.node} {self.entered_at:%Y-%m-%d %H:%M}"


class NodeVisitDay(models.Model):
    """The heat map's daily rollup of node visits (docs/heatmap.md).

    Per process version, node, the flow's source node, department (the visit's own, else the
    instance's) and Shanghai day, how many visits **reached** the node that day (a row whose
    ``left_on`` is :data:`~tongban.workflow.rollup.REACHED`), and how many of those reached on
    ``reached_on`` **left** it on ``left_on`` (not cancelled). Kept by the engine in the
    transaction that writes the visits (an upsert adding to ``visits``: never a lost count);
    ``tongban heatmap_rebuild`` recomputes it from the visits. Dwell in working days is computed
    when read, from (reached_on, left_on) through the calendar, so a calendar change needs no
    rebuild.
    """

    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.CASCADE, related_name="visit_days"
    )
    node = models.CharField(max_length=60)
    from_node = models.CharField(max_length=60, blank=True)
    department = models.CharField(max_length=40, blank=True)
    reached_on = models.DateField()
    #: The day the visits left the node; REACHED (9999-12-31) on the rows counting arrivals.
    left_on = models.DateField()
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("环节日汇总")
        verbose_name_plural = _("环节日汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "node", "from_node", "department", "reached_on", "left_on"],
                name="workflow_nodevisitday_key",
            )
        ]
        indexes = [
            models.Index(fields=["definition", "left_on"], name="workflow_nodevisitday_left"),
            models.Index(fields=["definition", "reached_on"], name="workflow_nodevisitday_reached"),
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} {self.node} {self.reached_on}→{self.left_on}: {self.visits}"
