"""The service catalogue: departments, sections, matters with their guides, themes.

A Matter row is the current, published guide.  Every publication also writes
an immutable MatterVersion snapshot; a case keeps the version it was submitted
under, so changing a guide never rewrites what an applicant agreed to.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tongban.catalog.choices import (
    Audience,
    MaterialForm,
    MaterialSource,
    MatterKind,
    OnlineDepth,
    ThemeChildFailure,
)
from tongban.core.models import TimeStampedModel


class Bilingual(models.Model):
    """Chinese name first; the English name completes the second locale."""

    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        lang = get_language() or "zh-hans"
        if lang.startswith("en") and self.name_en:
            return self.name_en
        return self.name


def localized(obj: object, field: str) -> str:
    """The English value of ``field`` under the English locale when present, else Chinese."""
    lang = get_language() or "zh-hans"
    if lang.startswith("en"):
        value = getattr(obj, f"{field}_en", "")
        if value:
            return str(value)
    return str(getattr(obj, field, ""))


def empty_form_schema() -> dict[str, object]:
    """A form with no fields: still a valid object schema."""
    return {"type": "object", "properties": {}}


class Department(Bilingual, TimeStampedModel):
    code = models.SlugField(_("部门代码"), max_length=40, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    #: 不进驻中心负面清单: this department's matters are not handled at the center.
    in_center = models.BooleanField(_("进驻中心"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")


class Section(Bilingual, TimeStampedModel):
    """One of the six sections (板块) of the administrative service center."""

    code = models.SlugField(_("板块代码"), max_length=40, unique=True)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("板块")
        verbose_name_plural = _("板块")


class CertificateType(Bilingual, TimeStampedModel):
    """A kind of licence or certificate a matter (or theme) issues."""

    code = models.SlugField(_("证照类型代码"), max_length=60, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="certificate_types"
    )
    #: Validity in years from issue; empty means no expiry.
    validity_years = models.PositiveIntegerField(_("有效期（年）"), null=True, blank=True)
    #: Field names shown on the certificate, in order.
    fields = models.JSONField(_("证照字段"), default=list, blank=True)
    #: A combined licence (许可一证通) lists several licensed items.
    is_combined = models.BooleanField(_("综合许可证"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")


class Matter(Bilingual, TimeStampedModel):
    """事项: one government service with its guide (办事指南)."""

    code = models.SlugField(_("事项编码"), max_length=60, unique=True)
    kind = models.CharField(_("事项类型"), max_length=20, choices=MatterKind.choices)
    audience = models.CharField(_("服务对象"), max_length=12, choices=Audience.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="matters")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="matters")
    summary = models.TextField(_("事项简介"), blank=True)
    summary_en = models.TextField(_("英文简介"), blank=True)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    legal_basis_en = models.TextField(_("英文设定依据"), blank=True)
    conditions = models.TextField(_("受理条件"), blank=True)
    conditions_en = models.TextField(_("英文受理条件"), blank=True)
    #: 法定办结时限, in working days (工作日) as the law sets it.
    legal_limit_days = models.PositiveIntegerField(
        _("法定时限（工作日）"), validators=[MaxValueValidator(365)]
    )
    #: 承诺办结时限, in working days; never longer than the legal limit.
    promised_limit_days = models.PositiveIntegerField(
        _("承诺时限（工作日）"), validators=[MaxValueValidator(365)]
    )
    #: Fee in yuan; 0 means free of charge (不收费).
    fee = models.DecimalField(
        _("收费（元）"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    fee_basis = models.CharField(_("收费依据"), max_length=300, blank=True)
    fee_basis_en = models.CharField(_("英文收费依据"), max_length=500, blank=True)
    #: 最多跑几次: in-person visits the applicant needs at most (0 = none).
    max_visits = models.PositiveSmallIntegerField(
        _("最多跑几次"), default=1, validators=[MaxValueValidator(5)]
    )
    online_depth = models.CharField(_("网办深度"), max_length=20, choices=OnlineDepth.choices)
    #: Channels through which an application is accepted (values of Channel).
    channels = models.JSONField(_("办理渠道"), default=list, blank=True)
    #: JSON Schema (draft 2020-12) of the application form.
    form_schema = models.JSONField(_("表单结构"), default=empty_form_schema, blank=True)
    process = models.CharField(_("审批流程"), max_length=60, default="standard_approval")
    process_params = models.JSONField(_("流程参数"), default=dict, blank=True)
    certificate_type = models.ForeignKey(
        CertificateType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
        verbose_name=_("结果证照"),
    )
    #: Comma-separated words applicants use for this matter (开饭店, 营业执照 …).
    keywords = models.CharField(_("关键词"), max_length=500, blank=True)
    #: 告知承诺: may be approved on the applicant's written commitment.
    commitment_eligible = models.BooleanField(_("可告知承诺"), default=False)
    window_address = models.CharField(_("办理地点"), max_length=200, blank=True)
    window_address_en = models.CharField(_("英文办理地点"), max_length=300, blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=50, blank=True)
    is_active = models.BooleanField(_("在线"), default=True)
    #: Number of the latest published MatterVersion.
    version = models.PositiveIntegerField(_("版本"), default=0)
    #: Space-separated search tokens, rebuilt on every publication.
    search_text = models.TextField(default="", blank=True, editable=False)
    #: Normalised name and English name, one per line between newlines, for ranking.
    search_name = models.TextField(default="", blank=True, editable=False)
    #: Normalised keywords between commas (",开饭店,餐饮,"), for exact keyword hits.
    search_keywords = models.TextField(default="", blank=True, editable=False)

    class Meta:
        ordering = ["department__order", "code"]
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(promised_limit_days__lte=models.F("legal_limit_days")),
                name="matter_promised_within_legal",
                violation_error_message=_("承诺时限不能超过法定时限"),
            )
        ]
        indexes = [models.Index(fields=["audience", "section", "is_active"])]


class SearchToken(models.Model):
    """One word of a matter's inverted search index, with the points a hit on it is worth."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="search_tokens")
    token = models.CharField(max_length=200)
    #: Points for a query term equal to this token (name ≫ keyword > body).
    weight = models.PositiveIntegerField()
    #: The matter's place in the catalogue (department order, then code), copied
    #: here so an unfiltered search ranks from this table alone.
    sort_key = models.CharField(max_length=80, default="")

    class Meta:
        verbose_name = _("搜索词")
        verbose_name_plural = _("搜索词")
        constraints = [
            models.UniqueConstraint(fields=["matter", "token"], name="search_token_per_matter")
        ]
        indexes = [
            models.Index(
                fields=["token", "matter", "weight", "sort_key"], name="search_token_lookup"
            )
        ]

    def __str__(self) -> str:
        return self.token


class MaterialRequirement(Bilingual, TimeStampedModel):
    """One line of a matter's 材料清单."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="materials")
    code = models.SlugField(_("材料编码"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    required = models.BooleanField(_("必需"), default=True)
    #: 关键材料: a non-key material may be deferred (容缺受理).
    key = models.BooleanField(_("关键材料"), default=True)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    form = models.CharField(
        _("材料形式"), max_length=20, choices=MaterialForm.choices, default=MaterialForm.ELECTRONIC
    )
    source = models.CharField(
        _("材料来源"),
        max_length=20,
        choices=MaterialSource.choices,
        default=MaterialSource.APPLICANT,
    )
    #: Code of the data resource that can supply this material (免提交), if any.
    shared_resource = models.CharField(_("共享数据资源"), max_length=60, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        constraints = [
            models.UniqueConstraint(fields=["matter", "code"], name="material_code_per_matter")
        ]


class MatterVersion(models.Model):
    """An immutable snapshot of a matter's whole guide at one publication."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    published_by = models.CharField(_("发布人"), max_length=150, blank=True)
    #: The guide as published: every field of the matter plus its materials.
    guide = models.JSONField(_("办事指南"))

    class Meta:
        ordering = ["matter", "-version"]
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        constraints = [
            models.UniqueConstraint(fields=["matter", "version"], name="matter_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.matter.code} v{self.version}"


class Theme(Bilingual, TimeStampedModel):
    """主题服务 / 一件事: several matters applied for with one form."""

    code = models.SlugField(_("主题编码"), max_length=60, unique=True)
    summary = models.TextField(_("简介"), blank=True)
    summary_en = models.TextField(_("英文简介"), blank=True)
    audience = models.CharField(_("服务对象"), max_length=12, choices=Audience.choices)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="themes")
    #: 承诺办结时限 of the whole theme, in working days.
    promised_limit_days = models.PositiveIntegerField(_("承诺时限（工作日）"))
    max_visits = models.PositiveSmallIntegerField(_("最多跑几次"), default=1)
    combined_certificate_type = models.ForeignKey(
        CertificateType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="themes",
        verbose_name=_("综合证照"),
    )
    on_child_failure = models.CharField(
        _("子事项不予许可时"),
        max_length=12,
        choices=ThemeChildFailure.choices,
        default=ThemeChildFailure.CONTINUE,
    )
    keywords = models.CharField(_("关键词"), max_length=500, blank=True)
    is_active = models.BooleanField(_("在线"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("主题服务")
        verbose_name_plural = _("主题服务")


class ThemeMatter(models.Model):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="theme_matters")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="theme_links")
    order = models.PositiveIntegerField(_("顺序"), default=0)
    #: Matters with the same stage run in parallel; a higher stage waits for lower ones.
    stage = models.PositiveSmallIntegerField(_("阶段"), default=1)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("主题事项")
        verbose_name_plural = _("主题事项")
        constraints = [
            models.UniqueConstraint(fields=["theme", "matter"], name="theme_matter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.theme_id}:{self.matter_id}"


class SearchSynonym(TimeStampedModel):
    """Words citizens say mapped to words the catalogue uses (开饭店 → 食品经营 餐饮)."""

    term = models.CharField(_("用语"), max_length=50, unique=True)
    #: Space-separated catalogue words the term stands for.
    expansions = models.CharField(_("对应词"), max_length=300)

    class Meta:
        ordering = ["term"]
        verbose_name = _("搜索同义词")
        verbose_name_plural = _("搜索同义词")

    def __str__(self) -> str:
        return f"{self.term} → {self.expansions}"


class GuideEpoch(models.Model):
    """One row: a counter bumped whenever something a guide shows changes: a publication (a new
    MatterVersion), a matter saved, materials, departments, share grants, the negative list …

    Every guide request reads it first (catalog.guides); rendered guides are cached under
    (matter, published version, this counter, language …), so every process sees a change at
    its next request: no process serves a stale guide.
    """

    value = models.PositiveBigIntegerField(_("计数"), default=0)
    changed_at = models.DateTimeField(_("变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指南缓存代次")
        verbose_name_plural = _("指南缓存代次")

    def __str__(self) -> str:
        return str(self.value)
