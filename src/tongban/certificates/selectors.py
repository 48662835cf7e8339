"""Reads of certificates: for their holder and the issuing staff, and the public verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tongban.catalog.models import localized
from tongban.certificates import signing
from tongban.certificates.choices import CertificateStatus
from tongban.certificates.models import Certificate
from tongban.certificates.services import certificate_status
from tongban.core.errors import NotFound
from tongban.identity import selectors as identity_selectors
from tongban.identity.masking import mask_id_number, mask_name
from tongban.identity.models import Person, User

if TYPE_CHECKING:
    from tongban.cases.models import Case

_RELATED = ("certificate_type", "issuer", "case")


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def user_may_see_certificate(*, user: User, certificate: Certificate) -> bool:
    """The holder (the applicant, the person, a live agent of the enterprise) or issuing staff."""
    if not _signed_in(user):
        return False
    if certificate.case is not None and certificate.case.applicant_user_id == user.pk:
        return True
    subject = certificate.holder_subject
    if identity_selectors.user_is_agent_of(user=user, uscc=subject):
        return True
    if Person.objects.filter(user=user, id_number=subject).exists():
        return True
    profile = identity_selectors.user_staff(user=user)
    return profile is not None and profile.department_id == certificate.issuer_id


def certificate_get_for_user(*, user: User, number: str) -> Certificate:
    """A certificate the caller may see; anyone else is told it does not exist."""
    certificate = Certificate.objects.select_related(*_RELATED).filter(number=number).first()
    if certificate is None or not user_may_see_certificate(user=user, certificate=certificate):
        raise NotFound(_("证照不存在"))
    return certificate


def certificate_list_for_case(*, case: Case) -> QuerySet[Certificate]:
    """The certificates a case produced (the caller has already been allowed to see the case)."""
    return Certificate.objects.select_related(*_RELATED).filter(case=case).order_by("issued_at")


def holder_masked(certificate: Certificate) -> dict[str, str]:
    """The holder as a stranger may see it: a person's name and ID number masked.

    An enterprise's name is public register information (国家企业信用信息公示系统), so it
    is shown in full; its credit code is masked like an ID number all the same.
    """
    kind = str((certificate.payload.get("holder") or {}).get("kind", ""))
    name = certificate.holder_name if kind == "enterprise" else mask_name(certificate.holder_name)
    return {"kind": kind, "name": name, "subject": mask_id_number(certificate.holder_subject)}


def certificate_public(*, number: str) -> dict[str, Any]:
    """What the public verification page and API show about one certificate number."""
    certificate = Certificate.objects.select_related(*_RELATED).filter(number=number).first()
    if certificate is None:
        raise NotFound(_("证照不存在"))
    status = certificate_status(certificate)
    # Re-check the stored signature: a row edited behind the platform's back is not valid.
    genuine = signing.payload_verify(certificate.payload, certificate.signature).valid and (
        certificate.payload.get("number") == certificate.number
    )
    if not genuine:
        status = "invalid"
    labels = {
        CertificateStatus.VALID: _("有效"),
        CertificateStatus.REVOKED: _("已撤销"),
        "expired": _("已过期"),
        "invalid": _("无效"),
    }
    return {
        "number": certificate.number,
        "valid": status == CertificateStatus.VALID,
        "status": status,
        "status_label": str(labels[status]),
        "holder": holder_masked(certificate),
        "type": {
            "code": certificate.certificate_type.code,
            "name": localized(certificate.certificate_type, "name"),
        },
        "issuer": {"code": certificate.issuer.code, "name": localized(certificate.issuer, "name")},
        "issued_at": certificate.issued_at,
        "valid_until": certificate.valid_until,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason or None,
        "key_id": certificate.key_id,
    }
