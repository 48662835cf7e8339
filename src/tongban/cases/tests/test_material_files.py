"""Uploaded materials only through access-checked views; never at a public /media/ URL."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import Resolver404, clear_url_caches, resolve

import tongban.urls
from tongban.cases import services
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.tests.conftest import VALID_FORM
from tongban.cases.tests.factories import PDF_BYTES, case_submitted, pdf_file
from tongban.catalog.models import Matter
from tongban.identity.models import User

Headers = Callable[[User], dict[str, str]]


def _material(case: Case) -> CaseMaterial:
    return case.materials.get(requirement_code="application-form")


def _portal(case: Case, material: CaseMaterial) -> str:
    return f"/my/cases/{case.pk}/materials/{material.pk}/"


def _api(case: Case) -> str:
    return f"/api/v1/applications/{case.pk}/materials/application-form/file"


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _assert_private(response: Any) -> None:
    assert response.status_code == 200
    assert _body(response) == PDF_BYTES
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline;")
    assert "filename" in response["Content-Disposition"]


def test_the_applicant_gets_the_file_on_the_page_and_over_the_api(
    applicant: User, drainage: Matter, api_client: Client, bearer: Headers
) -> None:
    case = case_submitted(applicant=applicant)
    material = _material(case)
    page = _signed_in(applicant).get(f"/my/cases/{case.pk}/")
    assert _portal(case, material) in page.content.decode()
    _assert_private(_signed_in(applicant).get(_portal(case, material)))

    detail = api_client.get(f"/api/v1/applications/{case.pk}", **bearer(applicant)).json()
    row = next(m for m in detail["materials"] if m["requirement"] == "application-form")
    assert row["file_url"] == _api(case)
    missing = next(m for m in detail["materials"] if m["requirement"] == "site-photo")
    assert missing["file_url"] is None
    _assert_private(api_client.get(row["file_url"], **bearer(applicant)))


def test_the_enterprise_agent_gets_the_file(
    agent_user: User, drainage: Matter, api_client: Client, bearer: Headers
) -> None:
    uscc = agent_user.agencies.get().enterprise.uscc
    case = services.case_create(
        actor=agent_user,
        matter_code="drainage-permit",
        applicant={"type": "enterprise", "uscc": uscc},
        form=dict(VALID_FORM),
    )
    services.material_upload(
        actor=agent_user, case=case, requirement_code="application-form", file=pdf_file()
    )
    _assert_private(_signed_in(agent_user).get(_portal(case, _material(case))))
    _assert_private(api_client.get(_api(case), **bearer(agent_user)))


def test_staff_of_the_department_get_the_file_over_the_api(
    applicant: User, clerk: User, drainage: Matter, api_client: Client, bearer: Headers
) -> None:
    case = case_submitted(applicant=applicant)
    _assert_private(api_client.get(_api(case), **bearer(clerk)))


def test_outsiders_anonymous_and_other_departments_are_refused(
    applicant: User,
    outsider: User,
    police_clerk: User,
    drainage: Matter,
    api_client: Client,
    bearer: Headers,
) -> None:
    case = case_submitted(applicant=applicant)
    url = _portal(case, _material(case))
    assert _signed_in(outsider).get(url).status_code == 404
    assert _signed_in(police_clerk).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert api_client.get(_api(case), **bearer(outsider)).status_code == 404
    assert api_client.get(_api(case), **bearer(police_clerk)).status_code == 404
    assert api_client.get(_api(case)).status_code == 401
    for bad in ("no-such", "a%00b", "x" * 300):
        response = api_client.get(
            f"/api/v1/applications/{case.pk}/materials/{bad}/file", **bearer(applicant)
        )
        assert response.status_code == 404


@pytest.fixture
def debug_urls(settings: Any) -> Iterator[None]:
    settings.DEBUG = True
    importlib.reload(tongban.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(tongban.urls)
    clear_url_caches()


def test_media_serves_no_material_even_under_debug(
    debug_urls: None, applicant: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    name = _material(case).file.name
    assert name.startswith("materials/")
    with pytest.raises(Resolver404):
        resolve(f"/media/{name}")
    assert Client().get(f"/media/{name}").status_code == 404
    assert _signed_in(applicant).get(f"/media/{name}").status_code == 404
