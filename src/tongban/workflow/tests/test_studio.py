"""The studio's engine-level parts: validation of a candidate, the dry run, the diff."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tongban.core.errors import ValidationFailed
from tongban.workflow import engine
from tongban.workflow.choices import DefinitionStatus
from tongban.workflow.engine import process_complete_task, process_definition_get, process_start
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.studio.diff import definition_diff
from tongban.workflow.studio.dry_run import definition_dry_run
from tongban.workflow.studio.validation import MAX_SOURCE_BYTES, Vocabulary, definition_validate

pytestmark = pytest.mark.django_db

VOCABULARY = Vocabulary(
    variables=frozenset(
        [
            "acceptance_deadline",
            "case_no",
            "route",
            "decision",
            "answered",
            "deemed_accepted",
            "department",
            "reviewers",
            "lead",
        ]
    ),
    user_task_refusal=lambda lane, task: (
        None
        if lane in ("clerk", "reviewer", "approver")
        or (lane == "applicant" and "supplement" in task)
        else f"lane {lane} unknown"
    ),
    decision_inputs={
        "credit_route": frozenset(
            [
                "joint_punishment",
                "key_supervision",
                "red",
                "level",
                "has_records",
                "commitment_eligible",
            ]
        )
    },
    decision_outputs={
        "credit_route": {
            "route": frozenset({"refused", "strict", "commitment", "normal"}),
            "reason": None,
        }
    },
)


def _source(name: str, suffix: str = "bpmn") -> str:
    return (engine.PROCESS_DIR / f"{name}.{suffix}").read_text(encoding="utf-8")


def _validate(text: str, *, name: str = "standard_approval", kind: str = "bpmn") -> Any:
    return definition_validate(
        name=name,
        kind=kind,
        source=text.encode(),
        vocabulary=VOCABULARY,
        published_source=_source("standard_approval"),
    )


def _refusal(text: str, **kwargs: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        _validate(text, **kwargs)
    return caught.value


def _messages(error: ValidationFailed) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in error.errors]


def test_every_release_file_passes() -> None:
    for name in ("standard_approval", "instant"):
        assert _validate(_source(name), name=name).report["ok"]
    assert _validate(_source("credit_route", "dmn"), name="credit_route", kind="dmn").report["ok"]


def test_it_refuses_malformed_xml_with_its_line() -> None:
    error = _refusal(_source("standard_approval").replace("</bpmn:process>", "</bpmn:proc>"))
    [(field, message)] = _messages(error)
    assert field == "source" and "XML" in message and "行" in message


def test_it_refuses_a_dtd_or_an_entity_before_parsing() -> None:
    text = _source("standard_approval").replace(
        "<bpmn:definitions",
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions',
        1,
    )
    [(_field, message)] = _messages(_refusal(text))
    assert "DOCTYPE" in message and "第" in message


def test_it_refuses_a_huge_file() -> None:
    text = _source("standard_approval") + "<!--" + "x" * MAX_SOURCE_BYTES + "-->"
    [(_field, message)] = _messages(_refusal(text))
    assert "文件过大" in message


def test_it_refuses_a_process_id_that_is_not_the_name() -> None:
    error = _refusal(_source("instant"), name="standard_approval")
    assert any("standard_approval" in m and "instant" in m for _f, m in _messages(error))


def test_it_refuses_a_user_task_no_role_can_take() -> None:
    text = _source("standard_approval").replace(
        '<bpmn:lane id="lane_approver" name="approver">',
        '<bpmn:lane id="lane_approver" name="cashier">',
    )
    error = _refusal(text)
    assert ("decide", "第") in [(f, m[:1]) for f, m in _messages(error)]
    assert any("cashier" in m for _f, m in _messages(error))


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ("__import__('os').system('id')", "函数"),
        ("open('x')", "函数"),
        ("decision.upper", "属性"),
        ("route[0]", "下标"),
        ("(lambda: 1)()", "函数"),
        ("[x for x in reviewers]", "推导式"),
        ("secret == 1", "secret"),
        ("decision in reviewers", "元组"),
    ],
)
def test_it_refuses_an_expression_outside_the_allowed_form(condition: str, why: str) -> None:
    text = _source("standard_approval").replace(
        'decision == "deny"', condition.replace('"', "&quot;")
    )
    error = _refusal(text)
    assert [f for f, _m in _messages(error)] == ["flow_decide_denied"]
    assert why in _messages(error)[0][1]


def test_it_accepts_the_allowed_form() -> None:
    text = _source("standard_approval").replace(
        'decision == "deny"',
        'decision in ("deny", "fail") and not deemed_accepted or route != &quot;normal&quot;',
    )
    assert _validate(text).report["ok"]


def test_it_refuses_a_timer_that_is_not_a_known_variable() -> None:
    text = _source("standard_approval").replace(
        ">acceptance_deadline</bpmn:timeDate>", ">'2030-01-01T00:00:00+08:00'</bpmn:timeDate>"
    )
    assert [f for f, _m in _messages(_refusal(text))] == ["acceptance_timeout_timer"]


def test_it_refuses_a_new_script_and_a_service_task() -> None:
    text = _source("standard_approval").replace(
        "deemed_accepted = True", "import os; os.system('id')"
    )
    assert [f for f, _m in _messages(_refusal(text))] == ["deem_accepted"]
    text = _source("standard_approval").replace("bpmn:userTask", "bpmn:serviceTask")
    error = _refusal(text)
    assert "decide" in [f for f, _m in _messages(error)]


def test_it_refuses_a_dmn_with_an_unknown_output_or_value() -> None:
    text = _source("credit_route", "dmn")
    text = text.replace('name="reason"', 'name="fee"').replace(
        '<text>"strict"</text>', '<text>"lenient"</text>', 1
    )
    error = _refusal(text, name="credit_route", kind="dmn")
    messages = " ".join(m for _f, m in _messages(error))
    assert "fee" in messages and "lenient" in messages
    assert "output_reason" in [f for f, _m in _messages(error)]
    assert "rule_2_route" in [f for f, _m in _messages(error)]


def test_it_refuses_a_dmn_entry_outside_the_allowed_form() -> None:
    text = _source("credit_route", "dmn").replace(
        '<inputEntry id="rule_2_in_4"><text>"D"</text>',
        "<inputEntry id=\"rule_2_in_4\"><text>__import__('os')</text>",
    )
    error = _refusal(text, name="credit_route", kind="dmn")
    assert [f for f, _m in _messages(error)] == ["rule_2_in_4"]


# --- the dry run ------------------------------------------------------------------------------


def _case(*decisions: str) -> engine.ProcessStep:
    step = process_start(
        name="standard_approval",
        data={
            "acceptance_deadline": (timezone.now() + timedelta(days=7)).isoformat(),
            "case_no": f"T-{'-'.join(decisions)}",
        },
    )
    for decision in decisions:
        step = process_complete_task(
            instance=step.instance, task_id=step.ready[0].id, data={"decision": decision}
        )
    return step


#: The review gateway gains a flow: a failed review is denied at once, without 决定.
FAIL_DENIED = (
    "<bpmn:outgoing>flow_review_decide</bpmn:outgoing>\n"
    "      <bpmn:outgoing>flow_review_denied</bpmn:outgoing>",
    '<bpmn:sequenceFlow id="flow_review_denied" sourceRef="review_gateway" targetRef="denied">'
    '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision == "fail"'
    "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    '    <bpmn:sequenceFlow id="flow_review_decide"',
)


def _fail_goes_to_denied() -> str:
    text = _source("standard_approval")
    text = text.replace("<bpmn:outgoing>flow_review_decide</bpmn:outgoing>", FAIL_DENIED[0], 1)
    text = text.replace('<bpmn:sequenceFlow id="flow_review_decide"', FAIL_DENIED[1], 1)
    text = text.replace(
        '<bpmndi:BPMNEdge id="flow_review_decide_di"',
        '<bpmndi:BPMNEdge id="flow_review_denied_di" bpmnElement="flow_review_denied">'
        '<di:waypoint x="735" y="480" /><di:waypoint x="735" y="680" />'
        '<di:waypoint x="1152" y="680" /></bpmndi:BPMNEdge>\n'
        '      <bpmndi:BPMNEdge id="flow_review_decide_di"',
        1,
    )
    return text.replace(
        "<bpmn:incoming>flow_decide_denied</bpmn:incoming>",
        "<bpmn:incoming>flow_decide_denied</bpmn:incoming>\n"
        "      <bpmn:incoming>flow_review_denied</bpmn:incoming>",
    )


def test_a_changed_gateway_diverges_on_exactly_the_cases_that_took_its_branch() -> None:
    _case("accept", "pass", "approve")
    _case("accept", "fail", "deny")
    _case("accept", "fail")  # waiting at 决定
    _case("reject")
    _case("accept")  # waiting at 审查
    _case("request_supplement")
    validated = _validate(_fail_goes_to_denied())
    report = definition_dry_run(
        spec=validated.spec, published=process_definition_get("standard_approval")
    )
    assert report["replayed"] == 6 and report["errors"] == 0
    diverged = {c["case_no"]: c for c in report["cases"] if c["status"] == "diverged"}
    assert set(diverged) == {"T-accept-fail-deny", "T-accept-fail"}
    case = diverged["T-accept-fail-deny"]
    assert (case["after"], case["decision"], case["expected"], case["got"]) == (
        "review",
        "fail",
        "decide",
        "denied",
    )
    assert report["same"] == 4 and report["diverged"] == 2


def test_the_same_version_replays_every_case_the_same_including_a_fired_timer() -> None:
    _case("accept", "pass", "approve")
    late = process_start(
        name="standard_approval",
        data={"acceptance_deadline": (timezone.now() - timedelta(days=1)).isoformat()},
    )
    assert [t.name for t in late.ready] == ["review"]  # deemed accepted (视为受理)
    report = definition_dry_run(
        spec=_validate(_source("standard_approval")).spec,
        published=process_definition_get("standard_approval"),
    )
    assert (report["same"], report["diverged"], report["errors"]) == (2, 0, 0)


# --- the diff ---------------------------------------------------------------------------------


def test_the_diff_lists_nodes_and_flows_added_removed_and_changed() -> None:
    old = _source("standard_approval")
    new = _fail_goes_to_denied().replace('name="决定"', 'name="审批决定"')
    new = new.replace(">acceptance_deadline</bpmn:timeDate>", ">deemed_accepted</bpmn:timeDate>")
    diff = definition_diff(old=old, new=new)
    assert [f["id"] for f in diff["flows_added"]] == ["flow_review_denied"]
    assert diff["flows_removed"] == [] and diff["nodes_added"] == []
    changed = {c["id"]: c["changes"] for c in diff["nodes_changed"]}
    assert changed["decide"] == [{"field": "name", "old": "决定", "new": "审批决定"}]
    assert changed["acceptance_timeout"][0]["field"] == "timer"
    removed = definition_diff(
        old=old, new=_source("instant").replace("instant", "standard_approval")
    )
    assert "review" in [n["id"] for n in removed["nodes_removed"]]


# --- the version in force ---------------------------------------------------------------------


def test_the_version_in_force_costs_one_query(django_assert_num_queries: Any) -> None:
    process_definition_get("standard_approval")
    engine.decision_evaluate(name="credit_route", context={**_CREDIT_CONTEXT})  # parsed once
    with django_assert_num_queries(1):
        definition = process_definition_get("standard_approval")
    assert definition.version == 1
    with django_assert_num_queries(1):
        engine.decision_evaluate(name="credit_route", context={**_CREDIT_CONTEXT})


_CREDIT_CONTEXT = {
    "joint_punishment": False,
    "key_supervision": False,
    "red": False,
    "level": "",
    "has_records": False,
    "commitment_eligible": False,
}


def test_a_changed_release_file_takes_over_from_a_published_web_version(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    processes = tmp_path / "processes"
    processes.mkdir()
    (processes / "instant.bpmn").write_text(_source("instant"), "utf-8")
    monkeypatch.setattr(engine, "PROCESS_DIR", processes)
    first = process_definition_get("instant")
    web = ProcessDefinition.objects.create(
        name="instant",
        digest="f" * 64,
        source=_source("instant").replace("当场办结", "当场办结（网页版）"),
        spec=ProcessDefinition.objects.get(pk=first.pk).spec,
        version=2,
        status=DefinitionStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    assert process_definition_get("instant") == web
    (processes / "instant.bpmn").write_text(
        _source("instant").replace("当场办结", "当场办结。"), "utf-8"
    )
    release = process_definition_get("instant")
    assert release.version == 3 and release.status == DefinitionStatus.PUBLISHED
    assert release.source_file == "processes/instant.bpmn"


def test_a_release_file_identical_to_a_waiting_version_publishes_it(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    processes = tmp_path / "processes"
    processes.mkdir()
    (processes / "instant.bpmn").write_text(_source("instant"), "utf-8")
    monkeypatch.setattr(engine, "PROCESS_DIR", processes)
    first = process_definition_get("instant")
    changed = _source("instant").replace("当场办结", "当场办结。")
    waiting = ProcessDefinition.objects.create(
        name="instant",
        digest=hashlib.sha256(changed.encode()).hexdigest(),
        source=changed,
        spec=ProcessDefinition.objects.get(pk=first.pk).spec,
        version=2,
        status=DefinitionStatus.VALIDATED,
    )
    (processes / "instant.bpmn").write_text(changed, "utf-8")
    assert process_definition_get("instant") == waiting
    waiting.refresh_from_db()
    assert waiting.status == DefinitionStatus.PUBLISHED and waiting.published_at is not None


def test_the_dry_run_replays_only_the_latest_cases_the_setting_allows(settings: Any) -> None:
    _case("accept", "fail", "deny")
    _case("accept", "pass", "approve")
    settings.PROCESS_DRY_RUN_CASES = 1
    report = definition_dry_run(
        spec=_validate(_fail_goes_to_denied()).spec,
        published=process_definition_get("standard_approval"),
    )
    assert report["replayed"] == 1 and report["cases"][0]["case_no"] == "T-accept-pass-approve"
