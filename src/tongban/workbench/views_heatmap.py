"""The heat map page of a process (流程热力图): where cases pass, wait and loop.

Every member of staff may open it, with the reach ``stats.heatmap`` gives them: the counts of
the whole process, and the cases waiting at a node of their own department only (the center
admin and the center's supervisors: every department). The figures are always in tables in
the HTML; static/workbench/js/heatmap.js draws the same numbers on the BPMN diagram (the
vendored bpmn-js viewer), read from a JSON block (no inline script), and loads a node's
waiting cases with htmx when the node is clicked.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.models import localized
from tongban.core.errors import DomainError, NotFound, PermissionDenied
from tongban.stats import heatmap as stats_heatmap
from tongban.stats import selectors as stats
from tongban.workbench.views import StaffRequest, staff_context, staff_required
from tongban.workflow.models import ProcessDefinition

#: Load classes of a node on the diagram: 0 (nothing) to 4 (the most), by the mode chosen.
LEVELS = 4


def _int_or_none(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 6:
        raise NotFound(_("流程版本不存在"))
    return int(value)


def _problem_page(request: StaffRequest, name: str, exc: DomainError, status: int) -> HttpResponse:
    context = {
        **staff_context(request, "processes"),
        "process": name[:60],
        "filters": {},
        "refused": str(exc.detail),
    }
    return render(request, "workbench/processes/heatmap.html", context, status=status)


def _level(value: float | None, top: float) -> int:
    if not value or not top:
        return 0
    return max(1, min(LEVELS, round(LEVELS * value / top + 0.499)))


@require_GET
@staff_required
def process_heatmap(request: StaffRequest, name: str) -> HttpResponse:
    query = {k: request.GET.get(k, "")[:40] for k in ("from", "to", "version", "department")}
    node = request.GET.get("node", "")[:60]
    errors: list[str] = []
    try:
        version = _int_or_none(query["version"])
        period = stats.period_parse(query["from"] or None, query["to"] or None)
        figures = stats_heatmap.process_heatmap(
            user=request.user,
            name=name,
            period=period,
            version=version,
            department=query["department"] or None,
        )
    except NotFound as exc:
        return _problem_page(request, name, exc, 404)
    except PermissionDenied as exc:
        return _problem_page(request, name, exc, 403)
    except DomainError as exc:
        errors = [str(e.message) for e in exc.errors] or [str(exc.detail)]
        figures = None
    context: dict[str, Any] = {
        **staff_context(request, "processes"),
        "process": name,
        "filters": query,
        "errors": errors,
        "departments": [
            (d.code, localized(d, "name")) for d in catalog_selectors.department_list()
        ],
    }
    if figures is None:
        return render(request, "workbench/processes/heatmap.html", context, status=400)
    versions = figures["versions"]
    shown = versions[-1]
    if version is not None:
        shown = next(v for v in versions if v["version"] == version)
    definition = ProcessDefinition.objects.only("source", "name").get(
        name=name, version=shown["version"]
    )
    top_waiting = max(
        (n["waiting_cases"] for n in shown["nodes"] if n["type"] != "BoundaryEvent"), default=0
    )
    top_dwell = max((n["median_working_days"] or 0 for n in shown["nodes"]), default=0)
    # Over long periods the heat map counts visits only (passed_cases None): colour by those.
    counts_cases = shown["supplement"]["repeat_cases"] is not None

    def passed(n: dict[str, Any]) -> int:
        return int(n["passed_cases"] if counts_cases else n["passed_visits"])

    top_passed = max((passed(n) for n in shown["nodes"]), default=0)
    base = {
        "from": figures["from"].isoformat(),
        "to": figures["to"].isoformat(),
        "version": shown["version"],
    }
    if figures["department"]:
        base["department"] = figures["department"]
    nodes_url = reverse("workbench:process_heatmap_node", args=[name, "__node__"])
    diagram = {
        "xml": definition.source,
        "nodes": [
            {
                "id": n["node"],
                "name": n["name"],
                "passed": passed(n),
                "type": n["type"],
                # A boundary timer "waits" beside its task: the case waits at the task.
                "waiting": 0 if n["type"] == "BoundaryEvent" else n["waiting_cases"],
                "median": n["median_working_days"],
                "p90": n["p90_working_days"],
                "levels": {
                    "waiting": 0
                    if n["type"] == "BoundaryEvent"
                    else _level(n["waiting_cases"], top_waiting),
                    "dwell": _level(n["median_working_days"], top_dwell),
                    "passed": _level(passed(n), top_passed),
                },
            }
            for n in shown["nodes"]
        ],
        "flows": [f for f in shown["flows"] if f["flow"]],
        "nodes_url": f"{nodes_url}?{urlencode({'version': shown['version']})}",
        "labels": {
            "passed": _("经过"),
            "waiting": _("等待"),
            "median": _("中位数"),
            "days": _("工作日"),
        },
    }
    context.update(
        {
            "figures": figures,
            "shown": shown,
            "diagram": diagram,
            "filters": {**query, **{k: str(v) for k, v in base.items()}},
            "version_links": [
                (v, f"?{urlencode({**base, 'version': v})}")
                for v in sorted({*figures["available_versions"], shown["version"]})
            ],
            "node_query": urlencode(base),
            "levels": range(1, LEVELS + 1),
            "counts_cases": counts_cases,
            "distinct_max_days": stats_heatmap.DISTINCT_MAX_DAYS,
        }
    )
    if node:
        context["waiting"] = _waiting(request, name, node, shown["version"], figures)
    return render(request, "workbench/processes/heatmap.html", context)


def _waiting(
    request: StaffRequest, name: str, node: str, version: int, figures: dict[str, Any] | None
) -> dict[str, Any]:
    try:
        listed = stats_heatmap.node_waiting_cases(
            user=request.user,
            name=name,
            node=node,
            version=version,
            department=(figures or {}).get("department") or None,
        )
    except DomainError as exc:
        return {"node": node, "error": str(exc.detail), "cases": []}
    return {**listed, "label": node}


@require_GET
@staff_required
def process_heatmap_node(request: StaffRequest, name: str, node: str) -> HttpResponse:
    """The cases waiting at one node (the htmx partial of the heat map page)."""
    try:
        version = _int_or_none(request.GET.get("version", ""))
        department = request.GET.get("department", "")[:40] or None
        listed = stats_heatmap.node_waiting_cases(
            user=request.user, name=name, node=node, version=version, department=department
        )
        waiting: dict[str, Any] = dict(listed)
        status = 200
    except NotFound as exc:
        waiting, status = {"node": node[:60], "error": str(exc.detail), "cases": []}, 404
    except DomainError as exc:
        waiting, status = {"node": node[:60], "error": str(exc.detail), "cases": []}, 403
    return render(request, "workbench/processes/_waiting.html", {"waiting": waiting}, status=status)
