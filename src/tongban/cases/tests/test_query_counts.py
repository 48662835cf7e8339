"""The SQL a case costs, request by request: counted so that it cannot creep back.

Each count is the queries of one API request through the test client (SQLite: a transaction
is ``BEGIN``/``COMMIT``, a savepoint ``SAVEPOINT``/``RELEASE``; each request commits, as on
a server). The comment above each count lists what
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
from tongban.cases.tests.conftest import VALID_FORM
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Matter
from tongban.identity.models import User

# Each request commits, as on a server (inside one test transaction, commit callbacks and
# the outbox grouping they carry would span requests).
pytestmark = pytest.mark.django_db(transaction=True)

MATERIALS = ("application-form", "pipe-network-map")


def _counted(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return answer, [q["sql"] for q in queries.captured_queries]


def _case_path(client: Client, me: dict[str, str], clerk: dict[str, str]) -> dict[str, Any]:
    """One case through create, uploads, submit, accept and reads: each step's SQL.

    The answers built from what the operation held are checked against a fresh read.
    """
    steps: dict[str, Any] = {}
    created, steps["create"] = _counted(lambda: create(client, me))
    assert created.status_code == 201, created.json()
    case = created.json()
    url = f"/api/v1/applications/{case['id']}"
    assert client.get(url, **me).json() == case
    steps["upload"] = []
    for code in MATERIALS:
        uploaded, sql = _counted(lambda code=code: upload(client, me, case["id"], code, pdf_file()))
        assert uploaded.status_code == 201, uploaded.json()
        steps["upload"].append(sql)
    submitted, steps["submit"] = _counted(lambda: client.post(f"{url}/submit", **me))
    assert submitted.status_code == 200, submitted.json()
    assert client.get(url, **me).json() == submitted.json()
    task_id = open_task_id(client, clerk, case["case_no"])
    accepted, steps["accept"] = _counted(
        lambda: complete(client, clerk, task_id, {"decision": "accept"})
    )
    assert accepted.status_code == 200, accepted.json()
    done = client.get("/api/v1/tasks?state=completed", **clerk).json()
    fresh = next(t for t in done if t["id"] == task_id)
    assert fresh == accepted.json()
    assert accepted.json()["case_status"] == "under_review"
    read, steps["get"] = _counted(lambda: client.get(url, **me))
    assert read.status_code == 200
    assert read.json()["status"] == "under_review"
    read, steps["get_staff"] = _counted(lambda: client.get(url, **clerk))
    assert read.status_code == 200
    return steps


def test_the_case_path_costs_the_queries_counted_here(
    api_client: Client, bearer: Headers, applicant: User, clerk: User, drainage: Matter
) -> None:
    me, clerk_h = bearer(applicant), bearer(clerk)
    _case_path(api_client, me, clerk_h)  # stores the release's definitions, warms caches
    path_sql = _case_path(api_client, me, clerk_h)
    _create_costs_eleven_queries(path_sql)
    _an_upload_costs_seven_queries(path_sql)
    _submit_costs_twenty_four_queries(path_sql)
    _accept_costs_twenty_five_queries(path_sql)
    _reading_a_case_costs_seven_queries(path_sql)


def _create_costs_eleven_queries(path_sql: dict[str, Any]) -> None:
    # 1 the bearer token with its user and the user's staff post (one join; none here)
    # 2 BEGIN (the create's transaction)
    # 3 the matter's latest published version with its matter, department and section
    # 4 the applicant's person record
    # 5 INSERT the case  6 UPDATE its case number (it is made of the new id)
    # 7 INSERT the materials (one bulk insert)  8 INSERT the timeline entry "created"
    # 9 COMMIT; no sharing look-up: nothing in this guide is shared
    # the answer: 10 materials, 11 timeline; a draft has no tasks, supplement, certificates,
    # payment or parcel to look up
    assert len(path_sql["create"]) == 11, path_sql["create"]


def _an_upload_costs_seven_queries(path_sql: dict[str, Any]) -> None:
    # 1 token  2 the access check on the case's owner columns only  3 BEGIN
    # 4 the case locked, with matter, version and department  5 the material row locked
    # 6 UPDATE the material  7 COMMIT
    for sql in path_sql["upload"]:
        assert len(sql) == 7, sql


def _submit_costs_twenty_four_queries(path_sql: dict[str, Any]) -> None:
    # 1 token (with the staff post)  2 access check (owner columns)  3 BEGIN  4 the case
    # locked (matter, version, department, the applicant's account, person and enterprise)
    # 5 the materials (completeness)  6 credit records  7 the credit route's decision table in
    # force  8 supplements (read once: the acceptance limit's suspensions and the answer)
    # 9 the year's working-day calendar (the year and its days in one)  10 SAVEPOINT  11 the
    # process definition in force  12 INSERT the process instance  13 INSERT its first node
    # visits  14 the heat map's daily rollup (one upsert)  15 RELEASE  16 UPDATE the case
    # 17 INSERT the accept task (a process started now has no task rows to compare with)
    # 18 INSERT the timeline entry "submitted"; the statistics receiver, on the case the step
    # holds: 19 shared materials  20 data look-ups  21 the day's rollup row (one upsert)
    # 22 COMMIT
    # the answer, from the locked case: 23 materials  24 timeline (the tasks are the ones
    # made at 17; outputs: none before acceptance; the open supplement from 8; the post from 1)
    assert len(path_sql["submit"]) == 24, "\n".join(q[:150] for q in path_sql["submit"])


def _accept_costs_twenty_five_queries(path_sql: dict[str, Any]) -> None:
    # 1 token with the clerk's staff post  2 the task of the clerk's department (key columns)
    # 3 BEGIN  4 the case locked (with the applicant's account, person and enterprise)
    # 5 the task locked  6 the clerk's roles (once)  7 the process instance  8 UPDATE its
    # state  9 INSERT the node visit  10-11 UPDATE the visits left (completed, cancelled; the
    # completed one gives back its day reached and flow for the heat map's rollup)  12 the
    # rollup (one upsert)  13 UPDATE the task  14 INSERT the timeline entry "accepted"; the
    # evaluation receiver: 15 INSERT the invitation unless the case has one for the stage (one
    # statement: ON CONFLICT DO NOTHING)  16 INSERT the notification  17 INSERT its outbox
    # task; the statistics receiver, on the case the step holds: 18 the day's rollup row (one
    # upsert)  19 supplements (read once: deadlines and SLA colour)  20 the calendar (the year
    # and its days in one)  21 UPDATE the case with its new deadlines (one UPDATE)  22 the
    # case's open tasks and those already mirrored, with their due dates (one read for the
    # sync and the due dates)  23 INSERT the review task  24 INSERT the step's notices (every
    # event of the step in one; sent by the invitation's task, queued for the same person in
    # this transaction at 17)  25 COMMIT
    # the answer: the task the service completed, with its case: no query
    assert len(path_sql["accept"]) == 25, "\n".join(q[:130] for q in path_sql["accept"])


def _reading_a_case_costs_seven_queries(path_sql: dict[str, Any]) -> None:
    # 1 token (with the staff post)  2 the case with matter, version, department, enterprise
    # 3 open supplement  4 tasks (list and steps: one read)  5 payment order  6 materials
    # 7 timeline; no certificate or parcel before the decision (they come with the approval)
    assert len(path_sql["get"]) == 7, path_sql["get"]
    # staff: + the department's task on the case (access), once: the timeline's own staff
    # question is answered from the case object; no agent check for a staff member
    assert len(path_sql["get_staff"]) == 8, path_sql["get_staff"]


def _decision_path(
    client: Client, me: dict[str, str], staff: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    """A licence case through review and approval (the certificate issued): each step's SQL."""
    case = create(client, me, {"matter": "drainage-licence-free", "form": VALID_FORM}).json()
    for code in MATERIALS:
        assert upload(client, me, case["id"], code, pdf_file()).status_code == 201
    assert client.post(f"/api/v1/applications/{case['id']}/submit", **me).status_code == 200
    steps: dict[str, list[str]] = {}
    for kind, decision in (("accept", "accept"), ("review", "pass"), ("decide", "approve")):
        task_id = open_task_id(client, staff[kind], case["case_no"])
        done, steps[kind] = _counted(
            lambda task_id=task_id, kind=kind, decision=decision: complete(
                client, staff[kind], task_id, {"decision": decision}
            )
        )
        assert done.status_code == 200, done.json()
    answer = client.get(f"/api/v1/applications/{case['id']}", **me).json()
    assert answer["status"] == "completed" and len(answer["certificates"]) == 1
    return steps


def test_review_and_approval_cost_the_queries_counted_here(
    api_client: Client,
    bearer: Headers,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    free_permit: Matter,
) -> None:
    me = bearer(applicant)
    staff = {"accept": bearer(clerk), "review": bearer(reviewer), "decide": bearer(approver)}
    _decision_path(api_client, me, staff)  # warms the caches up (the signing key too)
    path_sql = _decision_path(api_client, me, staff)
    # review: 1 token  2 the task (key columns)  3 BEGIN  4 the case locked  5 the task
    # locked  6 the reviewer's roles  7 the process instance  8 UPDATE its state  9 INSERT the
    # node visit  10 UPDATE the visit left (giving back what the heat map counts)  11 the
    # heat map's rollup  12 UPDATE the task  13 INSERT the timeline entry  14 supplements
    # 15 the calendar  16 UPDATE the case  17 the case's tasks (sync)  18 INSERT the decide
    # task  19 COMMIT
    assert len(path_sql["review"]) == 19, "\n".join(q[:130] for q in path_sql["review"])
    # approval: 1-13 as the review; the statistics receiver of "approved": 14 the case's
    # supplements (the working days taken)  15-18 the day's row, the duration bucket, the
    # version's day and its bucket (one upsert each; the version from the instance held)
    # 19 deferred materials (a licence waits for them)  20 SAVEPOINT (the certificate)
    # 21 its type  22 one valid already (never issue twice)  23 INSERT it (its number is made
    # of its id)  24 UPDATE its number and signature (the signing key in force is remembered
    # by the process)  25 the issuing department (e-licence library)  26 the e-licence (one
    # upsert)  27 RELEASE  28 INSERT the timeline entry "issued"; the evaluation receiver:
    # 29 INSERT the invitation  30 INSERT its notification  31 its outbox task; statistics:
    # 32 the day's row; delivered electronically, so completed at once: 33 INSERT the
    # timeline entry "completed"  34 the invitation for the same stage (ON CONFLICT: nothing)
    # 35-36 statistics' facts (a supplement before? visits)  37 the day's row
    # 38 supplements (deadlines)  39 the calendar  40 UPDATE the case  41 the case's tasks
    # (sync)  42 INSERT the step's notices (approved, issued, completed; sent by the task
    # of 31)  43 COMMIT
    assert len(path_sql["decide"]) == 43, "\n".join(q[:130] for q in path_sql["decide"])
