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


#: Order of credit levels from best to worst: the worst valid level is a subject's level.
LEVEL_ORDER = ("A", "B", "C", "D")

#: Spellings accepted in an import sheet besides the value and its label.
LIST_ALIASES = {
    "红名单": CreditList.RED,
    "守信红名单": CreditList.RED,
    "黑名单": CreditList.BLACK,
    "失信黑名单": CreditList.BLACK,
    "失信联合惩戒黑名单": CreditList.BLACK,
    "重点关注名单": CreditList.KEY_SUPERVISION,
    "重点监管名单": CreditList.KEY_SUPERVISION,
    "未列入名单": CreditList.NONE,
    "无": CreditList.NONE,
    "": CreditList.NONE,
}

SUBJECT_TYPE_ALIASES = {
    "自然人": SubjectType.PERSON,
    "个人": SubjectType.PERSON,
    "法人": SubjectType.ENTERPRISE,
    "企业": SubjectType.ENTERPRISE,
    "法人和其他组织": SubjectType.ENTERPRISE,
}
