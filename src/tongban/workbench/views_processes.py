"""The process viewer for staff: every process and decision table, and one version drawn.

Read-only: publishing versions is the studio's (center admins). Any member of staff may look;
a version not published yet only a center admin (as the API decides).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tongban.cases.selectors_position import APPLICANT_LANE, sees_unpublished_processes
from tongban.core.errors import NotFound
from tongban.identity.choices import StaffRole
from tongban.workbench.views import StaffRequest, staff_context, staff_required
from tongban.workflow.diagram import diagram_read, document_title, node_label
from tongban.workflow.selectors import process_catalogue, process_version_get


@require_GET
@staff_required
def process_list(request: StaffRequest) -> HttpResponse:
    entries = process_catalogue(include_unpublished=sees_unpublished_processes(user=request.user))
    rows = [
        {
            "entry": entry,
            "title": node_label(entry.title, entry.name),
            "current": entry.current,
        }
        for entry in entries
    ]
    return render(
        request,
        "workbench/processes/list.html",
        {**staff_context(request, "processes"), "rows": rows},
    )


@require_GET
@staff_required
def process_detail(request: StaffRequest, name: str, version: int) -> HttpResponse:
    include = sees_unpublished_processes(user=request.user)
    try:
        found = process_version_get(name=name, version=version, include_unpublished=include)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    entry = next(e for e in process_catalogue(include_unpublished=include) if e.name == name)
    diagram = diagram_read(found.source) if found.kind == "bpmn" else None
    lanes = {**dict(StaffRole.choices), APPLICANT_LANE: _("申请人")}
    nodes = (
        [
            {
                "id": n.id,
                "name": node_label(n.name, n.id),
                "type": n.type,
                "lane": str(lanes.get(n.lane, n.lane)),
            }
            for n in diagram.nodes.values()
        ]
        if diagram is not None
        else []
    )
    context = {
        **staff_context(request, "processes"),
        "version": found,
        "entry": entry,
        "title": node_label(document_title(found.source), name),
        "nodes": nodes,
        "kind": found.kind,
        "xml_url": reverse("api:process_version", kwargs={"name": name, "version": version}),
    }
    return render(request, "workbench/processes/detail.html", context)
