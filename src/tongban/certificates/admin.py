"""Certificates and signing keys in the admin: read-only, because every change must be signed.

Issuing, revoking and rotating go through the services (and `tongban keys rotate`), which
sign and record what they do; an edit here would silently break a signature.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongban.certificates.models import Certificate, SigningKey
from tongban.identity.masking import mask_id_number


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "certificate_type",
        "holder_name",
        "masked_subject",
        "issuer",
        "issued_at",
        "valid_until",
        "status",
        "key_id",
    )
    list_filter = ("status", "certificate_type", "issuer")
    # Exact matches only on the holder's number, so the list never leaks numbers by prefix.
    search_fields = ("number", "holder_name", "=holder_subject")
    date_hierarchy = "issued_at"
    exclude = ("holder_subject",)
    readonly_fields = (
        "number",
        "certificate_type",
        "case",
        "issuer",
        "holder_name",
        "masked_subject",
        "fields",
        "issued_at",
        "valid_until",
        "payload",
        "signature",
        "key_id",
        "status",
        "revoked_at",
        "revocation_reason",
        "replaces",
    )

    @admin.display(description=_("持证主体标识"))
    def masked_subject(self, obj: Certificate) -> str:
        return mask_id_number(obj.holder_subject)


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "algorithm", "active", "created_at", "retired_at", "revoked_at")
    list_filter = ("algorithm", "active")
    # The encrypted private key is never shown, not even as ciphertext.
    fields = (
        "key_id",
        "algorithm",
        "public_key",
        "active",
        "created_at",
        "retired_at",
        "revoked_at",
        "revocation_reason",
    )
    readonly_fields = fields
