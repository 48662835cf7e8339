from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.models import TimeStampedModel
from tongban.identity.choices import Gender, PhoneCodePurpose
from tongban.identity.masking import mask_id_number, mask_phone
from tongban.identity.validators import validate_resident_id, validate_uscc


class User(AbstractUser):
    """An account: a citizen, an enterprise agent or a member of staff."""

    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


class Person(TimeStampedModel):
    """A natural person (自然人), identified by the resident ID number."""

    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )
    name = models.CharField(_("姓名"), max_length=50)
    #: 公民身份号码, GB 11643-1999, check digit and birth date validated.
    id_number = models.CharField(
        _("身份证号"), max_length=18, unique=True, validators=[validate_resident_id]
    )
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_id_number})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class Enterprise(TimeStampedModel):
    """A legal person (法人), identified by the unified social credit code."""

    #: 统一社会信用代码, GB 32100-2015, check digit validated.
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("名称"), max_length=200)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业法人")
        verbose_name_plural = _("企业法人")

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"


class Agent(TimeStampedModel):
    """经办人: a person authorised to act for an enterprise."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="agencies")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="agents")
    #: The authorisation lapses after this date; empty means until revoked.
    valid_until = models.DateField(_("授权有效期至"), null=True, blank=True)
    revoked = models.BooleanField(_("已撤销"), default=False)

    class Meta:
        verbose_name = _("经办人授权")
        verbose_name_plural = _("经办人授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "enterprise"], name="agent_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.enterprise}"


class StaffProfile(TimeStampedModel):
    """A member of staff belongs to one department; roles are the user's groups."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_profile")
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="staff"
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.department}"


class ApiToken(TimeStampedModel):
    """A bearer token for the HTTP API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("过期时间"))

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")


class PhoneCode(TimeStampedModel):
    """A one-time code sent by SMS to confirm a mobile (self-registration, password reset).

    Only a keyed hash of the code is kept, bound to a random challenge the client holds; the
    code is used once, voided by a newer code to the same mobile, and dead after
    ``PHONE_CODE_MAX_ATTEMPTS`` tries or ``PHONE_CODE_MINUTES``.
    """

    purpose = models.CharField(_("用途"), max_length=20, choices=PhoneCodePurpose.choices)
    #: SHA-256 of the challenge token handed to the client with the code.
    challenge_hash = models.CharField(max_length=64, unique=True)
    phone = models.CharField(_("手机号"), max_length=20, db_index=True)
    #: HMAC (SECRET_KEY) of challenge and code: six digits cannot be read back from it.
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(_("过期时间"))
    #: Tries of the code so far (the right one included); at PHONE_CODE_MAX_ATTEMPTS it is void.
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    #: Registration: who registers (the account is created only once the code is verified).
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    #: Password reset: the account whose password the code lets the holder set.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="phone_codes"
    )

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["phone", "created_at"], name="phonecode_phone_created")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {mask_phone(self.phone)}"
