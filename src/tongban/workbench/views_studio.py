"""流程工作室 (the process studio) for center admins: versions of every process and decision
table, upload or edit a new version, its validation and dry-run reports, the diff against the
version in force, and approval by a second center admin (四眼原则).

Thin views over ``cases.services.studio`` (the rules) and ``workflow.studio`` (the reads).
Every change is a POST that redirects (PRG); a refusal is shown with its 4xx status and
nothing changed.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tongban.cases.services import studio
from tongban.core.errors import DomainError, NotFound, ValidationFailed
from tongban.identity.choices import StaffRole
from tongban.workbench.views import StaffRequest, staff_context, staff_required, status_of
from tongban.workbench.views_counter import _forbidden
from tongban.workflow.choices import DefinitionKind, DefinitionStatus
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.studio import versions
from tongban.workflow.studio.diff import definition_diff
from tongban.workflow.studio.validation import MAX_SOURCE_BYTES, rule_labels

UNPROCESSABLE = 422
NAV = "studio"


def _refused(request: StaffRequest) -> HttpResponse | None:
    if StaffRole.CENTER_ADMIN in request.roles:
        return None
    return _forbidden(request, NAV, _("仅供中心管理员使用"), _("流程工作室只对中心管理员开放。"))


def _posted(request: StaffRequest, name: str, limit: int = 2000) -> str:
    value = request.POST.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _not_found(request: StaffRequest, exc: DomainError) -> HttpResponse:
    return render(
        request,
        "workbench/counter/forbidden.html",
        {**staff_context(request, NAV), "title": _("未找到"), "detail": str(exc.detail)},
        status=404,
    )


@require_GET
@staff_required
def studio_list(request: StaffRequest) -> HttpResponse:
    """Every process and decision table: the version in force and versions waiting."""
    if (refused := _refused(request)) is not None:
        return refused
    for name in versions.definition_names():
        versions.definition_current(name)  # a release file never started yet is stored now
    context = {**staff_context(request, NAV), "processes": versions.studio_overview()}
    return render(request, "workbench/studio/list.html", context)


def _process_context(request: StaffRequest, name: str) -> dict[str, Any]:
    current = versions.definition_current(name)
    history = list(versions.definition_history(name))
    return {
        **staff_context(request, NAV),
        "name": name,
        "kind": versions.definition_kind(name),
        "current": current,
        "history": history,
        "max_kb": MAX_SOURCE_BYTES // 1024,
    }


@require_GET
@staff_required
def studio_process(request: StaffRequest, name: str) -> HttpResponse:
    """One process: its versions (who uploaded, who approved, when, why) and the upload form."""
    if (refused := _refused(request)) is not None:
        return refused
    try:
        context = _process_context(request, name)
    except NotFound as exc:
        return _not_found(request, exc)
    return render(request, "workbench/studio/process.html", context)


@require_POST
@staff_required
def studio_upload(request: StaffRequest, name: str) -> HttpResponse:
    """Upload a file as a new version: validated and dry-run at once."""
    if (refused := _refused(request)) is not None:
        return refused
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationFailed(_("请选择要上传的文件"))
        definition = studio.process_version_upload(
            actor=request.user,
            name=name,
            source=upload.read(MAX_SOURCE_BYTES + 1),
            note=_posted(request, "note"),
        )
    except NotFound as exc:
        return _not_found(request, exc)
    except DomainError as exc:
        context = {
            **_process_context(request, name),
            "error": exc,
            "note": _posted(request, "note"),
        }
        return render(
            request, "workbench/studio/process.html", context, status=status_of_upload(exc)
        )
    messages.success(
        request,
        _("第%(version)s版已上传并通过校验，等待另一位中心管理员审批。")
        % {"version": definition.version},
    )
    return redirect("workbench:studio_version", name=name, version=definition.version)


def status_of_upload(exc: DomainError) -> int:
    return UNPROCESSABLE if isinstance(exc, ValidationFailed) else status_of(exc)


@require_http_methods(["GET", "POST"])
@staff_required
def studio_modeler(request: StaffRequest, name: str) -> HttpResponse:
    """Edit the version in force in the bpmn-js modeler; saving posts the XML as a new version."""
    if (refused := _refused(request)) is not None:
        return refused
    try:
        kind = versions.definition_kind(name)
        current = versions.definition_current(name)
    except NotFound as exc:
        return _not_found(request, exc)
    if request.method == "POST":
        return _modeler_save(request, name)
    if kind != DefinitionKind.BPMN:
        return redirect("workbench:studio_process", name=name)
    context = {
        **staff_context(request, NAV),
        "name": name,
        "current": current,
        "source_url": reverse(
            "workbench:studio_source", kwargs={"name": name, "version": current.version}
        ),
    }
    return render(request, "workbench/studio/modeler.html", context)


def _modeler_save(request: StaffRequest, name: str) -> HttpResponse:
    try:
        payload = json.loads(request.body[: MAX_SOURCE_BYTES * 2])
        xml, note = payload.get("xml"), payload.get("note", "")
        if not isinstance(xml, str) or not isinstance(note, str):
            raise ValueError
    except (ValueError, AttributeError):
        return JsonResponse({"detail": _("请求内容无效"), "errors": []}, status=400)
    try:
        definition = studio.process_version_upload(
            actor=request.user, name=name, source=xml.encode(), note=note[:2000]
        )
    except DomainError as exc:
        return JsonResponse(
            {"detail": str(exc.detail), "errors": exc.field_errors()},
            status=status_of_upload(exc),
        )
    messages.success(
        request,
        _("第%(version)s版已保存并通过校验，等待另一位中心管理员审批。")
        % {"version": definition.version},
    )
    return JsonResponse(
        {
            "version": definition.version,
            "url": reverse(
                "workbench:studio_version", kwargs={"name": name, "version": definition.version}
            ),
        },
        status=201,
    )


@require_GET
@staff_required
def studio_source(request: StaffRequest, name: str, version: int) -> HttpResponse:
    """The XML of one version (for the modeler and the diagram)."""
    if (refused := _refused(request)) is not None:
        return refused
    try:
        definition = versions.definition_version(name, version)
    except NotFound as exc:
        return _not_found(request, exc)
    return HttpResponse(definition.source, content_type="application/xml; charset=utf-8")


def _diff_against(definition: ProcessDefinition) -> ProcessDefinition | None:
    if definition.based_on_id is not None:
        return definition.based_on
    return (
        ProcessDefinition.objects.filter(name=definition.name, version__lt=definition.version)
        .order_by("-version")
        .first()
    )


def _version_context(request: StaffRequest, definition: ProcessDefinition) -> dict[str, Any]:
    labels = rule_labels()
    other_version = request.GET.get("old", "")
    against = None
    if isinstance(other_version, str) and other_version.isdigit() and len(other_version) < 9:
        against = ProcessDefinition.objects.filter(
            name=definition.name, version=int(other_version)
        ).first()
    against = against or _diff_against(definition)
    diff = definition_diff(old=against.source, new=definition.source) if against else None
    names = versions.node_names(definition.source)
    if against is not None:
        names = {**versions.node_names(against.source), **names}
    report = definition.validation_report or {}
    dry_run = definition.dry_run_report or {}
    for case in dry_run.get("cases", []):
        for key in ("after", "expected", "got"):
            case[f"{key}_name"] = ", ".join(
                names.get(part.strip(), "") for part in str(case.get(key) or "").split(",")
            ).strip(", ")
    marks = {}
    if diff is not None:
        marks = {
            "added": [n["id"] for n in diff["nodes_added"]]
            + [f["id"] for f in diff["flows_added"]],
            "changed": [n["id"] for n in diff["nodes_changed"]]
            + [f["id"] for f in diff["flows_changed"]],
        }
    return {
        **staff_context(request, NAV),
        "definition": definition,
        "checks": [
            {"label": labels.get(c["rule"], c["rule"]), "ok": c["ok"]}
            for c in report.get("checks", [])
        ],
        "dry_run": dry_run,
        "diverged": [c for c in dry_run.get("cases", []) if c.get("status") != "same"],
        "against": against,
        "diff": diff,
        "names": names,
        "history": list(
            ProcessDefinition.objects.filter(name=definition.name)
            .order_by("-version")
            .values_list("version", flat=True)
        ),
        "marks_added": json.dumps(marks.get("added", [])),
        "marks_changed": json.dumps(marks.get("changed", [])),
        "source_url": reverse(
            "workbench:studio_source",
            kwargs={"name": definition.name, "version": definition.version},
        ),
        "own_upload": definition.uploaded_by_id == request.user.pk,
        "waiting": definition.status == DefinitionStatus.VALIDATED,
    }


@require_GET
@staff_required
def studio_version(request: StaffRequest, name: str, version: int) -> HttpResponse:
    """One version: status and audit, validation report, dry run, diff, approve or reject."""
    if (refused := _refused(request)) is not None:
        return refused
    try:
        definition = versions.definition_version(name, version)
    except NotFound as exc:
        return _not_found(request, exc)
    return render(request, "workbench/studio/version.html", _version_context(request, definition))


def _review(request: StaffRequest, name: str, version: int, action: str) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    comment = _posted(request, "comment")
    try:
        if action == "approve":
            studio.process_version_approve(
                actor=request.user, name=name, version=version, comment=comment
            )
            messages.success(
                request,
                _("第%(version)s版已审批发布，新办件将按此版本办理。") % {"version": version},
            )
        else:
            studio.process_version_reject(
                actor=request.user, name=name, version=version, comment=comment
            )
            messages.success(request, _("第%(version)s版已驳回。") % {"version": version})
    except NotFound as exc:
        return _not_found(request, exc)
    except DomainError as exc:
        definition = versions.definition_version(name, version)
        context = {**_version_context(request, definition), "error": exc, "comment": comment}
        return render(
            request, "workbench/studio/version.html", context, status=status_of_upload(exc)
        )
    return redirect("workbench:studio_version", name=name, version=version)


@require_POST
@staff_required
def studio_approve(request: StaffRequest, name: str, version: int) -> HttpResponse:
    return _review(request, name, version, "approve")


@require_POST
@staff_required
def studio_reject(request: StaffRequest, name: str, version: int) -> HttpResponse:
    return _review(request, name, version, "reject")
