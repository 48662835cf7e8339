"""The SQL a case costs, request by request: counted so that it cannot creep back.

Each count is the queries of one API request through the test client (SQLite: a transaction
is ``BEGIN``/``COMMIT``, a savepoint ``SAVEPOINT``/``RELEASE``; inside the test's own
transaction the outer ones become savepoints too). The comment above each count lists what
every query is for: a new query on this path has to be added there, with its reason.

The second case of a run is the one counted: the first stores the release's process and
decision files (once per database) and warms the per-process caches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.cases.tests.api_helpers import Headers, complete, create, open_task_id, upload
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Matter
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

MATERIALS = ("application-form", "pipe-network-map")


def _counted(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return answer, [q["sql"] for q in queries.captured_queries]


def _case_path(client: Client, me: dict[str, str], clerk: dict[str, str]) -> dict[str, Any]:
    """One case through create, uploads, submit, accept and a read: each step's SQL."""
    steps: dict[str, Any] = {}
    created, steps["create"] = _counted(lambda: create(client, me))
    assert created.status_code == 201, created.json()
    case = created.json()
    steps["upload"] = []
    for code in MATERIALS:
        uploaded, sql = _counted(lambda code=code: upload(client, me, case["id"], code, pdf_file()))
        assert uploaded.status_code == 201, uploaded.json()
        steps["upload"].append(sql)
    url = f"/api/v1/applications/{case['id']}"
    submitted, steps["submit"] = _counted(lambda: client.post(f"{url}/submit", **me))
    assert submitted.status_code == 200, submitted.json()
    task_id = open_task_id(client, clerk, case["case_no"])
    accepted, steps["accept"] = _counted(
        lambda: complete(client, clerk, task_id, {"decision": "accept"})
    )
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["case_status"] == "under_review"
    read, steps["get"] = _counted(lambda: client.get(url, **me))
    assert read.status_code == 200
    assert read.json()["status"] == "under_review"
    read, steps["get_staff"] = _counted(lambda: client.get(url, **clerk))
    assert read.status_code == 200
    return steps


@pytest.fixture
def path_sql(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> dict[str, Any]:
    me, clerk_h = bearer(applicant), bearer(clerk)
    _case_path(api_client, me, clerk_h)  # stores the release's definitions, warms caches
    return _case_path(api_client, me, clerk_h)


def test_print(path_sql: dict[str, Any]) -> None:
    for name, sql in path_sql.items():
        if name == "upload":
            sql = sql[0]
        print(name.upper(), len(sql))
        print("\n".join(s[:140] for s in sql))
    raise AssertionError
