"""E-certificates (电子证照) and combined licences, signed with Ed25519 or SM2 (SM3).

The payload is RFC 8785 canonical JSON; the signature and the key id travel
with it, so a copy can be verified offline.  Private keys are stored
encrypted under a secret from the environment; rotation keeps old public keys.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.certificates.choices import CertificateStatus, SignatureAlgorithm
from tongban.core.models import TimeStampedModel


class SigningKey(models.Model):
    key_id = models.CharField(_("密钥编号"), max_length=40, unique=True)
    #: ed25519 | sm2 (SM2 with SM3); see tongban.certificates.signing.
    algorithm = models.CharField(
        _("签名算法"), max_length=10, choices=SignatureAlgorithm.choices, default="ed25519"
    )
    #: base64url of the raw public key: 32 bytes for Ed25519, x‖y (64 bytes) for SM2.
    public_key = models.CharField(_("公钥"), max_length=200)
    #: The private key encrypted under TONGBAN_SIGNING_SECRET (Fernet token).
    private_key_encrypted = models.TextField()
    #: Only the active key signs; retired keys still verify.
    active = models.BooleanField(_("当前签名密钥"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    #: A revoked key (e.g. compromised) verifies nothing any more, whatever it signed.
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revocation_reason = models.CharField(_("吊销理由"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_signing_key"
            )
        ]

    def __str__(self) -> str:
        return self.key_id


class Certificate(TimeStampedModel):
    number = models.CharField(_("证照编号"), max_length=60, unique=True)
    certificate_type = models.ForeignKey(
        "catalog.CertificateType", on_delete=models.PROTECT, related_name="certificates"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="certificates"
    )
    issuer = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="certificates"
    )
    #: Resident ID number or unified social credit code of the holder.
    holder_subject = models.CharField(_("持证主体标识"), max_length=40, db_index=True)
    holder_name = models.CharField(_("持证主体"), max_length=200)
    #: The licensed content (照面信息); for a combined licence, one entry per licensed item.
    fields = models.JSONField(_("证照内容"), default=dict)
    issued_at = models.DateTimeField(_("发证时间"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    #: Exactly what was signed (canonical JSON of this object) and the signature over it.
    payload = models.JSONField(_("签名内容"))
    signature = models.CharField(_("签名"), max_length=200)
    key_id = models.CharField(_("密钥编号"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.VALID
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revocation_reason = models.TextField(_("撤销理由"), blank=True)
    #: The certificate this one replaces (a reissued combined licence).
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")

    def __str__(self) -> str:
        return self.number
