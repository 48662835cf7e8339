"""The credit-route decision table (credit_route.dmn) and the credit routes of standard_approval."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tongban.core.errors import ValidationFailed
from tongban.workflow.engine import decision_evaluate, process_complete_task, process_start

# The decision table in force is its latest published version, stored in the database.
pytestmark = pytest.mark.django_db

NOBODY: dict[str, Any] = {
    "joint_punishment": False,
    "key_supervision": False,
    "red": False,
    "level": "",
    "has_records": False,
    "commitment_eligible": True,
}


def _route(**changes: Any) -> dict[str, Any]:
    return decision_evaluate(name="credit_route", context={**NOBODY, **changes})


@pytest.mark.parametrize(
    ("status", "route", "reason"),
    [
        ({"joint_punishment": True, "has_records": True}, "refused", "联合惩戒"),
        ({"level": "D", "has_records": True}, "strict", "D"),
        ({"key_supervision": True, "has_records": True}, "strict", "重点关注"),
        ({"red": True, "has_records": True}, "commitment", "红名单"),
        ({"level": "A", "has_records": True}, "commitment", "A"),
        ({"level": "B", "has_records": True}, "commitment", "B"),
        ({}, "commitment", "无不良信用记录"),
        ({"level": "C", "has_records": True}, "normal", "不符合告知承诺"),
        ({"level": "A", "has_records": True, "commitment_eligible": False}, "normal", "不适用"),
        ({"commitment_eligible": False}, "normal", "不适用"),
    ],
)
def test_each_credit_status_takes_its_route(
    status: dict[str, Any], route: str, reason: str
) -> None:
    result = _route(**status)

    assert result["route"] == route
    assert reason in result["reason"]


def test_joint_punishment_outranks_a_red_list_and_level_a() -> None:
    result = _route(joint_punishment=True, red=True, level="A", has_records=True)

    assert result["route"] == "refused"


def test_key_supervision_outranks_level_a_on_an_eligible_matter() -> None:
    assert _route(key_supervision=True, level="A", has_records=True)["route"] == "strict"


def test_a_d_level_is_strict_even_when_the_matter_is_not_eligible() -> None:
    assert _route(level="D", has_records=True, commitment_eligible=False)["route"] == "strict"


def test_it_refuses_an_unknown_decision_table() -> None:
    with pytest.raises(ValidationFailed) as caught:
        decision_evaluate(name="no_such_table", context={})

    assert caught.value.errors[0].field == "name"


def test_it_refuses_a_path_as_decision_name() -> None:
    with pytest.raises(ValidationFailed):
        decision_evaluate(name="../credit_route", context=NOBODY)


def test_a_context_missing_an_input_is_refused_not_a_crash() -> None:
    context = {k: v for k, v in NOBODY.items() if k != "level"}

    with pytest.raises(ValidationFailed):
        decision_evaluate(name="credit_route", context=context)


# --- the routes in standard_approval ---------------------------------------------------------


def _deadline() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()


def _accept(route: str | None) -> Any:
    data: dict[str, Any] = {"acceptance_deadline": _deadline()}
    if route is not None:
        data["route"] = route
    step = process_start(name="standard_approval", data=data)
    (accept,) = step.ready
    return process_complete_task(
        instance=step.instance, task_id=accept.id, data={"decision": "accept"}
    )


@pytest.mark.django_db
def test_a_commitment_route_ends_approved_at_acceptance() -> None:
    step = _accept("commitment")

    assert step.completed
    assert step.end_event == "approved"


@pytest.mark.django_db
def test_a_strict_route_adds_the_strict_review_before_the_review() -> None:
    step = _accept("strict")
    (strict,) = step.ready
    assert (strict.name, strict.title, strict.lane) == ("strict_review", "重点审查", "reviewer")

    step = process_complete_task(
        instance=step.instance, task_id=strict.id, data={"decision": "pass"}
    )

    assert [t.name for t in step.ready] == ["review"]


@pytest.mark.django_db
def test_a_supplement_asked_at_strict_review_goes_to_the_applicant() -> None:
    step = _accept("strict")
    step = process_complete_task(
        instance=step.instance, task_id=step.ready[0].id, data={"decision": "request_supplement"}
    )

    assert [t.name for t in step.ready] == ["supplement_review"]


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["normal", None])
def test_a_normal_route_or_none_goes_to_review(route: str | None) -> None:
    step = _accept(route)

    assert [t.name for t in step.ready] == ["review"]
