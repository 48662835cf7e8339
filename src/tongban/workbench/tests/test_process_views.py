"""The process viewer pages and the case's diagram on the staff case page (django Client)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tongban.cases import services as case_services
from tongban.cases.choices import TaskKind, TaskState
from tongban.cases.models import Case
from tongban.identity.models import User
from tongban.workbench.tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_staff_see_every_process_and_decision_table(clerk: User) -> None:
    response = signed_in(clerk).get("/workbench/processes/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("standard_approval", "joint_review", "instant", "credit_route"):
        assert f'data-process="{name}"' in html
    assert "/workbench/processes/standard_approval/1/" in html


def test_a_bpmn_version_is_drawn_with_its_nodes_listed(clerk: User) -> None:
    response = signed_in(clerk).get("/workbench/processes/standard_approval/1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="bpmn"' in html
    assert 'data-xml-url="/api/v1/processes/standard_approval/versions/1"' in html
    assert "bpmn-navigated-viewer.production.min.js" in html
    # The text alternative: every node with its name and lane.
    assert "<code>review</code>" in html and "审查" in html and "窗口受理" in html
    assert "<script>" not in html and " style=" not in html


def test_a_decision_table_is_drawn_with_the_dmn_viewer(clerk: User) -> None:
    response = signed_in(clerk).get("/workbench/processes/credit_route/1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="dmn"' in html and "dmn-navigated-viewer.production.min.js" in html


@pytest.mark.parametrize(
    "path",
    [
        "/workbench/processes/no_such/1/",
        "/workbench/processes/standard_approval/9/",
        "/workbench/processes/standard_approval/99999999999999999999/",
    ],
)
def test_an_unknown_process_or_version_is_a_404(clerk: User, path: str) -> None:
    assert signed_in(clerk).get(path).status_code == 404


def test_citizens_do_not_get_the_staff_viewer(outsider: User) -> None:
    assert signed_in(outsider).get("/workbench/processes/").status_code == 403
    assert Client().get("/workbench/processes/").status_code == 302


def test_the_staff_case_page_draws_the_case_with_who_and_when(
    submitted_case: Case, clerk: User
) -> None:
    task = submitted_case.tasks.get(kind=TaskKind.ACCEPT, state=TaskState.OPEN)
    case_services.task_complete(actor=clerk, task=task, decision="accept", comment="齐全")
    response = signed_in(clerk).get(f"/workbench/cases/{submitted_case.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-position-url="/api/v1/applications/{submitted_case.pk}/position"' in html
    assert 'id="position-steps"' in html
    # Done with who and what; the review waits now.
    assert "办理人：market-clerk" in html
    assert 'data-node="review"' in html and 'aria-current="step"' in html


def test_the_english_page_labels_the_diagram_in_english(submitted_case: Case, clerk: User) -> None:
    client = signed_in(clerk)
    with translation.override("en"):
        response = client.get(f"/workbench/cases/{submitted_case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "data-labels=" in html and "Acceptance" in html
