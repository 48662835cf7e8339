import json

from django.test import RequestFactory

from tongban.core.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from tongban.core.problems import domain_error_response


def test_each_domain_error_has_its_http_status() -> None:
    assert [
        cls.status
        for cls in (
            DomainError,
            AuthenticationFailed,
            PermissionDenied,
            NotFound,
            Conflict,
            ValidationFailed,
            TooManyAttempts,
        )
    ] == [400, 401, 403, 404, 409, 422, 429]


def test_a_domain_error_becomes_problem_json_with_field_errors() -> None:
    exc = AuthenticationFailed(
        "用户名或密码错误", errors=[FieldError("password", "用户名或密码错误")]
    )
    response = domain_error_response(RequestFactory().get("/api/v1/x"), exc)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content) == {
        "type": "/problems/authentication-failed",
        "title": "身份验证失败",
        "status": 401,
        "detail": "用户名或密码错误",
        "errors": [{"field": "password", "message": "用户名或密码错误"}],
    }
