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
    signature: str = Field(
        description=(
            "签名（base64url）：Ed25519 为 64 字节，SM2 为 DER 编码；密钥见 GET /certificates/keys"
        )
    )
    pdf_url: str


class PublicVerdictOut(Schema):
    number: str
    valid: bool
    status: str = Field(description="valid | revoked | expired | invalid")
    status_label: str
    reason: str = Field(
        description="签名校验结论；status 为 invalid 时说明哪里不符（签名、密钥或数据库记录）"
    )
    holder: HolderOut | None = Field(
        description="取自已验证的签名内容（脱敏）；签名校验失败时为 null"
    )
    type: CodeNameOut | None = Field(description="取自签名内容；签名校验失败时为 null")
    issuer: CodeNameOut | None = Field(description="取自签名内容；签名校验失败时为 null")
    issued_at: datetime | None = Field(description="取自签名内容；签名校验失败时为 null")
    valid_until: date | None
    revoked_at: datetime | None
    revocation_reason: str | None
    key_id: str
    alg: str = Field(description="EdDSA | SM3withSM2；签名校验失败时为空")


class SigningKeyOut(Schema):
    """One issuer key as a JWK (RFC 7517), plus its validity and status."""

    kid: str
    kty: str = Field(description="OKP（Ed25519，RFC 8037）| EC（SM2）")
    crv: str = Field(description="Ed25519 | SM2")
    x: str = Field(description="base64url：Ed25519 公钥；SM2 公钥点的 x 坐标")
    y: str | None = Field(None, description="base64url：SM2 公钥点的 y 坐标")
    alg: str = Field(description="EdDSA | SM3withSM2")
    use: str = "sig"
    sm2_id: str | None = Field(None, description="SM2 签名者标识（默认 1234567812345678）")
    status: str = Field(description="active | retired | revoked")
    not_before: datetime = Field(description="启用时间")
    not_after: datetime | None = Field(description="停用时间（此后不再签名）；在用时为 null")
    revoked_at: datetime | None = Field(description="吊销时间：其签名一概不再可信")
    spki_pem: str = Field(description="同一公钥的 SubjectPublicKeyInfo PEM（供 openssl 使用）")
    public_key: str = Field(
        description="原始公钥（base64url；Ed25519 为 32 字节，SM2 为 64 字节 x‖y）"
    )


class KeysOut(Schema):
    keys: list[SigningKeyOut]


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
