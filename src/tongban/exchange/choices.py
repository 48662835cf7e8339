from django.db import models
from django.utils.translation import gettext_lazy as _


class ShareType(models.TextChoices):
    """共享类型 of the 政务信息资源目录 (国务院《政务信息资源共享管理暂行办法》)."""

    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class OpenType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NONE = "none", _("不予开放")


class UpdateCycle(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class ResourceFormat(models.TextChoices):
    API = "api", _("接口")
    DATABASE = "database", _("数据库")
    FILE = "file", _("电子文件")
    ELICENCE = "elicence", _("电子证照")


class SubjectKind(models.TextChoices):
    """Whom a record is about: the key a query passes."""

    PERSON = "person", _("自然人（身份证号）")
    ENTERPRISE = "enterprise", _("法人（统一社会信用代码）")


class DataType(models.TextChoices):
    """信息项数据类型: what a data item (DataField.data_type) holds."""

    STRING = "string", _("字符串")
    TEXT = "text", _("长文本")
    INTEGER = "integer", _("整数")
    NUMBER = "number", _("数值")
    DATE = "date", _("日期")
    DATETIME = "datetime", _("日期时间")
    BOOLEAN = "boolean", _("是否")
    ARRAY = "array", _("列表")
    IMAGE = "image", _("图片")


class GrantStatus(models.TextChoices):
    REQUESTED = "requested", _("待审核")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已拒绝")
    REVOKED = "revoked", _("已撤销")


class AccessResult(models.TextChoices):
    OK = "ok", _("成功")
    NOT_FOUND = "not_found", _("无记录")
    DENIED = "denied", _("无权访问")
    UNAVAILABLE = "unavailable", _("服务不可用")


class LicenceSource(models.TextChoices):
    ISSUED = "issued", _("本平台签发")
    IMPORTED = "imported", _("外部导入")


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")
    EXPIRED = "expired", _("已过期")
