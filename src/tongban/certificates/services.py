"""Issuing, reissuing, revoking and verifying e-certificates (电子证照)."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.asyncio import async_unsafe
from django.utils.translation import gettext as _

from tongban.catalog.models import CertificateType, Department
from tongban.certificates import signing
from tongban.certificates.choices import CertificateStatus, SignatureAlgorithm
from tongban.certificates.models import Certificate, SigningKey
from tongban.certificates.signing import Verdict
from tongban.core.dbcursor import statement_cursor
from tongban.core.errors import (
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.exchange.choices import LicenceSource, LicenceStatus
from tongban.exchange.models import ELicence
from tongban.exchange.services import elicence_record
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User

if TYPE_CHECKING:
    from tongban.cases.models import Case

#: Version of the payload layout; a verifier can tell old layouts from new ones.
PAYLOAD_VERSION = 1
#: Certificate-type field names and the form keys that commonly carry them.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "address": ("business_address", "registered_address", "premises_address"),
    "company_name": ("name",),
}
#: Shown once in the holder block of the certificate, so not repeated among the fields.
HOLDER_FIELDS = frozenset({"holder_name", "uscc", "id_number"})
MAX_REASON_LENGTH = 500


def _number_prefix(type_code: str) -> str:
    initials = "".join(part[0] for part in type_code.split("-") if part)
    return (initials or "C").upper()[:6]


def certificate_number(*, certificate_type: CertificateType, year: int, sequence: int) -> str:
    """营业执照 2026 #12 → BL202600000012: readable, and unique because the sequence is a row id."""
    return f"{_number_prefix(certificate_type.code)}{year}{sequence:08d}"


def _holder(case: Case) -> dict[str, str]:
    if case.applicant_enterprise is not None:
        return {
            "kind": "enterprise",
            "name": case.applicant_enterprise.name,
            "subject": case.applicant_enterprise.uscc,
        }
    if case.applicant_person is not None:
        return {
            "kind": "person",
            "name": case.applicant_person.name,
            "subject": case.applicant_person.id_number,
        }
    raise ValidationFailed(
        _("办件没有可作为持证主体的申请人"),
        errors=[FieldError("applicant", _("申请人缺少身份信息"))],
    )


def _json_value(value: Any) -> Any:
    # RFC 8785 signs numbers as IEEE doubles; keep form numbers as they were typed but
    # refuse non-finite floats by turning them into text (they cannot occur from JSON forms).
    if isinstance(value, float) and value != value:
        return str(value)
    return value


def certificate_fields(
    *, certificate_type: CertificateType, form: dict[str, Any]
) -> dict[str, Any]:
    """The licensed content: the form restricted to the type's field list when it has one."""
    names = [str(n) for n in (certificate_type.fields or []) if str(n) not in HOLDER_FIELDS]
    if not certificate_type.fields:
        return {k: _json_value(v) for k, v in form.items() if v not in (None, "", [], {})}
    out: dict[str, Any] = {}
    for name in names:
        for key in (name, *FIELD_ALIASES.get(name, ())):
            value = form.get(key)
            if value not in (None, "", [], {}):
                out[name] = _json_value(value)
                break
    return out


def _valid_until(issued_on: dt.date, years: int | None) -> dt.date | None:
    if not years:
        return None
    try:
        anniversary = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # issued on 29 February
        anniversary = issued_on.replace(year=issued_on.year + years, day=28)
    # A licence issued on 1 March 2026 for 5 years is in force up to 28 February 2031.
    return anniversary - dt.timedelta(days=1)


def _payload(
    *,
    number: str,
    certificate_type: CertificateType,
    holder: dict[str, str],
    issuer: Department,
    fields: dict[str, Any],
    issued_at: datetime,
    valid_until: dt.date | None,
    case_no: str | None,
    replaces: str | None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "v": PAYLOAD_VERSION,
        "number": number,
        "type": {"code": certificate_type.code, "name": certificate_type.name},
        "holder": holder,
        "issuer": {"code": issuer.code, "name": issuer.name},
        "fields": fields,
        "issued_at": timezone.localtime(issued_at).isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
    }
    if case_no:
        payload["case_no"] = case_no
    if replaces:
        payload["replaces"] = replaces
    return payload


def _create_signed(
    *,
    certificate_type: CertificateType,
    issuer: Department,
    holder: dict[str, str],
    fields: dict[str, Any],
    now: datetime,
    case: Case | None,
    replaces: Certificate | None = None,
) -> Certificate:
    issued_at = now.replace(microsecond=0)
    valid_until = _valid_until(
        timezone.localtime(issued_at).date(), certificate_type.validity_years
    )
    # The number comes from the row id, so it is unique without a counter table or a lock:
    # insert with a placeholder, then sign and store the real number in the same transaction.
    certificate = Certificate.objects.create(
        number=f"pending-{uuid.uuid4().hex}",
        certificate_type=certificate_type,
        case=case,
        issuer=issuer,
        holder_subject=holder["subject"],
        holder_name=holder["name"],
        fields=fields,
        issued_at=issued_at,
        valid_until=valid_until,
        payload={},
        signature="",
        key_id="",
        replaces=replaces,
    )
    certificate.number = certificate_number(
        certificate_type=certificate_type,
        year=timezone.localtime(issued_at).year,
        sequence=certificate.pk,
    )
    payload, signature = signing.payload_sign(
        _payload(
            number=certificate.number,
            certificate_type=certificate_type,
            holder=holder,
            issuer=issuer,
            fields=fields,
            issued_at=issued_at,
            valid_until=valid_until,
            case_no=case.case_no if case else None,
            replaces=replaces.number if replaces else None,
        )
    )
    certificate.payload = payload
    certificate.signature = signature
    certificate.key_id = payload["kid"]
    certificate.save(update_fields=["number", "payload", "signature", "key_id", "updated_at"])
    elicence_record(
        licence_type=certificate_type.code,
        number=certificate.number,
        holder_subject=holder["subject"],
        holder_name=holder["name"],
        issuer_code=issuer.code,
        issued_on=timezone.localtime(issued_at).date(),
        valid_until=valid_until,
        data=fields,
        source=LicenceSource.ISSUED,
    )
    return certificate


def _certificate_type_of(case: Case) -> CertificateType | None:
    guide = case.matter_version.guide if case.matter_version else None
    ref = guide.get("certificate_type") if isinstance(guide, dict) else None
    code = ref.get("code") if isinstance(ref, dict) else None
    if not code:
        return None
    return CertificateType.objects.select_related("department").filter(code=code).first()


@transaction.atomic
def certificate_issue(*, case: Case, now: datetime | None = None) -> Certificate | None:
    """Issue the certificate the case's matter version names (None when it names none)."""
    certificate_type = _certificate_type_of(case)
    if certificate_type is None:
        return None
    existing = case.certificates.filter(
        certificate_type=certificate_type, status=CertificateStatus.VALID
    ).first()
    if existing is not None:
        # Issuing is the last step of a case that may be retried: never issue twice.
        return existing
    form = case.form_data if isinstance(case.form_data, dict) else {}
    fields = certificate_fields(certificate_type=certificate_type, form=form)
    guide = case.matter_version.guide if case.matter_version else {}
    matter_name = guide.get("name") if isinstance(guide, dict) else None
    if matter_name:
        fields = {"matter": matter_name, **fields}
    return _create_signed(
        certificate_type=certificate_type,
        # The department that decided the case issues; a type's own department is the fallback.
        issuer=case.department or certificate_type.department,
        holder=_holder(case),
        fields=fields,
        now=now or timezone.now(),
        case=case,
    )


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写理由"), errors=[FieldError("reason", _("必须说明理由"))])
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            _("理由过长"),
            errors=[FieldError("reason", _("最多 %(n)s 个字") % {"n": MAX_REASON_LENGTH})],
        )
    return reason


def _locked(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("certificate_type", "issuer", "case")
        .get(pk=certificate.pk)
    )


def _revoke(certificate: Certificate, *, reason: str, now: datetime) -> None:
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now
    certificate.revocation_reason = reason
    certificate.save(update_fields=["status", "revoked_at", "revocation_reason", "updated_at"])
    ELicence.objects.filter(
        licence_type=certificate.certificate_type.code, number=certificate.number
    ).update(status=LicenceStatus.REVOKED, updated_at=now)


@transaction.atomic
def certificate_revoke(
    *, actor: User, certificate: Certificate, reason: str, now: datetime | None = None
) -> Certificate:
    """Revoke a certificate (approver or supervisor of the issuing department, with a reason)."""
    profile = identity_selectors.user_staff(user=actor)
    roles = identity_selectors.user_roles(user=actor)
    if (
        profile is None
        or profile.department_id != certificate.issuer_id
        or not {StaffRole.APPROVER, StaffRole.SUPERVISOR} & set(roles)
    ):
        raise PermissionDenied(_("只有发证部门的审批或监管人员可以撤销证照"))
    reason = _reason_clean(reason)
    certificate = _locked(certificate)
    if certificate.status == CertificateStatus.REVOKED:
        raise InvalidStateChange(_("该证照已被撤销"))
    _revoke(certificate, reason=reason, now=now or timezone.now())
    return certificate


@transaction.atomic
def certificate_reissue(
    *,
    certificate: Certificate,
    fields: dict[str, Any],
    reason: str,
    now: datetime | None = None,
) -> Certificate:
    """Issue a replacement with new fields (a changed combined licence); the old one is revoked."""
    reason = _reason_clean(reason)
    if not isinstance(fields, dict):
        raise ValidationFailed(_("证照内容有误"), errors=[FieldError("fields", _("必须是对象"))])
    old = _locked(certificate)
    if old.status == CertificateStatus.REVOKED:
        raise InvalidStateChange(_("已撤销的证照不能换发"))
    now = now or timezone.now()
    holder = {
        "kind": str((old.payload.get("holder") or {}).get("kind", "")),
        "name": old.holder_name,
        "subject": old.holder_subject,
    }
    new = _create_signed(
        certificate_type=old.certificate_type,
        issuer=old.issuer,
        holder=holder,
        fields={k: _json_value(v) for k, v in fields.items()},
        now=now,
        case=old.case,
        replaces=old,
    )
    _revoke(
        old,
        reason=_("已换发为 %(number)s：%(reason)s") % {"number": new.number, "reason": reason},
        now=now,
    )
    return new


def certificate_verify_payload(*, payload: dict[str, Any], signature: str) -> Verdict:
    """Check an offline copy: our signature over exactly this payload, certificate in force."""
    # One query: the key (its revocation is read on every check) and the certificate's status.
    number = payload.get("number") if isinstance(payload, dict) else None
    key_id: Any = payload.get("kid") if isinstance(payload, dict) else None
    row = _key_and_certificate(key_id, number) if signing.well_formed_kid(key_id) else None
    key: SigningKey | signing.VerifyKey | None = None
    if row is not None:
        public_key, algorithm, revoked, status, valid_until = row
        # A revoked key: read whole for the verdict's wording (when it was revoked).
        key = (
            signing.key_for_verify(key_id).first()
            if revoked
            else signing.VerifyKey(key_id=key_id, public_key=public_key, algorithm=algorithm)
        )
    verdict = signing.payload_verify(payload, signature, key=key)
    if not verdict.valid:
        return verdict
    if row is None or status is None:
        return Verdict(False, _("签名有效，但证照库中没有该证照编号"), "unknown", verdict.key_id)
    status = _status_of(
        status,
        # A date from both backends (Django registers the converter on SQLite); text otherwise.
        valid_until
        if valid_until is None or isinstance(valid_until, dt.date)
        else dt.date.fromisoformat(str(valid_until)),
    )
    if status == CertificateStatus.REVOKED:
        return Verdict(False, _("证照已撤销"), status, verdict.key_id)
    if status == "expired":
        return Verdict(False, _("证照已过期"), status, verdict.key_id)
    return verdict


@async_unsafe
def _key_and_certificate(key_id: str, number: Any) -> tuple[Any, ...] | None:
    """(public key, algorithm, revoked?, certificate status, valid until) in one query; the
    certificate's columns are None when no certificate has that number.

    The query runs on every verification, so it runs on the connection's own DB-API cursor
    when nothing watches the queries (``core/dbcursor.py``: ~40 µs of a verification's ~250
    on SQLite), with what Django's cursor guarantees kept.
    """
    db = connections[DEFAULT_DB_ALIAS]
    params = (number if _a_number(number) else "", key_id)
    sql = _key_and_certificate_sql()
    with statement_cursor(db) as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return tuple(found) if found is not None else None


@lru_cache(maxsize=1)
def _key_and_certificate_sql() -> str:
    ops = connections[DEFAULT_DB_ALIAS].ops
    key_table = ops.quote_name(SigningKey._meta.db_table)
    certificate_table = ops.quote_name(Certificate._meta.db_table)
    # Table names from the models, values as parameters: nothing of the caller's is spliced.
    return (
        "SELECT k.public_key, k.algorithm, k.revoked_at IS NOT NULL, c.status, c.valid_until"  # noqa: S608
        f" FROM {key_table} k LEFT JOIN {certificate_table} c ON c.number = %s"
        " WHERE k.key_id = %s"
    )


def _a_number(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _NUMBER_MAX


_NUMBER_MAX = Certificate._meta.get_field("number").max_length or 60


def certificate_status(certificate: Certificate, *, today: dt.date | None = None) -> str:
    """valid | revoked | expired (an expired licence is past its 有效期至)."""
    return _status_of(certificate.status, certificate.valid_until, today)


def _status_of(status: str, valid_until: dt.date | None, today: dt.date | None = None) -> str:
    if status == CertificateStatus.REVOKED:
        return CertificateStatus.REVOKED
    # The date is read only for a licence that has a 有效期至 (verification is a hot path).
    if valid_until is not None and valid_until < (today or _today()):
        return "expired"
    return CertificateStatus.VALID


#: Today's date in the platform's time zone (Asia/Shanghai: a 有效期至 is a date there) and the
#: UTC moments it starts and ends. ``timezone.localdate()`` costs ~6 µs (the active time zone
#: through a context-local, then a zoneinfo conversion), more than the rest of the status on
#: every verification; this reads ``timezone.now()`` each time and converts only when it has
#: left the remembered day (either way: a clock set back, or a test's frozen clock).
_day_memo: tuple[datetime, datetime, dt.date] | None = None


def _today() -> dt.date:
    global _day_memo
    now = timezone.now()
    memo = _day_memo
    if memo is not None and memo[0] <= now < memo[1]:
        return memo[2]
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now, zone).date()
    start = datetime.combine(today, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.UTC)
    _day_memo = (start, end, today)
    return today


@transaction.atomic
def keys_rotate(*, actor: User | None = None, algorithm: str | None = None) -> SigningKey:
    """Start a new signing key (of ``algorithm``, else the configured one); the old one is
    retired but keeps verifying what it signed."""
    if algorithm is not None and algorithm not in SignatureAlgorithm.values:
        raise ValidationFailed(
            _("签名算法有误"),
            errors=[FieldError("algorithm", _("只能是 ed25519 或 sm2"))],
        )
    return signing.signing_key_rotate(algorithm=algorithm)


@transaction.atomic
def keys_revoke(*, actor: User | None = None, key_id: str, reason: str) -> SigningKey:
    """Revoke a signing key (e.g. compromised): every certificate it signed stops verifying,
    and the next issue starts a new key if it was the active one."""
    reason = _reason_clean(reason)
    if not SigningKey.objects.filter(key_id=key_id[:40]).exists():
        raise NotFound(_("签名密钥 %(kid)s 不存在") % {"kid": key_id[:40]})
    return signing.signing_key_revoke(key_id=key_id, reason=reason)
