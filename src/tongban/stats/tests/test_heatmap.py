"""The heat map of a process version, from recorded node visits with fixed times.

October 2026 in Shanghai: 1–7 October is the National Day holiday, Saturday 10 October a
make-up working day (the seeded State Council schedule), so dwell times cross a holiday, a
make-up day and a plain weekend.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest

from tongban.cases.models import Case
from tongban.catalog.models import Department
from tongban.core.errors import NotFound, PermissionDenied, ValidationFailed
from tongban.identity.models import User
from tongban.stats.heatmap import node_waiting_cases, process_heatmap
from tongban.stats.selectors import Period
from tongban.workflow.calendar import SHANGHAI
from tongban.workflow.engine import process_definition_get
from tongban.workflow.models import NodeVisit, ProcessDefinition, ProcessInstance
from tongban.workflow.rollup import visit_days_rebuild

pytestmark = pytest.mark.django_db

OCTOBER = Period(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@dataclass
class Recorder:
    applicant: User
    count: int = 0

    def case(self, definition: ProcessDefinition, department: Department) -> ProcessInstance:
        self.count += 1
        instance = ProcessInstance.objects.create(
            definition=definition, state={}, department=department.code
        )
        Case.objects.create(
            case_no=f"HM-{self.count:04d}",
            applicant_user=self.applicant,
            applicant_type="person",
            applicant_name="张三",
            department=department,
            status="accepted",
            process=instance,
            due_date=dt.date(2026, 11, 30),
        )
        return instance

    def visit(
        self,
        instance: ProcessInstance,
        node: str,
        entered: dt.datetime,
        left: dt.datetime | None,
        *,
        from_node: str = "",
        lane: str = "clerk",
        department: str = "",
        node_type: str = "UserTask",
        cancelled: bool = False,
    ) -> NodeVisit:
        # Written directly, not by the engine: the daily rollup is rebuilt after each visit.
        visit = NodeVisit.objects.create(
            instance=instance,
            definition_id=instance.definition_id,
            task_id=uuid.uuid4(),
            node=node,
            node_type=node_type,
            from_node=from_node,
            lane=lane,
            department=department,
            entered_at=entered,
            left_at=left,
            cancelled=cancelled,
        )
        visit_days_rebuild(definition_ids=[instance.definition_id])
        return visit


@pytest.fixture
def recorded(departments: dict[str, Department], applicant: User) -> ProcessDefinition:
    """Four cases of standard_approval v1 (three of market, one of police), one of v2.

    accept: case 1 reached 30 Sep, left 8 Oct (1 working day: the holiday);
    case 2 9 Oct → 12 Oct (2: the make-up Saturday and Monday); case 3 (police) 16 → 19 Oct
    (1: a weekend); case 4 reached and left 12 Oct (0), sent to supplement twice (12 → 14,
    15 → 16 Oct), back at accept 14 → 15 Oct (1) and waiting there since 16 Oct.
    """
    v1 = process_definition_get("standard_approval")
    rec = Recorder(applicant)
    market, police = departments["market"], departments["police"]

    c1 = rec.case(v1, market)
    rec.visit(c1, "start", at(9, 30), at(9, 30), node_type="StartEvent")
    rec.visit(c1, "accept", at(9, 30), at(10, 8), from_node="route_default")
    rec.visit(
        c1,
        "acceptance_timeout",
        at(9, 30),
        at(10, 8),
        from_node="accept",
        node_type="BoundaryEvent",
        cancelled=True,
    )
    rec.visit(c1, "review", at(10, 8), None, from_node="route_gateway", lane="reviewer")

    c2 = rec.case(v1, market)
    rec.visit(c2, "accept", at(10, 9), at(10, 12), from_node="route_default")

    c3 = rec.case(v1, police)
    rec.visit(c3, "accept", at(10, 16), at(10, 19), from_node="route_default")

    c4 = rec.case(v1, market)
    rec.visit(c4, "accept", at(10, 12, 9), at(10, 12, 11), from_node="route_default")
    rec.visit(
        c4, "supplement", at(10, 12, 11), at(10, 14), from_node="accept_gateway", lane="applicant"
    )
    rec.visit(c4, "accept", at(10, 14), at(10, 15, 9), from_node="supplement")
    rec.visit(
        c4, "supplement", at(10, 15, 9), at(10, 16, 9), from_node="accept_gateway", lane="applicant"
    )
    rec.visit(c4, "accept", at(10, 16, 9), None, from_node="supplement")

    v2 = ProcessDefinition.objects.create(
        name="standard_approval",
        digest="f" * 64,
        source_file=v1.source_file,
        source=v1.source,
        spec={},
        version=2,
        published_at=at(10, 20),
    )
    c5 = rec.case(v2, market)
    rec.visit(c5, "accept", at(10, 21), at(10, 22), from_node="route_default")
    return v1


def _node(version: dict, node: str) -> dict:
    return next(n for n in version["nodes"] if n["node"] == node)


def test_it_counts_passes_waits_and_working_day_dwell_per_node(
    recorded: ProcessDefinition, center_admin: User
) -> None:
    heatmap = process_heatmap(user=center_admin, name="standard_approval", period=OCTOBER)
    assert [v["version"] for v in heatmap["versions"]] == [1, 2]
    v1 = heatmap["versions"][0]
    accept = _node(v1, "accept")
    # Left in October: cases 1, 2, 3 and case 4 twice; dwell [1, 2, 1, 0, 1].
    assert accept["passed_cases"] == 4
    assert accept["passed_visits"] == 5
    assert accept["median_working_days"] == 1
    assert accept["p90_working_days"] == 2
    assert accept["waiting_cases"] == 1
    assert accept["waiting_since"] == at(10, 16, 9)
    assert accept["name"] == "受理"
    review = _node(v1, "review")
    assert (review["passed_cases"], review["waiting_cases"]) == (0, 1)
    assert review["median_working_days"] is None
    # A boundary timer that did not fire is not a pass.
    assert _node(v1, "acceptance_timeout")["passed_cases"] == 0
    # Every node of the diagram is listed, even one nobody reached.
    assert _node(v1, "decide")["passed_cases"] == 0
    v2 = heatmap["versions"][1]
    assert _node(v2, "accept")["passed_cases"] == 1


def test_over_a_long_period_it_counts_visits_from_the_rollup_and_no_distinct_cases(
    recorded: ProcessDefinition, center_admin: User
) -> None:
    """Beyond 92 days the heat map reads the daily rollup only: the same visits, dwell and
    flows as the month, distinct cases not counted (None), and no raw-visit scan for them."""
    long = Period(start=dt.date(2026, 7, 1), end=dt.date(2026, 11, 30))
    month = process_heatmap(user=center_admin, name="standard_approval", period=OCTOBER)
    year = process_heatmap(user=center_admin, name="standard_approval", period=long)
    short, wide = month["versions"][0], year["versions"][0]
    accept = _node(wide, "accept")
    assert accept["passed_cases"] is None
    assert accept["passed_visits"] == 5
    assert accept["median_working_days"] == _node(short, "accept")["median_working_days"]
    assert accept["waiting_cases"] == 1
    assert wide["supplement"]["repeat_cases"] is None
    assert wide["supplement"]["visits"] == short["supplement"]["visits"] == 2
    assert all(f["cases"] is None for f in wide["flows"])
    # Every flow entered in the period, 30 September included (October leaves it out).
    raw = Counter(
        NodeVisit.objects.filter(definition=recorded)
        .exclude(from_node="")
        .values_list("from_node", "node")
    )
    assert {(f["from_node"], f["to_node"]): f["visits"] for f in wide["flows"]} == raw


def test_dwell_counts_working_days_across_a_holiday_and_a_make_up_day(
    recorded: ProcessDefinition, center_admin: User
) -> None:
    # Only case 2 (9 → 12 October: Saturday 10 October is a make-up working day) and the
    # start of case 4 left accept from 9 to 13 October.
    heatmap = process_heatmap(
        user=center_admin,
        name="standard_approval",
        period=Period(start=dt.date(2026, 10, 8), end=dt.date(2026, 10, 8)),
        version=1,
    )
    # Case 1 reached on 30 September and left on 8 October: the holiday week counts nothing.
    assert _node(heatmap["versions"][0], "accept")["median_working_days"] == 1
    heatmap = process_heatmap(
        user=center_admin,
        name="standard_approval",
        period=Period(start=dt.date(2026, 10, 12), end=dt.date(2026, 10, 12)),
        version=1,
    )
    accept = _node(heatmap["versions"][0], "accept")
    assert accept["passed_visits"] == 2  # case 2 (2 days) and case 4's first pass (0 days)
    assert (accept["median_working_days"], accept["p90_working_days"]) == (1, 2)


def test_it_counts_supplement_loops(recorded: ProcessDefinition, center_admin: User) -> None:
    v1 = process_heatmap(user=center_admin, name="standard_approval", period=OCTOBER, version=1)[
        "versions"
    ][0]
    supplement = _node(v1, "supplement")
    assert (supplement["passed_cases"], supplement["passed_visits"]) == (1, 2)
    assert v1["supplement"] == {
        "nodes": ["supplement", "supplement_review"],
        "visits": 2,
        "repeat_cases": 1,
    }


def test_it_resolves_flows_to_the_bpmn_sequence_flows(
    recorded: ProcessDefinition, center_admin: User
) -> None:
    v1 = process_heatmap(user=center_admin, name="standard_approval", period=OCTOBER, version=1)[
        "versions"
    ][0]
    flows = {(f["from_node"], f["to_node"]): f for f in v1["flows"]}
    # Reached in October: case 1's accept (30 September) is not.
    assert flows[("route_default", "accept")]["visits"] == 3
    assert flows[("route_default", "accept")]["flow"] == "flow_start_accept"
    assert flows[("supplement", "accept")] == {
        "flow": "flow_supplement_accept",
        "from_node": "supplement",
        "to_node": "accept",
        "visits": 2,
        "cases": 1,
    }
    assert flows[("accept_gateway", "supplement")]["flow"] == "flow_accept_supplement"
    # A boundary event hangs on its task: no sequence flow between them.
    assert ("accept", "acceptance_timeout") not in flows or flows[("accept", "acceptance_timeout")][
        "flow"
    ] is None


def test_a_department_filter_counts_its_cases_and_its_joint_review_instances(
    recorded: ProcessDefinition,
    center_admin: User,
    applicant: User,
    departments: dict[str, Department],
) -> None:
    heatmap = process_heatmap(
        user=center_admin, name="standard_approval", period=OCTOBER, version=1, department="police"
    )
    assert _node(heatmap["versions"][0], "accept")["passed_cases"] == 1
    assert heatmap["department"] == "police"

    joint = process_definition_get("joint_review")
    rec = Recorder(applicant, count=100)
    case = rec.case(joint, departments["market"])
    rec.visit(case, "department_review", at(10, 5), None, department="police", lane="reviewer")
    rec.visit(case, "department_review", at(10, 5), None, department="market", lane="reviewer")
    police = process_heatmap(
        user=center_admin, name="joint_review", period=OCTOBER, department="police"
    )
    assert _node(police["versions"][0], "department_review")["waiting_visits"] == 1


def test_other_staff_see_the_counts_but_not_another_departments(
    recorded: ProcessDefinition, clerk: User
) -> None:
    heatmap = process_heatmap(user=clerk, name="standard_approval", period=OCTOBER, version=1)
    assert _node(heatmap["versions"][0], "accept")["passed_cases"] == 4
    with pytest.raises(PermissionDenied) as refused:
        process_heatmap(user=clerk, name="standard_approval", period=OCTOBER, department="police")
    assert "公安分局" in str(refused.value.detail)


def test_the_waiting_list_shows_the_callers_department_only(
    recorded: ProcessDefinition, clerk: User, police_clerk: User, center_admin: User
) -> None:
    listed = node_waiting_cases(user=clerk, name="standard_approval", node="accept")
    assert [c["case_no"] for c in listed["cases"]] == ["HM-0004"]
    assert listed["cases"][0]["waiting_since"] == at(10, 16, 9)
    assert listed["department"] == "market"
    assert (
        node_waiting_cases(user=police_clerk, name="standard_approval", node="accept")["cases"]
        == []
    )
    with pytest.raises(PermissionDenied):
        node_waiting_cases(
            user=police_clerk, name="standard_approval", node="accept", department="market"
        )
    everyone = node_waiting_cases(user=center_admin, name="standard_approval", node="review")
    assert [c["case_no"] for c in everyone["cases"]] == ["HM-0001"]


def test_bad_requests_are_refused_naming_what(
    recorded: ProcessDefinition, center_admin: User, applicant: User
) -> None:
    with pytest.raises(NotFound):
        process_heatmap(user=center_admin, name="nope", period=OCTOBER)
    with pytest.raises(NotFound):
        process_heatmap(user=center_admin, name="standard\x00", period=OCTOBER)
    with pytest.raises(NotFound):
        process_heatmap(user=center_admin, name="standard_approval", period=OCTOBER, version=9)
    with pytest.raises(ValidationFailed) as too_long:
        process_heatmap(
            user=center_admin,
            name="standard_approval",
            period=Period(start=dt.date(2025, 1, 1), end=dt.date(2026, 10, 31)),
        )
    assert too_long.value.errors[0].field == "from"
    with pytest.raises(ValidationFailed) as unknown:
        process_heatmap(
            user=center_admin, name="standard_approval", period=OCTOBER, department="mars"
        )
    assert unknown.value.errors[0].field == "department"
    with pytest.raises(NotFound):
        node_waiting_cases(user=center_admin, name="standard_approval", node="nowhere")
    with pytest.raises(PermissionDenied):
        process_heatmap(user=applicant, name="standard_approval", period=OCTOBER)
