"""Reads of certificates: for their holder and the issuing staff, and the public verdict."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.certificates import signing
from tongban.certificates.choices import CertificateStatus, SignatureAlgorithm
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


def _by_number(number: str) -> Certificate | None:
    # A certificate number is printable and short: anything else (a NUL byte, which
    # PostgreSQL refuses, or a megabyte) is not one, and never reaches the database.
    if not number or len(number) > 60 or not number.isprintable():
        return None
    return Certificate.objects.select_related(*_RELATED).filter(number=number).first()


def certificate_get_for_user(*, user: User, number: str) -> Certificate:
    """A certificate the caller may see; anyone else is told it does not exist."""
    certificate = _by_number(number)
    if certificate is None or not user_may_see_certificate(user=user, certificate=certificate):
        raise NotFound(_("证照不存在"))
    return certificate


def certificate_list_for_case(*, case: Case) -> QuerySet[Certificate]:
    """The certificates a case produced (the caller has already been allowed to see the case)."""
    return Certificate.objects.select_related(*_RELATED).filter(case=case).order_by("issued_at")


def holder_masked(certificate: Certificate) -> dict[str, str]:
    """The holder as a stranger may see it, read from the signed payload: a person's name and
    ID number masked.

    An enterprise's name is public register information (国家企业信用信息公示系统), so it
    is shown in full; its credit code is masked like an ID number all the same.
    """
    holder = certificate.payload.get("holder") or {}
    kind = str(holder.get("kind", ""))
    name = str(holder.get("name", ""))
    return {
        "kind": kind,
        "name": name if kind == "enterprise" else mask_name(name),
        "subject": mask_id_number(str(holder.get("subject", ""))),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _signed_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _mismatches(certificate: Certificate) -> list[str]:
    """Labels of the stored columns that say something else than the signed payload."""
    payload = certificate.payload
    holder = payload.get("holder") if isinstance(payload.get("holder"), dict) else {}
    checks = [
        (_("证照编号"), certificate.number, payload.get("number")),
        (_("证照类型"), certificate.certificate_type.code, (payload.get("type") or {}).get("code")),
        (_("持证主体"), certificate.holder_name, holder.get("name")),
        (_("持证主体标识"), certificate.holder_subject, holder.get("subject")),
        (_("发证机关"), certificate.issuer.code, (payload.get("issuer") or {}).get("code")),
        (_("发证时间"), certificate.issued_at, _signed_time(payload.get("issued_at"))),
        (_("有效期至"), _iso(certificate.valid_until), payload.get("valid_until")),
        (_("证照内容"), certificate.fields, payload.get("fields")),
        (_("密钥编号"), certificate.key_id, payload.get("kid")),
    ]
    return [str(label) for label, stored, signed in checks if stored != signed]


def certificate_check(certificate: Certificate) -> signing.Verdict:
    """Is the stored certificate exactly what was signed? Signature first, then every column
    the platform keeps beside the payload; the verdict names what is wrong."""
    if not isinstance(certificate.payload, dict) or not certificate.payload:
        return signing.Verdict(False, _("签名校验失败：签名内容缺失"), "invalid")
    verdict = signing.payload_verify(certificate.payload, certificate.signature)
    if not verdict.valid:
        return signing.Verdict(
            False,
            _("签名校验失败：%(reason)s") % {"reason": verdict.reason},
            "invalid",
            verdict.key_id,
        )
    changed = _mismatches(certificate)
    if changed:
        return signing.Verdict(
            False,
            _("签名校验失败：数据库记录中的%(fields)s与签名内容不符，记录被签名之外的途径改动")
            % {"fields": _("、").join(changed)},
            "invalid",
            verdict.key_id,
        )
    return verdict


def _signed_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def certificate_public(*, number: str) -> dict[str, Any]:
    """What the public verification page and API show about one certificate number.

    Everything shown about the certificate is read from the signed payload after it verified;
    when it does not verify, nothing but the number and what is wrong is shown. Revocation
    is the issuer's live statement, read from the register.
    """
    certificate = _by_number(number)
    if certificate is None:
        raise NotFound(_("证照不存在"))
    labels = {
        CertificateStatus.VALID: _("有效"),
        CertificateStatus.REVOKED: _("已撤销"),
        "expired": _("已过期"),
        "invalid": _("无效"),
    }
    check = certificate_check(certificate)
    if not check.valid:
        return {
            "number": certificate.number,
            "valid": False,
            "status": "invalid",
            "status_label": str(labels["invalid"]),
            "reason": check.reason,
            "holder": None,
            "type": None,
            "issuer": None,
            "issued_at": None,
            "valid_until": None,
            "revoked_at": certificate.revoked_at,
            "revocation_reason": certificate.revocation_reason or None,
            "key_id": check.key_id,
            "alg": "",
        }
    payload = certificate.payload
    valid_until = _signed_date(payload.get("valid_until"))
    status = certificate_status(certificate)
    if status != CertificateStatus.REVOKED and valid_until and valid_until < timezone.localdate():
        status = "expired"
    type_ = payload.get("type") or {}
    issuer = payload.get("issuer") or {}
    return {
        "number": str(payload["number"]),
        "valid": status == CertificateStatus.VALID,
        "status": status,
        "status_label": str(labels[status]),
        "reason": check.reason,
        "holder": holder_masked(certificate),
        "type": {"code": str(type_.get("code", "")), "name": str(type_.get("name", ""))},
        "issuer": {"code": str(issuer.get("code", "")), "name": str(issuer.get("name", ""))},
        "issued_at": datetime.fromisoformat(str(payload["issued_at"])),
        "valid_until": valid_until,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason or None,
        "key_id": check.key_id,
        "alg": str(payload.get("alg", signing.JOSE_ALG[SignatureAlgorithm.ED25519])),
    }


def keys_document() -> dict[str, Any]:
    """The published issuer keys (see :func:`tongban.certificates.signing.keys_document`)."""
    return signing.keys_document()
