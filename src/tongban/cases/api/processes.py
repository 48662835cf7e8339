"""The process viewer over HTTP: every process and decision table, a version's XML, and where
a case stands on its diagram.

Access: a process diagram holds no personal data, and the applicant's own case page draws its
case on one, so every signed-in account (applicant, agent, staff) reads the published
versions; a version not published yet (the studio's candidates) only a center admin.
Anonymous callers get 401. The position of a case is read exactly as the case is: its
applicant, a live agent of its enterprise, staff of a department on it; 404 for anyone else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from tongban.cases.selectors_position import (
    position_for,
    position_out,
    sees_unpublished_processes,
)
from tongban.identity.auth import signed_in
from tongban.identity.models import User
from tongban.workflow.diagram import document_title, label_pair
from tongban.workflow.selectors import (
    ProcessEntry,
    ProcessVersion,
    process_catalogue,
    process_version_get,
)

router = Router(auth=signed_in, tags=["processes"])


class VersionMetaOut(Schema):
    version: int
    digest: str = Field(description="XML 的 SHA-256")
    published_at: datetime | None = Field(description="发布时间（未发布为 null）")
    source_file: str = Field(description="来源文件（网页上传的版本为空）")


class ProcessOut(Schema):
    name: str = Field(description="流程名，即 src/tongban/processes/ 中的文件名")
    title: str = Field(description="名称（当前语言）")
    title_zh: str
    title_en: str
    kind: str = Field(description="bpmn 或 dmn")
    version: int | None = Field(description="新办件采用的版本（最新已发布版本）")
    versions: list[VersionMetaOut]


class ProcessVersionOut(VersionMetaOut):
    name: str
    kind: str
    title: str
    title_zh: str
    title_en: str
    xml: str = Field(description="BPMN 或 DMN 的 XML")


class PositionStepOut(Schema):
    node: str = Field(description="BPMN 元素 id")
    name: str = Field(description="环节名称（当前语言）")
    name_zh: str
    name_en: str
    type: str = Field(description="UserTask、ExclusiveGateway、StartEvent、EndEvent …")
    lane: str
    state: str = Field(description="done 已完成 / current 当前")
    at: datetime = Field(description="离开时间（已完成）或到达时间（当前）")
    entered_at: datetime
    left_at: datetime | None
    flow: str | None = Field(description="到达本环节所经的顺序流 id")
    department: str | None
    department_name: str | None
    by: str | None = Field(description="办理人（仅工作人员可见）")
    decision: str | None = Field(description="决定（仅工作人员可见）")
    decision_label: str | None
    due_date: date | None
    sla: str | None = Field(description="当前环节时限：normal/warning/overdue/suspended")


class NodeRefOut(Schema):
    node: str
    name: str
    type: str


class PositionOut(Schema):
    process: str
    version: int | None = Field(description="办件所用的流程版本（尚未提交为 null）")
    title: str = Field(description="流程名称（当前语言）")
    recorded: bool = Field(description="是否有流转记录")
    completed: bool
    end_event: str | None
    done: list[PositionStepOut]
    current: list[PositionStepOut]
    steps: list[PositionStepOut] = Field(description="文字版办理步骤（按到达顺序，不含网关和脚本）")
    departments: list[PositionStepOut] = Field(description="联合审查：每个部门一条")
    flows: list[str] = Field(description="已经过的顺序流 id")
    not_reached: list[NodeRefOut] = Field(description="未经过的环节")
    flows_not_taken: list[str]
    markers: dict[str, str] = Field(description="环节 id → 图上标记")
    overlays: dict[str, str] = Field(description="环节 id → 图上的小标注（如联审 3/11）")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _meta(version: ProcessVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "digest": version.digest,
        "published_at": version.published_at,
        "source_file": version.source_file,
    }


def _titles(title: str, name: str) -> dict[str, str]:
    zh, en = label_pair(title, name)
    return {"title": _(title) if title else name, "title_zh": zh, "title_en": en}


def process_out(entry: ProcessEntry) -> dict[str, Any]:
    current = entry.current
    return {
        "name": entry.name,
        **_titles(entry.title, entry.name),
        "kind": entry.kind,
        "version": current.version if current is not None else None,
        "versions": [_meta(v) for v in entry.versions],
    }


@router.get("/processes", response=list[ProcessOut], summary="流程与决策表")
def process_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every process (BPMN) and decision table (DMN) with its versions, newest first."""
    entries = process_catalogue(include_unpublished=sees_unpublished_processes(user=_user(request)))
    return [process_out(e) for e in entries]


@router.get(
    "/processes/{name}/versions/{version}",
    response=ProcessVersionOut,
    summary="流程某一版本的 XML",
    openapi_extra={
        "responses": {
            200: {
                "description": "默认返回 XML（application/xml），版本、摘要与发布时间在响应头 "
                "X-Process-Version、X-Process-Digest、X-Process-Published-At；?format=json 或 "
                "Accept: application/json 返回 JSON。",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            }
        }
    },
)
def process_version(
    request: HttpRequest, name: str, version: int, format: str = ""
) -> HttpResponse | dict[str, Any]:
    """The XML of one version; 404 naming the process or version when there is none."""
    found = process_version_get(
        name=name,
        version=version,
        include_unpublished=sees_unpublished_processes(user=_user(request)),
    )
    wants_json = format == "json" or (
        format != "xml" and "application/json" in request.headers.get("Accept", "")
    )
    if wants_json:
        title = document_title(found.source)
        return {
            **_meta(found),
            "name": found.name,
            "kind": found.kind,
            **_titles(title, found.name),
            "xml": found.source,
        }
    response = HttpResponse(found.source, content_type="application/xml; charset=utf-8")
    response["ETag"] = f'"{found.digest}"'
    response["X-Process-Version"] = str(found.version)
    response["X-Process-Digest"] = found.digest
    response["X-Process-Kind"] = found.kind
    response["X-Process-Published-At"] = (
        found.published_at.isoformat() if found.published_at else ""
    )
    response["X-Process-Source-File"] = found.source_file
    # The same version's XML never changes: a browser may keep it (still per user).
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.get(
    "/applications/{case_id}/position",
    response=PositionOut,
    summary="办件在流程图上的位置",
    tags=["applications"],
)
def application_position(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """Nodes done and current, flows taken, paths not taken; staff names for staff only."""
    return position_out(position_for(user=_user(request), case_id=case_id))
