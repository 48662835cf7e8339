from __future__ import annotations

import copy
import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongban.cases.models import Case
from tongban.catalog.models import Department, Matter
from tongban.certificates import services, signing
from tongban.certificates.models import Certificate, SigningKey
from tongban.certificates.tests.factories import approved_case, food_matter
from tongban.core.errors import InvalidStateChange, PermissionDenied, ValidationFailed
from tongban.exchange.models import ELicence
from tongban.identity.models import Enterprise, User

pytestmark = pytest.mark.django_db


def _verify(certificate: Certificate) -> signing.Verdict:
    return services.certificate_verify_payload(
        payload=certificate.payload, signature=certificate.signature
    )


def test_it_issues_the_certificate_the_matter_names(
    certificate: Certificate, enterprise: Enterprise, enterprise_case: Case
) -> None:
    year = timezone.localtime(certificate.issued_at).year
    assert certificate.number == f"FBL{year}{certificate.pk:08d}"
    assert certificate.holder_subject == enterprise.uscc
    assert certificate.holder_name == "上海通办示范科技有限公司"
    assert certificate.issuer.code == "market"
    assert certificate.case == enterprise_case
    # The type's field list picks the licensed content (address via business_address).
    assert certificate.fields == {
        "matter": "食品经营许可",
        "address": "上海市嘉定区示范路1号",
        "business_scope": "热食类食品制售",
        "food_business_items": "预包装食品销售（含冷藏冷冻食品）",
    }
    payload = certificate.payload
    assert payload["kid"] == certificate.key_id
    assert payload["number"] == certificate.number
    assert payload["type"] == {"code": "food-business-licence", "name": "食品经营许可证"}
    assert payload["holder"] == {
        "kind": "enterprise",
        "name": "上海通办示范科技有限公司",
        "subject": enterprise.uscc,
    }
    assert payload["issuer"] == {"code": "market", "name": "市场监管局"}
    assert payload["valid_until"] == certificate.valid_until.isoformat()


def test_it_sets_validity_from_the_type() -> None:
    assert services._valid_until(dt.date(2026, 3, 1), 5) == dt.date(2031, 2, 28)
    assert services._valid_until(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 27)
    assert services._valid_until(dt.date(2026, 3, 1), None) is None


def test_it_records_the_issued_certificate_as_an_elicence(certificate: Certificate) -> None:
    licence = ELicence.objects.get(licence_type="food-business-licence", number=certificate.number)
    assert licence.holder_subject == certificate.holder_subject
    assert licence.source == "issued"
    assert licence.status == "valid"
    assert licence.valid_until == certificate.valid_until


def test_it_issues_to_a_person_with_their_id_number(matter: Matter, applicant: User) -> None:
    case = approved_case(matter=matter, user=applicant)
    certificate = services.certificate_issue(case=case)
    assert certificate is not None
    assert certificate.payload["holder"]["kind"] == "person"
    assert certificate.holder_subject == applicant.person.id_number
    assert certificate.holder_name == "张三"


def test_it_issues_nothing_when_the_matter_names_no_certificate(
    departments: dict[str, Department], applicant: User
) -> None:
    case = approved_case(matter=food_matter(certificate_type=None), user=applicant)
    assert services.certificate_issue(case=case) is None
    assert not Certificate.objects.exists()


def test_it_does_not_issue_twice_for_the_same_case(
    certificate: Certificate, enterprise_case: Case
) -> None:
    assert services.certificate_issue(case=enterprise_case) == certificate
    assert Certificate.objects.count() == 1


def test_a_fresh_certificate_verifies(certificate: Certificate) -> None:
    verdict = _verify(certificate)
    assert verdict.valid is True
    assert verdict.status == "valid"
    assert verdict.key_id == certificate.key_id


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["holder"].update(name="别的公司"),
        lambda p: p["fields"].update(business_scope="药品零售"),
        lambda p: p.update(valid_until="2099-12-31"),
        # Another last digit whatever the row id made it.
        lambda p: p.update(number=p["number"][:-1] + ("1" if p["number"][-1] == "0" else "0")),
    ],
    ids=["holder", "field", "validity", "number"],
)
def test_a_tampered_payload_is_invalid(certificate: Certificate, change: Any) -> None:
    payload = copy.deepcopy(certificate.payload)
    change(payload)
    verdict = services.certificate_verify_payload(payload=payload, signature=certificate.signature)
    assert verdict.valid is False
    assert "篡改" in verdict.reason


def test_a_tampered_signature_is_invalid(certificate: Certificate) -> None:
    raw = bytearray(signing.b64url_decode(certificate.signature))
    raw[10] ^= 0x01
    verdict = services.certificate_verify_payload(
        payload=certificate.payload, signature=signing.b64url_encode(bytes(raw))
    )
    assert verdict.valid is False
    assert "篡改" in verdict.reason


@pytest.mark.parametrize("signature", ["", "不是签名", "abc=", "!!!!"])
def test_a_malformed_signature_is_invalid(certificate: Certificate, signature: str) -> None:
    verdict = services.certificate_verify_payload(payload=certificate.payload, signature=signature)
    assert verdict.valid is False
    assert verdict.reason == "签名格式无效"


def test_an_unknown_key_id_is_invalid(certificate: Certificate) -> None:
    payload = {**certificate.payload, "kid": "ed25519-20990101-deadbeef"}
    verdict = services.certificate_verify_payload(payload=payload, signature=certificate.signature)
    assert verdict.valid is False
    assert verdict.reason.startswith("未知的签名密钥")


def test_a_payload_without_key_id_is_invalid(certificate: Certificate) -> None:
    payload = {k: v for k, v in certificate.payload.items() if k != "kid"}
    verdict = services.certificate_verify_payload(payload=payload, signature=certificate.signature)
    assert verdict.valid is False


def test_signing_uses_rfc8785_canonical_json(certificate: Certificate) -> None:
    # Key order and spacing of a copy do not matter: the canonical bytes do.
    reordered = dict(reversed(list(certificate.payload.items())))
    assert services.certificate_verify_payload(
        payload=reordered, signature=certificate.signature
    ).valid
    key = SigningKey.objects.get(key_id=certificate.key_id)
    public = signing._public_key(key.public_key)
    public.verify(
        signing.b64url_decode(certificate.signature), signing.canonical(certificate.payload)
    )


def test_private_keys_are_stored_encrypted(certificate: Certificate) -> None:
    key = SigningKey.objects.get(key_id=certificate.key_id)
    assert key.private_key_encrypted.startswith("gAAAAA")  # a Fernet token
    assert key.public_key not in key.private_key_encrypted


def test_a_changed_secret_refuses_to_sign_with_a_clear_error(
    certificate: Certificate, settings: Any, matter: Matter, applicant: User
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.TONGBAN_SIGNING_SECRET = "another-secret"
    with pytest.raises(ImproperlyConfigured, match="TONGBAN_SIGNING_SECRET"):
        services.certificate_issue(case=approved_case(matter=matter, user=applicant))
    # Verification needs only the public key, so old certificates still verify.
    assert _verify(certificate).valid


def test_key_rotation_keeps_older_certificates_valid(
    certificate: Certificate, matter: Matter, applicant: User
) -> None:
    old_kid = certificate.key_id
    new_key = services.keys_rotate()
    assert new_key.key_id != old_kid
    old_key = SigningKey.objects.get(key_id=old_kid)
    assert old_key.active is False
    assert old_key.retired_at is not None

    later = services.certificate_issue(case=approved_case(matter=matter, user=applicant))
    assert later is not None
    assert later.key_id == new_key.key_id
    assert later.payload["kid"] == new_key.key_id
    assert _verify(certificate).valid
    assert _verify(later).valid
    assert SigningKey.objects.filter(active=True).count() == 1


def test_the_first_signing_creates_a_key() -> None:
    assert not SigningKey.objects.exists()
    payload, signature = signing.payload_sign({"number": "X1"})
    assert SigningKey.objects.get().key_id == payload["kid"]
    assert signing.payload_verify(payload, signature).valid


def test_keys_rotate_command_prints_the_new_key_id(certificate: Certificate) -> None:
    out = StringIO()
    call_command("keys", "rotate", stdout=out)
    active = SigningKey.objects.get(active=True)
    assert active.key_id in out.getvalue()
    assert active.key_id != certificate.key_id
    listing = StringIO()
    call_command("keys", "list", stdout=listing)
    assert certificate.key_id in listing.getvalue()
    assert active.key_id in listing.getvalue()


def test_revocation_shows_on_verification(certificate: Certificate, approver: User) -> None:
    when = timezone.now()
    services.certificate_revoke(
        actor=approver, certificate=certificate, reason="以欺骗手段取得许可", now=when
    )
    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    assert certificate.revoked_at == when
    verdict = _verify(certificate)
    assert verdict.valid is False
    assert verdict.status == "revoked"
    assert verdict.reason == "证照已撤销"
    licence = ELicence.objects.get(number=certificate.number)
    assert licence.status == "revoked"


def test_a_supervisor_may_revoke(certificate: Certificate, supervisor: User) -> None:
    services.certificate_revoke(actor=supervisor, certificate=certificate, reason="监管撤销")
    certificate.refresh_from_db()
    assert certificate.status == "revoked"


@pytest.mark.parametrize("who", ["clerk", "reviewer", "police_clerk", "agent_user", "outsider"])
def test_revoke_refuses_anyone_but_issuing_approvers_and_supervisors(
    certificate: Certificate, who: str, request: pytest.FixtureRequest
) -> None:
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.certificate_revoke(actor=actor, certificate=certificate, reason="理由")
    certificate.refresh_from_db()
    assert certificate.status == "valid"


@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
def test_revoke_refuses_a_missing_or_long_reason(
    certificate: Certificate, approver: User, reason: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.certificate_revoke(actor=approver, certificate=certificate, reason=reason)
    assert info.value.errors[0].field == "reason"
    certificate.refresh_from_db()
    assert certificate.status == "valid"


def test_revoke_refuses_a_revoked_certificate(certificate: Certificate, approver: User) -> None:
    services.certificate_revoke(actor=approver, certificate=certificate, reason="第一次")
    with pytest.raises(InvalidStateChange):
        services.certificate_revoke(actor=approver, certificate=certificate, reason="第二次")


def test_reissue_replaces_and_revokes_the_old_certificate(certificate: Certificate) -> None:
    fields = {**certificate.fields, "business_scope": "热食类食品制售；冷食类食品制售"}
    new = services.certificate_reissue(certificate=certificate, fields=fields, reason="增加项目")
    certificate.refresh_from_db()
    assert new.replaces == certificate
    assert new.number != certificate.number
    assert new.payload["replaces"] == certificate.number
    assert _verify(new).valid
    assert certificate.status == "revoked"
    assert new.number in certificate.revocation_reason
    assert not _verify(certificate).valid


def test_reissue_refuses_a_missing_reason(certificate: Certificate) -> None:
    with pytest.raises(ValidationFailed):
        services.certificate_reissue(certificate=certificate, fields={}, reason="")
    assert Certificate.objects.count() == 1


def test_an_expired_certificate_does_not_verify(certificate: Certificate) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=dt.date(2020, 1, 1))
    verdict = _verify(certificate)
    assert verdict.valid is False
    assert verdict.status == "expired"
