from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")


class SignatureAlgorithm(models.TextChoices):
    ED25519 = "ed25519", "Ed25519"
    SM2 = "sm2", _("SM2（SM3 摘要）")
