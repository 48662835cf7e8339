"""The 政务信息资源目录, share grants, local registries, the e-licence library, the access log.

Every query of another department's data names its case and purpose and is
written to AccessLog, an append-only, hash-chained table: editing or deleting a
row breaks the chain, which ``tongban verify-audit`` detects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import Bilingual
from tongban.core.models import TimeStampedModel
from tongban.exchange.choices import (
    AccessResult,
    GrantStatus,
    LicenceSource,
    LicenceStatus,
    OpenType,
    ResourceFormat,
    ShareType,
    SubjectKind,
    UpdateCycle,
)


class DataResource(Bilingual, TimeStampedModel):
    """One entry of the catalogue: a data set a department provides."""

    #: "<department>.<resource>", e.g. market.business_licence
    code = models.CharField(_("资源代码"), max_length=80, unique=True)
    provider = models.ForeignKey(
        "catalog.Department",
        on_delete=models.PROTECT,
        related_name="data_resources",
        verbose_name=_("提供部门"),
    )
    description = models.TextField(_("摘要"), blank=True)
    #: 共享类型: unconditional = any department; conditional = granted only; none = never leaves.
    share_type = models.CharField(_("共享类型"), max_length=16, choices=ShareType.choices)
    share_condition = models.CharField(_("共享条件"), max_length=300, blank=True)
    open_type = models.CharField(
        _("开放类型"), max_length=16, choices=OpenType.choices, default=OpenType.NONE
    )
    update_cycle = models.CharField(
        _("更新周期"), max_length=12, choices=UpdateCycle.choices, default=UpdateCycle.DAILY
    )
    format = models.CharField(
        _("资源格式"), max_length=12, choices=ResourceFormat.choices, default=ResourceFormat.API
    )
    subject_kind = models.CharField(_("查询主体"), max_length=12, choices=SubjectKind.choices)
    #: Key of the provider adapter in exchange.providers ("local", "elicence", "http", "credit" …).
    adapter = models.CharField(_("接入方式"), max_length=40, default="local")
    #: Adapter settings (e.g. the HTTP endpoint and key id); no secrets here.
    adapter_config = models.JSONField(_("接入配置"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["provider__order", "code"]
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")


class DataField(Bilingual):
    """One data item (信息项) of a resource."""

    resource = models.ForeignKey(DataResource, on_delete=models.CASCADE, related_name="fields")
    code = models.CharField(_("信息项代码"), max_length=60)
    data_type = models.CharField(_("数据类型"), max_length=20, default="string")
    description = models.CharField(_("说明"), max_length=300, blank=True)
    #: Personal data that is masked when shown (ID numbers, phones …).
    sensitive = models.BooleanField(_("敏感"), default=False)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["resource", "order", "id"]
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")
        constraints = [
            models.UniqueConstraint(fields=["resource", "code"], name="data_field_code_unique")
        ]


class ShareGrant(TimeStampedModel):
    """Permission for a department (optionally for one matter) to use a conditional resource."""

    resource = models.ForeignKey(DataResource, on_delete=models.CASCADE, related_name="grants")
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.CASCADE, related_name="data_grants"
    )
    #: Empty: every matter of the department; otherwise only this matter.
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("申请理由"))
    status = models.CharField(
        _("状态"), max_length=12, choices=GrantStatus.choices, default=GrantStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")

    def __str__(self) -> str:
        return f"{self.resource.code} → {self.department.code}"


class RegistryRecord(TimeStampedModel):
    """A record of a local registry (population, legal entities, real estate …) by subject."""

    resource = models.ForeignKey(DataResource, on_delete=models.CASCADE, related_name="records")
    #: The resident ID number or the unified social credit code.
    subject = models.CharField(_("主体标识"), max_length=40)
    data = models.JSONField(_("数据"))

    class Meta:
        verbose_name = _("登记记录")
        verbose_name_plural = _("登记记录")
        constraints = [
            models.UniqueConstraint(fields=["resource", "subject"], name="registry_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource.code}:{self.subject[:6]}…"


class ELicence(TimeStampedModel):
    """电子证照库: every certificate this platform issues, plus imported licences."""

    #: catalog.CertificateType code (营业执照 business-licence …).
    licence_type = models.CharField(_("证照类型"), max_length=60)
    number = models.CharField(_("证照编号"), max_length=80)
    holder_subject = models.CharField(_("持证主体标识"), max_length=40, db_index=True)
    holder_name = models.CharField(_("持证主体"), max_length=200)
    issuer = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="elicences"
    )
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.VALID
    )
    source = models.CharField(_("来源"), max_length=10, choices=LicenceSource.choices)
    data = models.JSONField(_("照面信息"), default=dict, blank=True)

    class Meta:
        ordering = ["-issued_on"]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        constraints = [
            models.UniqueConstraint(fields=["licence_type", "number"], name="elicence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.licence_type} {self.number}"


class AccessLog(models.Model):
    """Append-only, hash-chained record of every data-sharing query."""

    #: Position in the chain (1, 2, 3 …); gaps or reordering break verification.
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The username at the time, kept even if the account changes.
    actor_name = models.CharField(_("查询人"), max_length=150, blank=True)
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("查询部门")
    )
    resource_code = models.CharField(_("数据资源"), max_length=80)
    #: HMAC of the subject's number, so a citizen's accesses can be found without storing it twice.
    subject_key = models.CharField(max_length=64, db_index=True)
    subject_masked = models.CharField(_("查询对象"), max_length=40)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case_no = models.CharField(_("办件编号"), max_length=32, blank=True)
    purpose = models.CharField(_("用途"), max_length=200)
    fields_returned = models.JSONField(_("返回信息项"), default=list)
    result = models.CharField(_("结果"), max_length=12, choices=AccessResult.choices)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("数据访问日志")
        verbose_name_plural = _("数据访问日志")

    def __str__(self) -> str:
        return f"#{self.seq} {self.resource_code} {self.result}"


class ProviderCircuit(models.Model):
    """Circuit-breaker state of one remote provider, shared by every process."""

    resource_code = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.resource_code


class AccessLogHead(models.Model):
    """The head of the AccessLog chain: one row, locked by every append.

    Writers take this row with SELECT … FOR UPDATE, so two processes never give
    out the same ``seq`` nor chain onto the same predecessor; verification also
    compares it with the last row, which catches a deleted tail.
    """

    #: Always 1: the table holds one row.
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"#{self.seq}"


class AuditCheckpoint(models.Model):
    """A signed statement "the access log's chain had reached row ``seq`` with hash
    ``row_hash`` at ``at``", signed with a key kept outside the database (settings).

    Whoever can write to the database can recompute every ``row_hash``, but cannot sign: a
    rewritten chain no longer matches the checkpoints, and a deleted tail is shorter than the
    last checkpoint. Checkpoints are numbered and each names the digest of the previous one,
    so removing one from the middle shows too.
    """

    #: 1, 2, 3 … with no gaps.
    number = models.PositiveBigIntegerField(unique=True)
    #: The last access-log row the checkpoint covers, and that row's hash.
    seq = models.PositiveBigIntegerField()
    row_hash = models.CharField(max_length=64)
    #: The time of that row (what "proven up to" means in time).
    row_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(_("签名时间"))
    #: SHA-256 (hex) of the previous checkpoint's signed statement; 64 zeros for the first.
    prev_digest = models.CharField(max_length=64)
    #: First 16 hex digits of SHA-256 over the raw Ed25519 public key that signed.
    key_id = models.CharField(max_length=16)
    #: Ed25519 signature (base64url) over the RFC 8785 statement (see exchange.audit).
    signature = models.CharField(max_length=100)

    class Meta:
        ordering = ["number"]
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")

    def __str__(self) -> str:
        return f"#{self.number} ≤ {self.seq}"
