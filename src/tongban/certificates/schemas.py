"""Request and response shapes of the certificates and verification API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class CodeNameOut(Schema):
    code: str
    name: str


class HolderOut(Schema):
    kind: str = Field(description="enterprise | person")
    name: str
    subject: str = Field(description="统一社会信用代码或公民身份号码（公开核验时脱敏）")


class CertificateOut(Schema):
    number: str
    type: CodeNameOut
    holder: HolderOut
    issuer: CodeNameOut
    status: str = Field(description="valid | revoked | expired")
    issued_at: datetime
    valid_until: date | None
    revoked_at: datetime | None
    revocation_reason: str | None
    key_id: str
    payload: dict[str, Any] = Field(description="签名的内容：POST /verify 离线核验时原样提交")
    signature: str = Field(description="Ed25519 签名（base64url）")
    pdf_url: str


class PublicVerdictOut(Schema):
    number: str
    valid: bool
    status: str = Field(description="valid | revoked | expired | invalid")
    status_label: str
    holder: HolderOut
    type: CodeNameOut
    issuer: CodeNameOut
    issued_at: datetime
    valid_until: date | None
    revoked_at: datetime | None
    revocation_reason: str | None
    key_id: str


class VerifyIn(Schema):
    payload: dict[str, Any] = Field(
        description="证照的签名内容（GET /certificates/{no} 的 payload）"
    )
    signature: str = Field(min_length=1, max_length=200, description="base64url 签名")


class VerifyOut(Schema):
    valid: bool
    reason: str
    status: str = Field(description="valid | revoked | expired | invalid | unknown")
    key_id: str
