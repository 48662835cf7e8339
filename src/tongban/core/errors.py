"""The one family of domain errors.

Services raise these; a single handler in ``tongban.api`` turns them into
RFC 7807 problem JSON, and pages show their message.  Messages are
translatable, Chinese first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str | Promise

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": str(self.message)}


class DomainError(Exception):
    """A business rule refused the operation. Nothing was changed."""

    status = 400
    type_slug = "domain-error"
    default_title = "请求无法处理"

    def __init__(
        self,
        detail: str | Promise,
        *,
        errors: list[FieldError] | None = None,
        title: str | Promise | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.detail = detail
        self.errors = errors or []
        self.title = title
        self.extra = extra or {}

    def field_errors(self) -> list[dict[str, str]]:
        return [e.as_dict() for e in self.errors]


class ValidationFailed(DomainError):
    """Input broke a rule of its own (a field value, a schema)."""

    status = 422
    type_slug = "validation-error"
    default_title = "输入有误"


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists."""

    status = 404
    type_slug = "not-found"
    default_title = "未找到"


class PermissionDenied(DomainError):
    status = 403
    type_slug = "forbidden"
    default_title = "无权操作"


class Conflict(DomainError):
    """A concurrent change or a repeated action: the state moved on."""

    status = 409
    type_slug = "conflict"
    default_title = "状态冲突"


class InvalidStateChange(Conflict):
    type_slug = "invalid-state-change"
    default_title = "当前状态不允许此操作"


class AuthenticationFailed(DomainError):
    """The credentials were wrong (or the account is inactive)."""

    status = 401
    type_slug = "authentication-failed"
    default_title = "身份验证失败"


class TooManyAttempts(DomainError):
    """Sign-in is locked after repeated failures; the caller must wait."""

    status = 429
    type_slug = "too-many-attempts"
    default_title = "尝试次数过多"
