"""The process studio over HTTP (center admins): propose a new version, approve or reject it,
and read the versions of a process with their status and reports.

The two reads every staff member has (``GET /processes``, ``GET /processes/{name}/versions/
{version}``) are the viewer's; these paths do not clash with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from tongban.cases.services import studio
from tongban.cases.services.studio import center_admin_required
from tongban.identity.auth import signed_in
from tongban.identity.models import User
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.studio import versions
from tongban.workflow.studio.diff import definition_diff
from tongban.workflow.studio.validation import MAX_SOURCE_BYTES

router = Router(auth=signed_in, tags=["processes"])


class StudioVersionOut(Schema):
    name: str
    kind: str = Field(description="bpmn 或 dmn")
    version: int
    status: str = Field(description="validated 待审批 / published 已发布 / rejected 已驳回")
    digest: str
    note: str
    uploaded_by: str | None = Field(description="上传人（发布文件为 null）")
    uploaded_at: datetime
    based_on: int | None = Field(description="校验和试运行所依据的已发布版本")
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str
    published_at: datetime | None
    validation_report: dict[str, Any]
    dry_run_report: dict[str, Any]


class ReviewIn(Schema):
    comment: str = Field("", max_length=2000)


class DiffOut(Schema):
    nodes_added: list[dict[str, Any]]
    nodes_removed: list[dict[str, Any]]
    nodes_changed: list[dict[str, Any]]
    flows_added: list[dict[str, Any]]
    flows_removed: list[dict[str, Any]]
    flows_changed: list[dict[str, Any]]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def version_out(definition: ProcessDefinition) -> dict[str, Any]:
    """A version as the API shows it."""
    return {
        "name": definition.name,
        "kind": definition.kind,
        "version": definition.version,
        "status": definition.status,
        "digest": definition.digest,
        "note": definition.note,
        "uploaded_by": definition.uploaded_by.get_username() if definition.uploaded_by else None,
        "uploaded_at": definition.created_at,
        "based_on": definition.based_on.version if definition.based_on else None,
        "reviewed_by": definition.reviewed_by.get_username() if definition.reviewed_by else None,
        "reviewed_at": definition.reviewed_at,
        "review_comment": definition.review_comment,
        "published_at": definition.published_at,
        "validation_report": definition.validation_report,
        "dry_run_report": definition.dry_run_report,
    }


@router.post(
    "/processes/{name}/versions",
    response={201: StudioVersionOut},
    summary="上传流程/决策表新版本（中心管理员）",
)
def version_upload(
    request: HttpRequest, name: str, file: File[UploadedFile], note: Form[str] = ""
) -> Status[dict[str, Any]]:
    """Validated and dry-run at once; 422 naming each element that fails, and nothing stored."""
    user = _user(request)
    center_admin_required(user)
    # One byte more than allowed is enough to refuse a huge file without reading it all.
    source = file.read(MAX_SOURCE_BYTES + 1)
    definition = studio.process_version_upload(actor=user, name=name, source=source, note=note)
    return Status(201, version_out(definition))


@router.get(
    "/processes/{name}/history",
    response=list[StudioVersionOut],
    summary="流程版本历史（中心管理员）",
)
def version_history(request: HttpRequest, name: str) -> list[dict[str, Any]]:
    center_admin_required(_user(request))
    versions.definition_kind(name)
    return [version_out(d) for d in versions.definition_history(name)]


@router.post(
    "/processes/{name}/versions/{version}/approve",
    response=StudioVersionOut,
    summary="审批并发布新版本（另一位中心管理员）",
)
def version_approve(
    request: HttpRequest, name: str, version: int, payload: ReviewIn
) -> dict[str, Any]:
    """403 for the uploader (四眼原则); 409 when it is not waiting for approval."""
    definition = studio.process_version_approve(
        actor=_user(request), name=name, version=version, comment=payload.comment
    )
    return version_out(definition)


@router.post(
    "/processes/{name}/versions/{version}/reject",
    response=StudioVersionOut,
    summary="驳回新版本（中心管理员）",
)
def version_reject(
    request: HttpRequest, name: str, version: int, payload: ReviewIn
) -> dict[str, Any]:
    definition = studio.process_version_reject(
        actor=_user(request), name=name, version=version, comment=payload.comment
    )
    return version_out(definition)


@router.get(
    "/processes/{name}/diff",
    response=DiffOut,
    summary="两个版本之间的差异（中心管理员）",
)
def version_diff(request: HttpRequest, name: str, old: int, new: int) -> dict[str, Any]:
    center_admin_required(_user(request))
    before = versions.definition_version(name, old)
    after = versions.definition_version(name, new)
    return definition_diff(old=before.source, new=after.source)
