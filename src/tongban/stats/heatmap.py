"""The heat map of a process version: where cases pass, wait and loop (process mining).

Read from ``workflow.NodeVisit`` (one row per pass of a case through a BPMN node, written by
the engine) in a few grouped queries per request — never a loop over cases:

* **passed**: visits that *left* the node in the period (not cancelled: a boundary timer that
  did not fire is not a pass), as distinct cases and as visits (a loop back counts again);
* **dwell**: from the day a visit reached the node to the day it left, in working days as
  ``WorkCalendar.working_days_between`` counts them (the first day not counted, so a node left
  on the day it was reached took 0), read from the distinct (reached, left) Shanghai date
  pairs, each weighted by its visits: the median and the nearest-rank 90th percentile
  (``selectors.percentiles``, the rule of the dashboards);
* **waiting**: visits not left yet, whatever the period (the cases that wait there now);
* **flows**: visits that *reached* a node in the period, by the node they came from, resolved
  to the BPMN ``sequenceFlow`` between the two through the version's XML;
* **supplement loops**: the nodes of the applicant's lane (补正): cases and visits, and the
  cases that went there more than once.

A visit belongs to a department when its own ``department`` is that one (an instance of the
joint review's ``department_review``), or, having none, when its case's department is. Access
(docs/heatmap.md): the center admin and the center's supervisors see every department; other
staff see the counts of the whole process, but the cases waiting at a node only for their own
department, and asking for another department is refused naming it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from tongban.cases.choices import SlaState
from tongban.cases.models import Case, Task
from tongban.cases.services.sla import shanghai_date
from tongban.catalog.models import Department, localized
from tongban.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tongban.counter.selectors import CENTER_DEPARTMENT
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import StaffProfile, User
from tongban.stats.selectors import Period, filters_resolve, limit_check, percentiles
from tongban.workflow import diagram as bpmn_diagram
from tongban.workflow.calendar import SHANGHAI, WorkCalendar
from tongban.workflow.models import NodeVisit, NodeVisitDay, ProcessDefinition, ProcessInstance
from tongban.workflow.rollup import REACHED, visit_days_rebuild

#: The longest period a heat map covers (a year and a month, so "the last 12 months" fits).
MAX_PERIOD_DAYS = 400
#: Periods up to this many days also count distinct cases (from the visits themselves); longer
#: ones give visits only (the rollup counts visits), docs/heatmap.md.
DISTINCT_MAX_DAYS = 92
#: The lane of the applicant's own steps: a visit there is a supplement loop (补正).
SUPPLEMENT_LANE = "applicant"
#: The elements of a BPMN file the heat map draws on.
#: BPMN tags of the flow nodes a case can pass (tasks, events, gateways, sub-processes).
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_NODE = re.compile(r"^[A-Za-z_][-A-Za-z0-9_.]{0,59}$")
#: Version numbers beyond this are refused before any query (PostgreSQL integer range).
MAX_VERSION = 100_000

# --- who may see what ------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatmapAccess:
    """What one member of staff may see: every department, or the cases of their own."""

    staff: StaffProfile
    sees_all: bool

    @property
    def own_department(self) -> Department:
        return self.staff.department


def heatmap_access(*, user: User) -> HeatmapAccess:
    """The caller's reach; anyone but staff is refused."""
    staff = identity_selectors.user_staff(user=user)
    if staff is None:
        raise PermissionDenied(_("只有工作人员可以查看流程热力图"))
    roles = set(identity_selectors.user_roles(user=user))
    sees_all = StaffRole.CENTER_ADMIN in roles or (
        StaffRole.SUPERVISOR in roles and staff.department.code == CENTER_DEPARTMENT
    )
    return HeatmapAccess(staff=staff, sees_all=sees_all)


def _department_check(access: HeatmapAccess, code: str | None) -> Department | None:
    """The department asked for (None: all); another department than one's own is refused."""
    if not code:
        return None
    department, _section = filters_resolve(department=code)
    assert department is not None
    if not access.sees_all and department.pk != access.own_department.pk:
        raise PermissionDenied(
            _("无权查看其他部门（%(department)s）的环节：只能查看本部门的办件")
            % {"department": localized(department, "name")}
        )
    return department


def department_q(department: Department) -> Q:
    """The visits of ``department``: its own joint-review instances, or its cases' nodes."""
    return Q(department=department.code) | Q(department="", instance__case__department=department)


# --- the request: process, version, period ---------------------------------------------------


def period_check(period: Period) -> Period:
    if (period.end - period.start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            _("统计期间过长"),
            errors=[
                FieldError("from", _("热力图的统计期间最长%(days)s天") % {"days": MAX_PERIOD_DAYS})
            ],
        )
    return period


def _definitions(name: str) -> QuerySet[ProcessDefinition]:
    # Validate before querying: PostgreSQL refuses NUL bytes that SQLite accepts.
    if not _NAME.match(name):
        raise NotFound(_("流程不存在"))
    rows = ProcessDefinition.objects.filter(name=name).defer("spec", "source")
    if not rows.exists():
        raise NotFound(_("流程不存在"))
    return rows


def _version_get(name: str, version: int) -> ProcessDefinition:
    rows = _definitions(name)
    found = rows.filter(version=version).first() if 1 <= version <= MAX_VERSION else None
    if found is None:
        raise NotFound(_("流程“%(name)s”没有第%(version)s版") % {"name": name, "version": version})
    return found


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The first instant of the period and the first instant after it, in Asia/Shanghai."""
    start = datetime.combine(period.start, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    return start, end


# --- the diagram's elements ------------------------------------------------------------------


@dataclass(frozen=True)
class Diagram:
    """What the heat map needs of a version's XML: node names and types, and its flows."""

    names: dict[str, str]
    types: dict[str, str]
    lanes: dict[str, str]
    #: (source node, target node) → sequenceFlow id.
    flows: dict[tuple[str, str], str]


def diagram_read(source: str) -> Diagram:
    """Nodes, lanes and sequence flows of a version's BPMN, as the heat map indexes them.

    The one reading of a BPMN document is workflow.diagram's (no entities, no network); the
    English of the node names is its ``BPMN_NAMES``.
    """
    read = bpmn_diagram.diagram_read(source)
    flows: dict[tuple[str, str], str] = {}
    for flow in read.flows:
        flows.setdefault((flow.source, flow.target), flow.id)
    return Diagram(
        names={node.id: node.name for node in read.nodes.values()},
        types={node.id: node.type for node in read.nodes.values()},
        lanes={node.id: node.lane for node in read.nodes.values() if node.lane},
        flows=flows,
    )


def node_label(diagram: Diagram, node: str) -> str:
    """The node's name in the reader's language (the BPMN's Chinese name, translated)."""
    name = diagram.names.get(node, "")
    return _(name) if name else node


# --- the counts ------------------------------------------------------------------------------


def _cumulative_working_days(first: date, last: date, calendar: WorkCalendar) -> dict[date, int]:
    """For each day from ``first`` to ``last``: the working days after ``first`` up to it.

    ``cum[b] - cum[a]`` is then ``calendar.working_days_between(a, b)`` for a ≤ b: one walk
    over the days of the period, however many pairs there are.
    """
    out: dict[date, int] = {}
    seen = 0
    day = first
    out[day] = 0
    while day < last:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            seen += 1
        out[day] = seen
    return out


def _dwell_buckets(
    rows: list[dict[str, Any]], calendar: WorkCalendar
) -> dict[tuple[int, str], list[tuple[int, int]]]:
    """(definition, node) → [(working days, visits)] from rows of date pairs and counts."""
    out: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    if not rows:
        return out
    first = min(r["entered"] for r in rows)
    last = max(r["left"] for r in rows)
    cumulative = _cumulative_working_days(first, last, calendar)
    for r in rows:
        days = max(0, cumulative[r["left"]] - cumulative[r["entered"]])
        out[(r["definition_id"], r["node"])].append((days, r["n"]))
    return out


def _visits(definition_ids: list[int], department: Department | None) -> QuerySet[NodeVisit]:
    rows = NodeVisit.objects.filter(definition_id__in=definition_ids)
    if department is not None:
        rows = rows.filter(department_q(department))
    return rows


def _version_row(
    definition: ProcessDefinition,
    diagram: Diagram,
    passed: dict[str, dict[str, int | None]],
    dwell: dict[str, list[tuple[int, int]]],
    waiting: dict[str, dict[str, Any]],
    flows: list[dict[str, Any]],
    repeat_supplement_cases: int | None,
) -> dict[str, Any]:
    seen = set(passed) | set(waiting) | set(dwell)
    nodes = []
    for node in [*diagram.names, *sorted(seen - set(diagram.names))]:
        # Distinct cases are counted for short periods only (repeat cases None otherwise).
        counted = repeat_supplement_cases is not None
        p = passed.get(node) or {"cases": 0 if counted else None, "visits": 0}
        w = waiting.get(node, {"cases": 0, "visits": 0, "since": None})
        median, p90 = percentiles(dwell.get(node, []))
        nodes.append(
            {
                "node": node,
                "name": node_label(diagram, node),
                "type": diagram.types.get(node, ""),
                "lane": diagram.lanes.get(node, ""),
                "passed_cases": p["cases"],
                "passed_visits": p["visits"],
                "waiting_cases": w["cases"],
                "waiting_visits": w["visits"],
                "waiting_since": w["since"],
                "median_working_days": median,
                "p90_working_days": p90,
            }
        )
    supplement_nodes = [n for n in nodes if n["lane"] == SUPPLEMENT_LANE]
    return {
        "version": definition.version,
        "published_at": definition.published_at,
        "nodes": nodes,
        "flows": flows,
        "supplement": {
            "nodes": [n["node"] for n in supplement_nodes],
            "visits": sum(n["passed_visits"] for n in supplement_nodes),
            "repeat_cases": repeat_supplement_cases,
        },
    }


def process_heatmap(
    *,
    user: User,
    name: str,
    period: Period,
    version: int | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """The heat map of process ``name`` in ``period``: per version, per node and per flow."""
    access = heatmap_access(user=user)
    dept = _department_check(access, department)
    period_check(period)
    start, end = _bounds(period)
    definitions = _definitions(name)
    # A version is in the period when a visit left or reached a node then, or waits now: three
    # EXISTS per version, each answered by an index (a process has a handful of versions).
    available = [
        d
        for d in definitions.order_by("version")
        if NodeVisit.objects.filter(definition=d, left_at__gte=start, left_at__lt=end).exists()
        or NodeVisit.objects.filter(
            definition=d, entered_at__gte=start, entered_at__lt=end
        ).exists()
        or NodeVisit.objects.filter(definition=d, left_at__isnull=True).exists()
    ]
    if version is not None:
        chosen = [_version_get(name, version)]
    elif available:
        chosen = available
    else:
        latest = definitions.order_by("-version").first()
        assert latest is not None
        chosen = [latest]
    ids = [d.pk for d in chosen]
    visits = _visits(ids, dept)
    left = visits.filter(left_at__gte=start, left_at__lt=end, cancelled=False)
    # Passes, dwell and flows from the daily rollup (workflow.rollup): a few rows per node and
    # day, however many visits. Distinct cases need the visits themselves: counted for short
    # periods only (docs/heatmap.md).
    days = NodeVisitDay.objects.filter(definition_id__in=ids)
    if dept is not None:
        days = days.filter(department=dept.code)
    left_days = days.filter(left_on__gte=period.start, left_on__lte=period.end).exclude(
        left_on=REACHED
    )
    distinct = (period.end - period.start).days + 1 <= DISTINCT_MAX_DAYS

    passed: dict[int, dict[str, dict[str, int | None]]] = defaultdict(dict)
    for r in left_days.values("definition_id", "node").annotate(visits=Sum("visits")).order_by():
        passed[r["definition_id"]][r["node"]] = {"cases": None, "visits": r["visits"]}
    if distinct:
        for r in (
            left.values("definition_id", "node")
            .annotate(cases=Count("instance_id", distinct=True))
            .order_by()
        ):
            passed[r["definition_id"]].setdefault(r["node"], {"visits": 0})["cases"] = r["cases"]

    pairs = [
        {**r, "entered": r["reached_on"], "left": r["left_on"]}
        for r in left_days.values("definition_id", "node", "reached_on", "left_on")
        .annotate(n=Sum("visits"))
        .order_by()
    ]
    dwell: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(dict)
    for (definition_id, node), buckets in _dwell_buckets(pairs, WorkCalendar()).items():
        dwell[definition_id][node] = buckets

    waiting: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in (
        visits.filter(left_at__isnull=True)
        .values("definition_id", "node")
        .annotate(
            cases=Count("instance_id", distinct=True), visits=Count("id"), since=Min("entered_at")
        )
        .order_by()
    ):
        waiting[r["definition_id"]][r["node"]] = {
            "cases": r["cases"],
            "visits": r["visits"],
            "since": r["since"],
        }

    flow_cases: dict[tuple[int, str, str], int] = {}
    if distinct:
        for r in (
            visits.filter(entered_at__gte=start, entered_at__lt=end)
            .exclude(from_node="")
            .values("definition_id", "from_node", "node")
            .annotate(cases=Count("instance_id", distinct=True))
            .order_by()
        ):
            flow_cases[(r["definition_id"], r["from_node"], r["node"])] = r["cases"]
    flow_rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    diagrams = {
        pk: diagram_read(source)
        for pk, source in ProcessDefinition.objects.filter(pk__in=ids).values_list("pk", "source")
    }
    for r in (
        days.filter(left_on=REACHED, reached_on__gte=period.start, reached_on__lte=period.end)
        .exclude(from_node="")
        .values("definition_id", "from_node", "node")
        .annotate(visits=Sum("visits"))
        .order_by("definition_id", "from_node", "node")
    ):
        diagram = diagrams[r["definition_id"]]
        flow_rows[r["definition_id"]].append(
            {
                "flow": diagram.flows.get((r["from_node"], r["node"])),
                "from_node": r["from_node"],
                "to_node": r["node"],
                "visits": r["visits"],
                "cases": (
                    flow_cases.get((r["definition_id"], r["from_node"], r["node"]), 0)
                    if distinct
                    else None
                ),
            }
        )

    versions = []
    for definition in chosen:
        diagram = diagrams[definition.pk]
        supplement_nodes = [n for n, lane in diagram.lanes.items() if lane == SUPPLEMENT_LANE]
        repeat: int | None = (
            left.filter(definition_id=definition.pk, node__in=supplement_nodes)
            .values("instance_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by()
            .count()
            if supplement_nodes and distinct
            else (0 if distinct else None)
        )
        versions.append(
            _version_row(
                definition,
                diagram,
                passed[definition.pk],
                dwell[definition.pk],
                waiting[definition.pk],
                flow_rows[definition.pk],
                repeat,
            )
        )
    return {
        "process": name,
        "from": period.start,
        "to": period.end,
        "department": dept.code if dept is not None else None,
        "available_versions": [d.version for d in available],
        "versions": versions,
    }


# --- the daily rollup ------------------------------------------------------------------------


def heatmap_rebuild(*, name: str | None = None) -> int:
    """Recompute the daily rollup of node visits (all processes, or process ``name``).

    Instances started before they recorded their department get their case's first; then the
    rollup is computed from the visits (workflow.rollup). Returns the rows written.
    """
    if name is not None and not _NAME.match(name):
        raise ValidationFailed(_("流程名称无效"), errors=[FieldError("process", _("流程名称无效"))])
    instances = ProcessInstance.objects.filter(department="")
    definitions = None
    if name is not None:
        definitions = list(ProcessDefinition.objects.filter(name=name).values_list("pk", flat=True))
        instances = instances.filter(definition_id__in=definitions)
    instances.update(
        department=Coalesce(
            Subquery(Case.objects.filter(process=OuterRef("pk")).values("department__code")[:1]),
            Value(""),
        )
    )
    return visit_days_rebuild(definition_ids=definitions)


# --- the cases waiting at a node -------------------------------------------------------------


def node_waiting_cases(
    *,
    user: User,
    name: str,
    node: str,
    version: int | None = None,
    department: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """The cases waiting at ``node`` now (oldest first), of the departments the caller may see.

    Staff who do not see every department get their own department's cases only, whether they
    name it or not.
    """
    access = heatmap_access(user=user)
    dept = _department_check(access, department)
    if dept is None and not access.sees_all:
        dept = access.own_department
    limit_check(limit)
    if not _NODE.match(node):
        raise NotFound(_("环节不存在"))
    definitions = _definitions(name)
    if version is not None:
        definitions = definitions.filter(pk=_version_get(name, version).pk)
    ids = list(definitions.values_list("pk", flat=True))
    known = NodeVisit.objects.filter(definition_id__in=ids, node=node).exists() or any(
        node in diagram_read(src).names
        for src in ProcessDefinition.objects.filter(pk__in=ids).values_list("source", flat=True)
    )
    if not known:
        raise NotFound(_("流程中没有环节“%(node)s”") % {"node": node})
    rows = (
        _visits(ids, dept)
        .filter(node=node, left_at__isnull=True)
        .select_related("definition")
        .only("instance_id", "task_id", "entered_at", "department", "definition__version")
        .order_by("entered_at", "id")[:limit]
    )
    visits = list(rows)
    cases = {
        c.process_id: c
        for c in Case.objects.filter(process_id__in={v.instance_id for v in visits})
        .select_related("matter", "theme", "department")
        .only(
            "id",
            "case_no",
            "process_id",
            "status",
            "due_date",
            "sla_state",
            "matter__code",
            "matter__name",
            "matter__name_en",
            "theme__code",
            "theme__name",
            "theme__name_en",
            "department__code",
            "department__name",
            "department__name_en",
        )
    }
    tasks = {
        t.engine_task_id: t
        for t in Task.objects.filter(engine_task_id__in=[v.task_id for v in visits]).only(
            "engine_task_id", "due_date", "department_id"
        )
    }
    today = shanghai_date(datetime.now(tz=SHANGHAI))
    codes = {v.department for v in visits if v.department}
    names = {d.code: localized(d, "name") for d in Department.objects.filter(code__in=codes)}
    out = []
    for visit in visits:
        case = cases.get(visit.instance_id)
        if case is None:
            continue
        task = tasks.get(visit.task_id)
        subject = case.matter or case.theme
        out.append(
            {
                "case_id": case.pk,
                "case_no": case.case_no,
                "matter": {"code": subject.code, "name": localized(subject, "name")}
                if subject is not None
                else None,
                "department": visit.department
                or (case.department.code if case.department is not None else ""),
                "department_name": names.get(visit.department, visit.department)
                if visit.department
                else (localized(case.department, "name") if case.department is not None else ""),
                "version": visit.definition.version,
                "waiting_since": visit.entered_at,
                "task_due_date": task.due_date if task is not None else None,
                "due_date": case.due_date,
                "sla_state": case.sla_state,
                "sla_label": str(SlaState(case.sla_state).label),
                "overdue": case.due_date is not None and case.due_date < today,
            }
        )
    return {
        "process": name,
        "node": node,
        "department": dept.code if dept is not None else None,
        "cases": out,
    }
