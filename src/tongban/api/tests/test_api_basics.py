import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_openapi_schema_is_served_as_openapi_3():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/matters" in schema["paths"]


@pytest.mark.django_db
def test_it_serves_the_api_docs_without_any_cdn():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    external = [
        url
        for url in re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
        if not url.startswith("http://testserver")
    ]
    assert external == []
    assert "swagger-ui-bundle.js" in html


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_problem_json_404_or_plain_404():
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404


@pytest.mark.django_db
def test_protected_endpoint_without_credentials_is_a_401_problem():
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401
    assert body["title"]
    assert body["errors"] == []
