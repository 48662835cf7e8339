"""Certificates and their public verification over HTTP: thin handlers over services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router

from tongban.catalog.models import localized
from tongban.certificates import selectors, services
from tongban.certificates.models import Certificate
from tongban.certificates.pdf import certificate_pdf
from tongban.certificates.schemas import (
    CertificateOut,
    KeysOut,
    PublicVerdictOut,
    VerifyIn,
    VerifyOut,
)
from tongban.identity.auth import signed_in
from tongban.identity.models import User

router = Router(tags=["certificates"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def certificate_out(certificate: Certificate) -> dict[str, Any]:
    """The whole certificate as its holder or the issuing staff see it."""
    holder = certificate.payload.get("holder") or {}
    return {
        "number": certificate.number,
        "type": {
            "code": certificate.certificate_type.code,
            "name": localized(certificate.certificate_type, "name"),
        },
        "holder": {
            "kind": str(holder.get("kind", "")),
            "name": certificate.holder_name,
            "subject": certificate.holder_subject,
        },
        "issuer": {"code": certificate.issuer.code, "name": localized(certificate.issuer, "name")},
        "status": services.certificate_status(certificate),
        "issued_at": certificate.issued_at,
        "valid_until": certificate.valid_until,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason or None,
        "key_id": certificate.key_id,
        "payload": certificate.payload,
        "signature": certificate.signature,
        "pdf_url": reverse("api:certificate_pdf", kwargs={"number": certificate.number}),
    }


@router.get("/certificates/keys", response=KeysOut, auth=None, url_name="certificate_keys")
def certificate_keys(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """The issuer's public keys (JWKS-style), to verify certificates offline."""
    response["Cache-Control"] = "public, max-age=300"
    return selectors.keys_document()


@router.get(
    "/certificates/{number}", response=CertificateOut, auth=signed_in, url_name="certificate_get"
)
def certificate_get(request: HttpRequest, number: str) -> dict[str, Any]:
    certificate = selectors.certificate_get_for_user(user=_user(request), number=number)
    return certificate_out(certificate)


@router.get("/certificates/{number}/pdf", auth=signed_in, url_name="certificate_pdf")
def certificate_pdf_get(request: HttpRequest, number: str) -> HttpResponse:
    certificate = selectors.certificate_get_for_user(user=_user(request), number=number)
    response = HttpResponse(
        certificate_pdf(certificate=certificate), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/verify/{number}", response=PublicVerdictOut, auth=None, url_name="verify_number")
def verify_number(request: HttpRequest, number: str) -> dict[str, Any]:
    return selectors.certificate_public(number=number)


@router.post("/verify", response=VerifyOut, auth=None, url_name="verify_payload")
def verify_payload(request: HttpRequest, body: VerifyIn) -> dict[str, Any]:
    verdict = services.certificate_verify_payload(payload=body.payload, signature=body.signature)
    return {
        "valid": verdict.valid,
        "reason": verdict.reason,
        "status": verdict.status,
        "key_id": verdict.key_id,
    }
