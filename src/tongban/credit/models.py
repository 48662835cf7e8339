from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.credit.choices import CreditLevel, CreditList, SubjectType


class CreditRecord(TimeStampedModel):
    """A credit fact about a person or an enterprise, from a source department."""

    subject_type = models.CharField(_("主体类型"), max_length=12, choices=SubjectType.choices)
    #: Resident ID number or unified social credit code.
    subject = models.CharField(_("主体标识"), max_length=40, db_index=True)
    subject_name = models.CharField(_("主体名称"), max_length=200)
    #: Which list the record puts the subject on (none: a level only).
    list_kind = models.CharField(
        _("名单"), max_length=20, choices=CreditList.choices, default=CreditList.NONE
    )
    #: 信用等级 A–D; empty when the record only lists the subject.
    level = models.CharField(_("信用等级"), max_length=1, choices=CreditLevel.choices, blank=True)
    source = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("来源部门")
    )
    reason = models.TextField(_("事由"), blank=True)
    #: Legal basis of a joint punishment (联合惩戒备忘录 …), shown when an application is refused.
    legal_basis = models.CharField(_("依据"), max_length=300, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: First day the record no longer holds, when it was ended early (修复/撤销); records are
    #: never deleted, so a lifted punishment stays on file with who lifted it and why.
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.TextField(_("终止原因"), blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("终止人"),
    )

    class Meta:
        ordering = ["-valid_from", "-id"]
        indexes = [models.Index(fields=["subject", "valid_from"])]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")

    def __str__(self) -> str:
        return f"{self.subject_name} {self.list_kind} {self.level}"
