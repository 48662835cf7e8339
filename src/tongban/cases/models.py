"""Cases (办件): an application for one matter (or a theme), its materials and tasks.

Every change of a case is made by a service in one transaction and recorded in
the timeline; times that statistics need (accepted, decided, overdue) are stored
when they happen rather than recomputed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.cases.choices import (
    ApplicantType,
    CaseStatus,
    CreditRoute,
    Decision,
    MaterialOrigin,
    MaterialStatus,
    NotificationChannel,
    NotificationStatus,
    SlaState,
    SupplementState,
    TaskKind,
    TaskState,
    TimelineAction,
)
from tongban.catalog.choices import Channel
from tongban.core.models import TimeStampedModel
from tongban.delivery.choices import DeliveryMethod


def material_upload_to(instance: CaseMaterial, filename: str) -> str:
    # The client's file name is never used as a path: only a random name and the sniffed type.
    extension = {
        "application/pdf": "pdf",
        "image/jpeg": "jpg",
        "image/png": "png",
        "application/ofd": "ofd",
    }.get(instance.content_type, "bin")
    return f"materials/{instance.case_id}/{uuid.uuid4().hex}.{extension}"


class Case(TimeStampedModel):
    case_no = models.CharField(_("办件编号"), max_length=32, unique=True, null=True, blank=True)
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    #: The guide version the case was created (and submitted) under.
    matter_version = models.ForeignKey(
        "catalog.MatterVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    theme = models.ForeignKey(
        "catalog.Theme", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    department = models.ForeignKey(
        "catalog.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("承办部门"),
    )
    #: The account that applied (the person, or the agent acting for an enterprise).
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases"
    )
    applicant_type = models.CharField(_("申请人类型"), max_length=12, choices=ApplicantType.choices)
    applicant_person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    applicant_enterprise = models.ForeignKey(
        "identity.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    applicant_name = models.CharField(_("申请人"), max_length=200)
    channel = models.CharField(
        _("申请渠道"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    #: Form fields filled from shared data (数据共享预填), so the applicant sees which.
    prefilled_fields = models.JSONField(_("共享预填字段"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.DRAFT
    )
    process = models.OneToOneField(
        "workflow.ProcessInstance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case",
    )

    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    #: 行政许可法第三十二条: acceptance decided within 5 working days of submission.
    acceptance_due_date = models.DateField(_("受理期限"), null=True, blank=True)
    #: Working days of the decision limit applied (the promised limit, never beyond legal).
    limit_days = models.PositiveIntegerField(_("办理时限（工作日）"), null=True, blank=True)
    #: 延期: extra working days approved once by the approver (行政许可法第四十二条).
    extension_days = models.PositiveIntegerField(_("延期（工作日）"), default=0)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    #: Last day of the decision limit in Asia/Shanghai, supplement time excluded.
    due_date = models.DateField(_("办结期限"), null=True, blank=True)
    #: The due date reaches a year whose holiday schedule is not yet entered.
    due_provisional = models.BooleanField(_("期限待定"), default=False)
    sla_state = models.CharField(
        _("时限状态"), max_length=12, choices=SlaState.choices, default=SlaState.NORMAL
    )
    warned_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("超期时间"), null=True, blank=True)
    #: Theme stage of a child case: a higher stage starts when the lower ones have ended.
    stage = models.PositiveSmallIntegerField(_("阶段"), default=1)
    #: The credit route taken (DMN decision) and why, shown on the case.
    route = models.CharField(_("审批路径"), max_length=12, choices=CreditRoute.choices, blank=True)
    route_reason = models.TextField(_("路径依据"), blank=True)
    #: 告知承诺: when the applicant signed the matter's commitment text, and the text signed.
    commitment_signed_at = models.DateTimeField(_("承诺签署时间"), null=True, blank=True)
    commitment_text = models.TextField(_("承诺书"), blank=True)
    #: 批前指导 / 预审: the guidance this application builds on.
    guidance = models.ForeignKey(
        "counter.GuidanceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("批前指导"),
    )
    #: How the applicant receives the paper licence (the e-certificate is always issued).
    delivery_method = models.CharField(
        _("领证方式"),
        max_length=12,
        choices=DeliveryMethod.choices,
        default=DeliveryMethod.ELECTRONIC,
    )
    #: Where the paper licence is posted (cleaned by delivery.services.delivery_address_clean).
    delivery_address = models.JSONField(_("收件地址"), default=dict, blank=True)
    #: 前台综合受理: the center window, its clerk and the queue ticket of a walk-in application.
    window = models.ForeignKey(
        "counter.Window",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("受理窗口"),
    )
    window_clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("窗口受理人"),
    )
    ticket = models.ForeignKey(
        "counter.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("排队号"),
    )
    #: In-person visits so far (最多跑一次): a counter submission or a pick-up counts one.
    visit_count = models.PositiveSmallIntegerField(_("跑动次数"), default=0)
    #: Why the case was not accepted (不予受理) or denied (不予许可).
    outcome_reason = models.TextField(_("理由"), blank=True)
    #: What the application is about, normalised (the property's certificate number, the
    #: proposed company name), set at submission where the matter names a ``unique_object``:
    #: one open application per matter and object (cases.services.parties).
    object_key = models.CharField(_("申请对象"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["applicant_user", "-created_at"]),
            models.Index(fields=["department", "status"]),
            models.Index(
                fields=["matter", "object_key"],
                condition=~models.Q(object_key=""),
                name="case_object_key",
            ),
        ]

    def __str__(self) -> str:
        return self.case_no or f"draft #{self.pk}"


class CaseMaterial(TimeStampedModel):
    """One required material of a case: an upload, or a record supplied by data sharing."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    requirement_code = models.SlugField(_("材料编码"), max_length=60)
    name = models.CharField(_("材料名称"), max_length=200)
    #: The English name from the guide the case was created under.
    name_en = models.CharField(_("英文材料名称"), max_length=300, blank=True)
    required = models.BooleanField(_("必需"), default=True)
    #: A non-key material may be deferred (容缺).
    key = models.BooleanField(_("关键材料"), default=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=MaterialStatus.choices, default=MaterialStatus.MISSING
    )
    origin = models.CharField(_("来源"), max_length=10, choices=MaterialOrigin.choices, blank=True)
    file = models.FileField(_("文件"), upload_to=material_upload_to, blank=True, max_length=200)
    #: Type recognised from the content, never from the name.
    content_type = models.CharField(_("文件类型"), max_length=60, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    #: The client's file name, for display only.
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), null=True, blank=True)
    #: Data-sharing origin: the resource code, when, and the record returned.
    shared_resource = models.CharField(_("共享数据资源"), max_length=60, blank=True)
    shared_at = models.DateTimeField(_("共享时间"), null=True, blank=True)
    shared_record = models.JSONField(_("共享数据"), default=dict, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    #: 容缺受理: the date by which the applicant promised the deferred material.
    deferred_until = models.DateField(_("容缺补交期限"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "requirement_code"], name="case_material_per_requirement"
            )
        ]


class Task(TimeStampedModel):
    """待办: one user task of a case's process for a department and a role."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("环节"), max_length=20, choices=TaskKind.choices)
    name = models.CharField(_("环节名称"), max_length=100)
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="tasks"
    )
    role = models.CharField(_("岗位"), max_length=20)
    state = models.CharField(
        _("状态"), max_length=12, choices=TaskState.choices, default=TaskState.OPEN
    )
    #: The SpiffWorkflow task this row mirrors.
    engine_task_id = models.UUIDField(_("流程任务"), null=True, blank=True)
    due_date = models.DateField(_("环节期限"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_tasks",
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="completed_tasks",
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    decision = models.CharField(_("决定"), max_length=24, choices=Decision.choices, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        ordering = ["due_date", "created_at"]
        verbose_name = _("待办")
        verbose_name_plural = _("待办")
        indexes = [models.Index(fields=["department", "role", "state"])]


class SupplementRequest(TimeStampedModel):
    """补正: everything missing, told at once (一次性告知); the clock stops until answered."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supplements")
    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, null=True, blank=True, related_name="supplements"
    )
    #: [{"kind": "material"|"field", "code": ..., "reason": ...}]
    items = models.JSONField(_("补正内容"), default=list)
    message = models.TextField(_("告知说明"), blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=SupplementState.choices, default=SupplementState.OPEN
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("告知时间"))
    answered_at = models.DateTimeField(_("补正时间"), null=True, blank=True)
    answer_data = models.JSONField(_("补正数据"), default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")


class TimelineEntry(models.Model):
    """One step of a case: who (staff only see the person), which department, what, when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("时间"))
    #: What happened (a ``TimelineAction``); the step says it in words.
    action = models.CharField(_("动作"), max_length=40, choices=TimelineAction.choices)
    step = models.CharField(_("环节"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("说明"), blank=True)
    #: Shown to the applicant (internal notes are staff-only).
    public = models.BooleanField(_("申请人可见"), default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理过程")
        verbose_name_plural = _("办理过程")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.step}"


class IdempotencyRecord(models.Model):
    """An ``Idempotency-Key`` seen from one user for one operation, and the case it produced."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    #: SHA-256 of the request body: the same key with another body is refused.
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class Notification(TimeStampedModel):
    """Outbox of messages to applicants; a background task sends each one."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=NotificationChannel.choices)
    recipient = models.CharField(_("接收人"), max_length=200)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    provider_message_id = models.CharField(_("服务商消息号"), max_length=100, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    #: What the notice tells (a ``NotificationEvent``; blank for a message to staff).
    event = models.CharField(_("事件"), max_length=30, blank=True, default="")
    #: A notice sent once per case, recipient and key (a theme's stage: "accepted:1").
    key = models.CharField(_("去重键"), max_length=60, blank=True, default="")
    #: The notice this one was sent with (several waiting for one person became one message).
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("合并到"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "channel", "recipient", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]


class VisitKind(models.TextChoices):
    WINDOW_SUBMISSION = "window_submission", _("窗口递交")
    PICKUP = "pickup", _("窗口领证")
    OTHER = "other", _("其他到场")


class Visit(models.Model):
    """One in-person visit of the applicant for a case, recorded when it happens."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(_("类型"), max_length=20, choices=VisitKind.choices)
    at = models.DateTimeField(_("时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("到场记录")
        verbose_name_plural = _("到场记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d}"


class CaseParty(TimeStampedModel):
    """多方申请: another party of a case (e.g. the buyer of a property transfer) named by the
    applicant, who confirms their part when signed in; the case waits until every one has."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    #: The matter's name for this party (process_params.parties[].role), e.g. "buyer".
    role = models.CharField(_("当事人身份"), max_length=20)
    name = models.CharField(_("姓名"), max_length=100)
    #: 公民身份号码 (GB 11643), checked when named.
    id_number = models.CharField(_("身份证号"), max_length=18)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_confirmations",
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("办件当事人")
        verbose_name_plural = _("办件当事人")
        constraints = [
            models.UniqueConstraint(fields=["case", "id_number"], name="case_party_once")
        ]
        indexes = [models.Index(fields=["id_number"])]
