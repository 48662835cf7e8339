from django.db import models
from django.utils.translation import gettext_lazy as _


class CreditList(models.TextChoices):
    RED = "red", _("守信红名单")
    BLACK = "black", _("失信联合惩戒黑名单")
    KEY_SUPERVISION = "key_supervision", _("重点关注名单")
    NONE = "none", _("未列入名单")


class CreditLevel(models.TextChoices):
    """公共信用等级: A good, B fair, C poor, D bad."""

    A = "A", _("A 级（良好）")
    B = "B", _("B 级（较好）")
    C = "C", _("C 级（较差）")
    D = "D", _("D 级（差）")


class SubjectType(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")
