"""Applications (办件) and tasks (待办) over HTTP: thin handlers over services and selectors."""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Router
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import ValidationError as PydanticValidationError

from tongban.cases import selectors, services
from tongban.cases.choices import CaseStatus, MaterialStatus, TaskState
from tongban.cases.models import Case, CaseMaterial, Task
from tongban.cases.schemas import (
    ApplicationIn,
    CaseOut,
    CaseSummaryOut,
    ExtendIn,
    FormPatchIn,
    MaterialOut,
    SubmitIn,
    TaskCompleteIn,
    TaskOut,
    WithdrawIn,
)
from tongban.cases.services import joint_review, outputs, parties, routes, themes
from tongban.catalog.models import localized
from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.core.files import private_file_response
from tongban.identity import selectors as identity_selectors
from tongban.identity.auth import signed_in
from tongban.identity.models import User

router = Router(tags=["applications"], auth=signed_in)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REQUIREMENT_CODE_MAX = 60


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _code_name(obj: Any) -> dict[str, str] | None:
    if obj is None:
        return None
    return {"code": obj.code, "name": localized(obj, "name")}


def _material_out(material: CaseMaterial, *, staff: bool = False) -> dict[str, Any]:
    return {
        "requirement": material.requirement_code,
        "name": material.name,
        "required": material.required,
        "status": material.status,
        "status_label": str(MaterialStatus(material.status).label),
        "origin": material.origin,
        "content_type": material.content_type,
        "size": material.size,
        "sha256": material.sha256,
        "original_name": material.original_name,
        "shared_resource": material.shared_resource or None,
        "shared_at": material.shared_at,
        # The record itself is for the reviewing staff; the applicant sees that it was shared.
        "shared_record": (material.shared_record or None) if staff else None,
        "review_note": material.review_note,
        "deferred_until": material.deferred_until,
        "file_url": (
            reverse(
                "api:material_file",
                kwargs={"case_id": material.case_id, "requirement": material.requirement_code},
            )
            if material.file
            else None
        ),
    }


def _applicant_out(case: Case) -> dict[str, str]:
    return {"type": case.applicant_type, "name": case.applicant_name}


def case_out(*, user: User, case: Case) -> dict[str, Any]:
    """The whole case as the caller may see it.

    ``case`` is the one the operation already holds (with its matter, version and
    department): the answer is built from it, never from a second read of the case.
    """
    # A draft has no tasks and no supplement request yet (both come after submission).
    draft = case.status == CaseStatus.DRAFT
    supplement = None if draft else selectors.case_open_supplement(case=case)
    tasks = [] if draft else selectors.case_tasks_listed(case=case)
    staff = identity_selectors.user_staff(user=user) is not None
    results = outputs.case_outputs_summary(case=case)
    return {
        "id": case.pk,
        "case_no": case.case_no,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "matter": _code_name(case.matter),
        "matter_version": case.matter_version.version if case.matter_version else None,
        "theme": _code_name(case.theme),
        "children": themes.theme_children_view(case=case),
        "applicant": _applicant_out(case),
        "channel": case.channel,
        "form": case.form_data,
        "prefilled_fields": list(case.prefilled_fields or []),
        "materials": [_material_out(m, staff=staff) for m in selectors.case_materials_listed(case)],
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "decided_at": case.decided_at,
        "completed_at": case.completed_at,
        "due_date": case.due_date,
        "due_provisional": case.due_provisional,
        "acceptance_due_date": case.acceptance_due_date,
        "limit_days": case.limit_days,
        "extension_days": case.extension_days,
        "sla_state": case.sla_state,
        "outcome_reason": case.outcome_reason,
        **routes.case_route_out(case=case),
        "timeline": [vars(v) for v in selectors.case_timeline_for(user=user, case=case)],
        # One read of the tasks serves the list and the steps (when review was completed).
        "steps": [vars(v) for v in selectors.case_steps(case=case, tasks=tasks)],
        "tasks": [
            {
                "id": t.pk,
                "kind": t.kind,
                "name": t.name,
                "department": localized(t.department, "name"),
                "role": t.role,
                "state": t.state,
                "due_date": t.due_date,
                "decisions": selectors.task_decisions(t),
            }
            for t in tasks
        ],
        "supplement": {
            "id": supplement.pk,
            "items": supplement.items,
            "message": supplement.message,
            "requested_at": supplement.requested_at,
        }
        if supplement
        else None,
        "certificates": results["certificates"],
        "payment": results["payment"],
        "delivery": results["delivery"],
        "fee": results["fee"],
        "visit_count": case.visit_count,
        "joint_review": joint_review.joint_review_out(case=case),
    }


def _summary_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "case_no": case.case_no,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "matter": _code_name(case.matter),
        "applicant": _applicant_out(case),
        "created_at": case.created_at,
        "submitted_at": case.submitted_at,
        "due_date": selectors.case_due_date(case=case),
        "sla_state": case.sla_state,
    }


def task_out(task: Task) -> dict[str, Any]:
    case = task.case
    return {
        "id": task.pk,
        "kind": task.kind,
        "name": task.name,
        "department": task.department.code,
        "role": task.role,
        "state": task.state,
        "due_date": task.due_date,
        "case_id": case.pk,
        "case_no": case.case_no,
        "case_status": case.status,
        "matter": _code_name(case.matter),
        "applicant_name": case.applicant_name,
        "sla_state": case.sla_state,
        "claimed_by": task.claimed_by.username if task.claimed_by else None,
        "decisions": selectors.task_decisions(task),
        "decision": task.decision,
        "comment": task.comment,
    }


def _fresh(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = _user(request)
    return case_out(user=user, case=selectors.case_get_for_user(user=user, case_id=case_id))


@router.post("/applications", response={201: CaseOut}, summary="创建申请（草稿）")
def application_create(
    request: HttpRequest,
    payload: ApplicationIn,
    idempotency_key: str | None = Header(None, alias=IDEMPOTENCY_HEADER),
) -> Status[dict[str, Any]]:
    case = services.case_create(
        actor=_user(request),
        matter_code=payload.matter,
        theme_code=payload.theme,
        applicant=payload.applicant.dict(exclude_none=True) if payload.applicant else None,
        form=payload.form,
        channel=payload.channel,
        idempotency_key=idempotency_key,
        guidance_id=payload.guidance,
        window_code=payload.window,
        ticket_number=payload.ticket,
    )
    # The case the service made (or the key's earlier one) is the answer: no second read.
    return Status(201, case_out(user=_user(request), case=case))


@router.get("/applications", response=list[CaseSummaryOut], summary="我的办件")
def application_list(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    cases = selectors.case_list_for_applicant(user=_user(request), status=status)
    return [_summary_out(c) for c in cases[:200]]


@router.get("/applications/{case_id}", response=CaseOut, summary="办件详情")
def application_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _fresh(request, case_id)


@router.patch("/applications/{case_id}", response=CaseOut, summary="修改草稿申请表")
def application_update(request: HttpRequest, case_id: int, payload: FormPatchIn) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    services.case_update_form(actor=user, case=case, form=payload.form)
    return _fresh(request, case_id)


@router.post(
    "/applications/{case_id}/materials", response={201: MaterialOut}, summary="上传申请材料"
)
def material_upload(
    request: HttpRequest,
    case_id: int,
    requirement: Form[str],
    file: File[UploadedFile],
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = selectors.case_ref_for_user(user=user, case_id=case_id)
    material = services.material_upload(
        actor=user, case=case, requirement_code=requirement, file=file
    )
    return Status(201, _material_out(material))


@router.get(
    "/applications/{case_id}/materials/{requirement}/file",
    summary="下载申请材料文件",
    url_name="material_file",
)
def material_file(request: HttpRequest, case_id: int, requirement: str) -> FileResponse:
    """The uploaded file, for the applicant, the agent or staff on the case; else 404."""
    case = selectors.case_get_for_user(user=_user(request), case_id=case_id)
    material = None
    if requirement.isprintable() and len(requirement) <= REQUIREMENT_CODE_MAX:
        material = case.materials.filter(requirement_code=requirement).first()
    if material is None or not material.file:
        raise NotFound(_("材料不存在"))
    return private_file_response(
        material.file, content_type=material.content_type, filename=material.original_name
    )


def _submit_body(request: HttpRequest) -> SubmitIn:
    """The optional JSON body of a submission; any other (or no) body is an empty one.

    Read by hand so clients that post nothing, or an empty form, keep working.
    """
    if request.content_type != "application/json" or not request.body.strip():
        return SubmitIn()
    try:
        data = json.loads(request.body)
    except ValueError:
        raise ValidationFailed(
            _("请求体不是有效的 JSON"), errors=[FieldError(field="body", message=_("无效的 JSON"))]
        ) from None
    try:
        return SubmitIn.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationFailed(
            _("请求中有字段不符合要求"),
            errors=[
                FieldError(field=".".join(str(p) for p in err["loc"]), message=err["msg"])
                for err in exc.errors()
            ],
        ) from None


_SUBMIT_BODY_DOC = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "deferred": {
                            "type": "array",
                            "description": "容缺受理：后补的非关键材料及承诺补交日期",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "requirement": {"type": "string"},
                                    "until": {"type": "string", "format": "date"},
                                },
                                "required": ["requirement", "until"],
                            },
                        },
                        "commitment": {
                            "type": "object",
                            "description": '告知承诺书：签署时为 {"signed": true}',
                            "properties": {"signed": {"type": "boolean"}},
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/applications/{case_id}/submit",
    response=CaseOut,
    summary="提交申请",
    openapi_extra=_SUBMIT_BODY_DOC,
)
def application_submit(
    request: HttpRequest,
    case_id: int,
    idempotency_key: str | None = Header(None, alias=IDEMPOTENCY_HEADER),
) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_ref_for_user(user=user, case_id=case_id)
    payload = _submit_body(request)
    deferred = [item.dict() for item in payload.deferred]
    commitment = payload.commitment.dict() if payload.commitment else None
    submitted = services.case_submit(
        actor=user,
        case=case,
        idempotency_key=idempotency_key,
        deferred=deferred or None,
        commitment=commitment,
    )
    # The locked case the service changed (or the key's earlier one) is the answer.
    return case_out(user=user, case=submitted)


@router.post("/applications/{case_id}/withdraw", response=CaseOut, summary="撤回申请")
def application_withdraw(
    request: HttpRequest, case_id: int, payload: WithdrawIn | None = None
) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    services.case_withdraw(actor=user, case=case, reason=payload.reason if payload else "")
    return _fresh(request, case_id)


@router.post("/applications/{case_id}/confirm", summary="当事人确认申请（多方申请）")
def application_party_confirm(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The signed-in buyer (or another named party) confirms their part of an application.

    404 for anyone not named as a party of the case; 409 when they confirmed already or the
    application no longer waits for them.
    """
    user = _user(request)
    case = services.case_party_confirm(actor=user, case_id=case_id)
    return party_case_out(user=user, case=case)


def party_case_out(*, user: User, case: Case) -> dict[str, Any]:
    """What a named party sees of an application: the matter, who applied, every party."""
    return {
        "id": case.pk,
        "case_no": case.case_no,
        "status": case.status,
        "status_label": str(CaseStatus(case.status).label),
        "matter_name": localized(case.matter, "name") if case.matter else "",
        "applicant_name": case.applicant_name,
        "parties": [
            {
                "role": party.role,
                "role_label": parties.party_role_label(party.role),
                "name": party.name,
                "confirmed": party.confirmed_at is not None,
                "confirmed_at": party.confirmed_at,
            }
            for party in case.parties.all()
        ],
    }


def _supplement_body(request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """(form, files) of a multipart answer (``form`` as a JSON text field) or a JSON one."""
    if request.content_type == "multipart/form-data":
        raw = request.POST.get("form") or "{}"
        files = {name: request.FILES[name] for name in request.FILES}
    else:
        raw = request.body.decode("utf-8", errors="replace") or "{}"
        files = {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError:
        raise ValidationFailed(
            _("请求内容不是有效的 JSON"),
            errors=[FieldError(field="form", message=_("JSON 格式错误"))],
        ) from None
    if request.content_type != "multipart/form-data" and isinstance(body, dict):
        body = body.get("form") or {}
    if not isinstance(body, dict):
        raise ValidationFailed(
            _("申请表填写有误"), errors=[FieldError(field="form", message=_("应为对象"))]
        )
    return body, files


@router.post("/applications/{case_id}/supplement", response=CaseOut, summary="补正")
def application_supplement(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    form, files = _supplement_body(request)
    services.case_supplement_answer(actor=user, case=case, form=form, files=files)
    return _fresh(request, case_id)


@router.post("/applications/{case_id}/extend", response=CaseOut, summary="延期（审批岗位）")
def application_extend(request: HttpRequest, case_id: int, payload: ExtendIn) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    services.case_extend(actor=user, case=case, days=payload.days, reason=payload.reason)
    return _fresh(request, case_id)


@router.get("/tasks", response=list[TaskOut], summary="我的待办", tags=["tasks"])
def task_list(request: HttpRequest, state: str = TaskState.OPEN) -> list[dict[str, Any]]:
    tasks = selectors.task_list_for_staff(user=_user(request), state=state)
    return [task_out(t) for t in tasks[:500]]


@router.post("/tasks/{task_id}/claim", response=TaskOut, summary="认领待办", tags=["tasks"])
def task_claim(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = _user(request)
    task = selectors.task_get_for_staff(user=user, task_id=task_id)
    services.task_claim(actor=user, task=task)
    return task_out(selectors.task_get_for_staff(user=user, task_id=task_id))


@router.post("/tasks/{task_id}/complete", response=TaskOut, summary="办理待办", tags=["tasks"])
def task_complete(request: HttpRequest, task_id: int, payload: TaskCompleteIn) -> dict[str, Any]:
    user = _user(request)
    # The department's check on the key columns: the service reads the task and its case
    # whole, once, under its locks.
    task = selectors.task_ref_for_staff(user=user, task_id=task_id)
    done = services.task_complete(
        actor=user,
        task=task,
        decision=payload.decision,
        comment=payload.comment,
        data=payload.data,
    )
    # The task as the service left it (with its case, matter and department): no second read.
    return task_out(done)


@router.post(
    "/applications/{case_id}/pickup", response=CaseOut, summary="确认窗口领取（窗口受理岗位）"
)
def application_pickup(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_get_for_user(user=user, case_id=case_id)
    outputs.case_pickup_confirm(actor=user, case=case)
    return _fresh(request, case_id)
