from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    """Staff roles; each is a Django group of the same name."""

    CLERK = "clerk", _("窗口受理")
    REVIEWER = "reviewer", _("审核")
    APPROVER = "approver", _("审批")
    SUPERVISOR = "supervisor", _("监管")
    CENTER_ADMIN = "center_admin", _("中心管理员")
    DATA_STEWARD = "data_steward", _("数据管理员")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class PhoneCodePurpose(models.TextChoices):
    """What a one-time SMS code confirms."""

    REGISTER = "register", _("注册账户")
    PASSWORD_RESET = "password_reset", _("找回密码")
