"""One open application per company name: within 开办企业 and on its own, normalised."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from tongban.cases import services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.cases.tests.test_parties import TRANSFER, transfer_form, transfer_matter
from tongban.cases.tests.test_themes import (
    _applied,
    _children,
    _create,
    _schema_form,
    _submit,
    _upload_missing,
    _user,
    demo,
)
from tongban.core.errors import Conflict
from tongban.identity.models import User

__all__ = ["demo"]

Headers = Callable[[User], dict[str, str]]


def _theme_draft(client: Client, bearer: Headers, user: str, **form: Any) -> dict[str, Any]:
    headers = bearer(_user(user))
    response = _create(
        client, headers, {"theme": "open-company", "form": {**_schema_form("open-company"), **form}}
    )
    assert response.status_code == 201, response.json()
    case = dict(response.json())
    _upload_missing(client, headers, case)
    return case


@pytest.mark.django_db
def test_a_second_company_opening_with_the_same_name_is_refused_naming_the_first(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    first = _applied(api_client, bearer, "open-company", _schema_form("open-company"))
    # Another person types the same name with the long legal form and a full-width space.
    second = _theme_draft(
        api_client, bearer, "citizen2", company_name="上海嘉定示范科技　有限责任公司"
    )

    response = _submit(api_client, bearer(_user("citizen2")), second["id"])

    assert response.status_code == 409, response.json()
    problem = response.json()
    assert first["case_no"] in problem["detail"] and "企业名称" in problem["detail"]
    case = Case.objects.get(pk=second["id"])
    assert case.status == CaseStatus.DRAFT and case.submitted_at is None
    assert {(c.status, c.object_key) for c in _children(second["id"])} == {(CaseStatus.DRAFT, "")}


@pytest.mark.django_db
def test_a_registration_on_its_own_meets_the_same_rule(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    first = _applied(api_client, bearer, "open-company", _schema_form("open-company"))
    registration = _children(first["id"])[0]
    headers = bearer(_user("citizen2"))
    response = _create(
        api_client,
        headers,
        {"matter": "company-registration", "form": dict(registration.form_data)},
    )
    assert response.status_code == 201, response.json()
    _upload_missing(api_client, headers, response.json())

    refused = _submit(api_client, headers, response.json()["id"])

    assert refused.status_code == 409
    assert first["case_no"] in refused.json()["detail"]
    assert Case.objects.get(pk=response.json()["id"]).status == CaseStatus.DRAFT


@pytest.mark.django_db
def test_a_withdrawn_company_opening_frees_its_name(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    first = _applied(api_client, bearer, "open-company", _schema_form("open-company"))
    withdrawn = api_client.post(
        f"/api/v1/applications/{first['id']}/withdraw",
        {"reason": "改名"},
        content_type="application/json",
        **bearer(_user("citizen")),
    )
    assert withdrawn.status_code == 200, withdrawn.json()
    second = _theme_draft(api_client, bearer, "citizen2")

    response = _submit(api_client, bearer(_user("citizen2")), second["id"])

    assert response.status_code == 200, response.json()
    assert {c.object_key for c in _children(second["id"]) if c.object_key} == {
        "上海嘉定示范科技有限公司"
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL"
)
def test_two_concurrent_applications_for_one_property_give_one_winner(
    departments: Any, applicant: User
) -> None:
    transfer_matter()
    # The same certificate typed in two ways: full-width and half-width brackets.
    drafts = [
        services.case_create(
            actor=applicant,
            matter_code=TRANSFER,
            form=transfer_form(property_certificate_no=number),
        )
        for number in ("沪(2024)嘉字不动产权第001234号", "沪（2024）嘉字不动产权第001234号")
    ]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def submit(case: Case) -> None:
        try:
            barrier.wait()
            services.case_submit(actor=applicant, case=Case.objects.get(pk=case.pk))
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(case,)) for case in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    assert Case.objects.exclude(status=CaseStatus.DRAFT).count() == 1
