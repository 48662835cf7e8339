from django.db import models
from django.utils.translation import gettext_lazy as _


class MatterKind(models.TextChoices):
    """权力事项类型 as Shanghai's catalogue names them."""

    LICENCE = "licence", _("行政许可")
    CONFIRMATION = "confirmation", _("行政确认")
    FILING = "filing", _("备案类事项")
    PAYMENT = "payment", _("行政给付")
    RULING = "ruling", _("行政裁决")
    OTHER_POWER = "other_power", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


class Audience(models.TextChoices):
    PERSON = "person", _("个人办事")
    ENTERPRISE = "enterprise", _("法人办事")
    BOTH = "both", _("个人和法人")


class OnlineDepth(models.TextChoices):
    """How far a matter can be done online."""

    FULL_ONLINE = "full_online", _("全程网办")
    ONLINE_PREREVIEW = "online_prereview", _("网上预审")
    WINDOW = "window", _("窗口办理")


class Channel(models.TextChoices):
    ONLINE = "online", _("网上办理")
    WINDOW = "window", _("窗口办理")
    MOBILE = "mobile", _("移动端办理")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "original_and_copy", _("原件和复印件")
    ELECTRONIC = "electronic", _("电子件")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")
    AGENCY = "agency", _("中介机构出具")
    OTHER = "other", _("其他")
    #: 系统生成: made by the platform from the form data (申请书/申请表), never uploaded.
    GENERATED = "generated", _("系统生成")
    #: 在线签署: a commitment (告知承诺书) signed in the application, never uploaded.
    SIGNED_ONLINE = "signed_online", _("在线签署")


class ThemeChildFailure(models.TextChoices):
    """What a theme does when one of its matters is refused."""

    CONTINUE = "continue", _("其余事项继续办理")
    STOP = "stop", _("全部终止")
