"""Case operations: create, fill in, upload, submit, accept, review, decide, supplement, withdraw.

Every operation is one transaction that locks the case row first, so two
changes of one case are serialised; the process state additionally carries a
version (optimistic lock in ``tongban.workflow.engine``).  Every step is written
to the timeline; the applicant is notified through the outbox
(``notify_applicant`` writes the rows in this transaction and sends on commit).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaValidationError

from tongban.cases import deferral, inspection, joint_review, outputs, routes, themes
from tongban.cases.choices import (
    DECISIONS_BY_KIND,
    FINAL_STATUSES,
    WITHDRAWABLE_STATUSES,
    ApplicantType,
    CaseStatus,
    CreditRoute,
    Decision,
    MaterialOrigin,
    MaterialStatus,
    SupplementState,
    TaskKind,
    TaskState,
)
from tongban.cases.idempotency import idempotency_key_check, idempotent_run, request_hash
from tongban.cases.materials import CheckedFile, material_file_check
from tongban.cases.models import (
    Case,
    CaseMaterial,
    SupplementRequest,
    Task,
    TimelineEntry,
    VisitKind,
)
from tongban.cases.notifications import notify_applicant
from tongban.cases.sharing import case_materials_share
from tongban.cases.sla import case_acceptance_deadline, case_deadline_refresh, case_sla_state
from tongban.catalog.choices import Channel
from tongban.catalog.forms import schema_field_title
from tongban.catalog.models import Department, Matter, MatterVersion
from tongban.core.errors import (
    Conflict,
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, Person, User
from tongban.workflow import engine
from tongban.workflow.calendar import SHANGHAI, due_datetime
from tongban.workflow.models import ProcessInstance

logger = logging.getLogger(__name__)

#: Lanes of the BPMN processes that are the applicant's, not a department's.
APPLICANT_LANE = "applicant"
#: Applicant tasks of the processes: answering a supplement at acceptance or at review.
SUPPLEMENT_TASKS = ("supplement", "supplement_review")
#: Decisions whose reason the applicant is legally owed (行政许可法第三十二、三十八条).
DECISIONS_NEEDING_REASON = (Decision.REJECT, Decision.DENY, Decision.FAIL)


# --- small helpers ---------------------------------------------------------------------------


def _status_refused(case: Case, action: str) -> InvalidStateChange:
    return InvalidStateChange(
        _("办件当前状态为“%(status)s”，不能%(action)s")
        % {"status": CaseStatus(case.status).label, "action": action}
    )


def _case_locked(case: Case) -> Case:
    # The row lock serialises every change of one case (PostgreSQL; SQLite writes serially).
    return Case.objects.select_for_update().get(pk=case.pk)


def _timeline(
    case: Case,
    *,
    at: datetime,
    action: str,
    step: str = "",
    actor: User | None = None,
    department: Department | None = None,
    comment: str = "",
    public: bool = True,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case,
        at=at,
        action=action,
        step=step,
        actor=actor,
        department=department,
        comment=comment,
        public=public,
    )


def _notify(case: Case, event: str) -> None:
    notify_applicant(case=case, event=event)


def _is_applicant(actor: User, case: Case) -> bool:
    if case.applicant_user_id == actor.pk:
        return True
    if case.applicant_type == ApplicantType.ENTERPRISE and case.applicant_enterprise_id:
        enterprise = Enterprise.objects.filter(pk=case.applicant_enterprise_id).first()
        return enterprise is not None and identity_selectors.user_is_agent_of(
            user=actor, uscc=enterprise.uscc
        )
    return False


def _applicant_required(actor: User, case: Case) -> None:
    if not _is_applicant(actor, case):
        raise PermissionDenied(_("只有申请人本人（或企业经办人）可以办理此操作"))


def _guide(case: Case) -> dict[str, Any]:
    if case.matter_version is None:
        return {}
    guide = case.matter_version.guide
    return guide if isinstance(guide, dict) else {}


def _form_schema(case: Case) -> dict[str, Any]:
    if themes.is_theme_parent(case):
        return themes.theme_case_schema(case=case)
    schema = _guide(case).get("form_schema")
    return schema if isinstance(schema, dict) else {"type": "object", "properties": {}}


# --- form validation -------------------------------------------------------------------------

_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMAS = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _without_required(schema: Any) -> Any:
    """The schema with every ``required`` dropped: a draft may be partial."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _without_required(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMAS:
            out[key] = _without_required(value)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [_without_required(sub) for sub in value]
        else:
            out[key] = value
    return out


def _title(schema: Any, fallback: str) -> str:
    return schema_field_title(schema, fallback)


_PROBLEMS = {
    "type": "类型不正确",
    "format": "格式不正确",
    "pattern": "格式不正确",
    "enum": "取值无效",
    "const": "取值无效",
    "minLength": "内容过短",
    "maxLength": "内容过长",
    "minimum": "数值过小",
    "exclusiveMinimum": "数值过小",
    "maximum": "数值过大",
    "exclusiveMaximum": "数值过大",
    "minItems": "选择的项目过少",
    "maxItems": "选择的项目过多",
}


def _schema_error_fields(err: SchemaValidationError) -> list[FieldError]:
    path = [str(p) for p in err.absolute_path]
    if err.validator == "required":
        properties = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        instance = err.instance if isinstance(err.instance, dict) else {}
        return [
            FieldError(
                field=".".join(["form", *path, str(name)]),
                message=_("%(title)s：必填") % {"title": _title(properties.get(name), str(name))},
            )
            for name in err.validator_value
            if name not in instance
        ]
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        return [
            FieldError(field=".".join(["form", *path, str(name)]), message=_("未知字段"))
            for name in err.instance
            if name not in known
        ]
    problem = _PROBLEMS.get(str(err.validator), "内容不符合要求")
    title = _title(err.schema, path[-1] if path else _("申请表"))
    return [
        FieldError(
            field=".".join(["form", *path]),
            message=_("%(title)s：%(problem)s") % {"title": title, "problem": _(problem)},
        )
    ]


def form_errors(*, schema: Mapping[str, Any], form: Any, complete: bool) -> list[FieldError]:
    """Field errors of ``form`` against the matter's JSON Schema; ``complete`` checks required."""
    checked = dict(schema) if complete else _without_required(dict(schema))
    validator = Draft202012Validator(checked, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: list[FieldError] = []
    seen: set[str] = set()
    for err in sorted(validator.iter_errors(form), key=lambda e: [str(p) for p in e.path]):
        # One error per field: "required" reports each missing name, and a value may break
        # several keywords at once.
        for item in _schema_error_fields(err):
            if item.field not in seen:
                seen.add(item.field)
                errors.append(item)
    return errors


def _form_check(case: Case, form: Any, *, complete: bool) -> None:
    errors = form_errors(schema=_form_schema(case), form=form, complete=complete)
    if errors:
        raise ValidationFailed(_("申请表填写有误"), errors=errors)


# --- create and fill in ----------------------------------------------------------------------


def _case_no(case: Case) -> str:
    created = (case.created_at or timezone.now()).astimezone(SHANGHAI)
    return f"JD{created:%Y%m%d}{case.pk:06d}"


def _applicant_resolve(
    actor: User, applicant: Mapping[str, Any] | None
) -> tuple[str, Person | None, Enterprise | None, str]:
    kind = (applicant or {}).get("type") or ApplicantType.PERSON
    if kind == ApplicantType.PERSON:
        person = Person.objects.filter(user=actor).first()
        if person is None:
            raise ValidationFailed(
                _("当前账号尚未实名登记，不能以个人身份申请"),
                errors=[FieldError(field="applicant", message=_("当前账号没有对应的自然人信息"))],
            )
        return ApplicantType.PERSON, person, None, person.name
    if kind == ApplicantType.ENTERPRISE:
        uscc = str((applicant or {}).get("uscc") or "").strip().upper()
        if not uscc:
            raise ValidationFailed(
                _("请填写企业的统一社会信用代码"),
                errors=[FieldError(field="applicant.uscc", message=_("必填"))],
            )
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None or not identity_selectors.user_is_agent_of(user=actor, uscc=uscc):
            raise PermissionDenied(_("您不是该企业的有效经办人，不能代其申请"))
        return ApplicantType.ENTERPRISE, None, enterprise, enterprise.name
    raise ValidationFailed(
        _("申请人类型无效"),
        errors=[FieldError(field="applicant.type", message=_("只能是 person 或 enterprise"))],
    )


def _matter_for_application(matter_code: str | None, channel: str) -> tuple[Matter, MatterVersion]:
    if not matter_code:
        raise ValidationFailed(
            _("请选择要申请的事项"), errors=[FieldError(field="matter", message=_("必填"))]
        )
    matter = (
        Matter.objects.select_related("department").filter(code=matter_code, is_active=True).first()
    )
    if matter is None:
        raise ValidationFailed(
            _("事项不存在或已停止办理"),
            errors=[FieldError(field="matter", message=_("事项不存在或已停止办理"))],
        )
    if channel not in Channel.values or channel not in (matter.channels or []):
        raise ValidationFailed(
            _("该事项不支持此办理渠道"),
            errors=[
                FieldError(
                    field="channel",
                    message=_("该事项可用的办理渠道：%(channels)s")
                    % {
                        "channels": "、".join(
                            str(Channel(c).label) for c in matter.channels if c in Channel.values
                        )
                        or _("无")
                    },
                )
            ],
        )
    version = matter.versions.order_by("-version").first()
    if version is None:
        raise ValidationFailed(
            _("该事项的办事指南尚未发布"),
            errors=[FieldError(field="matter", message=_("办事指南尚未发布"))],
        )
    return matter, version


def _case_create(
    *,
    actor: User,
    matter_code: str | None,
    theme_code: str | None,
    applicant: Mapping[str, Any] | None,
    form: Any,
    channel: str,
    guidance_id: int | None = None,
) -> Case:
    if theme_code:
        return themes.theme_case_create(
            actor=actor, theme_code=theme_code, applicant=applicant, form=form, channel=channel
        )
    matter, version = _matter_for_application(matter_code, channel)
    applicant_type, person, enterprise, applicant_name = _applicant_resolve(actor, applicant)
    form = {} if form is None else form
    guidance = None
    if guidance_id is not None:
        # 批前指导: the reviewed draft pre-fills the form; what the applicant typed wins.
        from tongban.counter.services import guidance_for_application

        guidance = guidance_for_application(actor=actor, guidance_id=guidance_id, matter=matter)
        if isinstance(form, dict):
            form = {**(guidance.draft_form or {}), **form}
    guide = version.guide if isinstance(version.guide, dict) else {}
    schema = guide.get("form_schema") or {"type": "object", "properties": {}}
    errors = form_errors(schema=schema, form=form, complete=False)
    if errors:
        raise ValidationFailed(_("申请表填写有误"), errors=errors)

    now = timezone.now()
    case = Case.objects.create(
        matter=matter,
        matter_version=version,
        department=matter.department,
        applicant_user=actor,
        applicant_type=applicant_type,
        applicant_person=person,
        applicant_enterprise=enterprise,
        applicant_name=applicant_name,
        channel=channel,
        form_data=form,
        status=CaseStatus.DRAFT,
        guidance=guidance,
    )
    case.case_no = _case_no(case)
    case.save(update_fields=["case_no"])
    if guidance is not None:
        from tongban.counter.services import guidance_mark_used

        guidance_mark_used(guidance=guidance)
    CaseMaterial.objects.bulk_create(
        CaseMaterial(
            case=case,
            requirement_code=item["code"],
            name=item.get("name") or item["code"],
            required=bool(item.get("required", True)),
            key=bool(item.get("key", True)),
            shared_resource=item.get("shared_resource") or "",
        )
        for item in guide.get("materials") or []
    )
    # Materials that data sharing can supply (shared_resource) are filled in by
    # cases.sharing right after this transaction commits (see case_create).
    _timeline(case, at=now, action="created", step=_("创建申请"), actor=actor)
    return case


def case_create(
    *,
    actor: User,
    matter_code: str | None = None,
    theme_code: str | None = None,
    applicant: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    channel: str = Channel.ONLINE,
    idempotency_key: str | None = None,
    guidance_id: int | None = None,
) -> Case:
    """Create a draft application, filling shareable materials from the exchange (免提交).

    The same Idempotency-Key returns the same case.  ``guidance_id`` links an answered
    批前指导/预审 of the caller's (its draft pre-fills the form; it is marked used).
    """
    key = idempotency_key_check(idempotency_key)
    payload: dict[str, Any] = {
        "matter": matter_code,
        "theme": theme_code,
        "applicant": applicant,
        "form": form,
        "channel": channel,
    }
    if guidance_id is not None:
        payload["guidance"] = guidance_id
    with transaction.atomic():
        case, created = idempotent_run(
            user=actor,
            scope="case_create",
            key=key,
            payload_hash=request_hash(payload),
            work=lambda: _case_create(
                actor=actor,
                matter_code=matter_code,
                theme_code=theme_code,
                applicant=applicant,
                form=form,
                channel=channel,
                guidance_id=guidance_id,
            ),
        )
    if created:
        # Data sharing runs after the case is committed and in its own transaction: the
        # exchange's access-log rows must never be rolled back with ours, and a failure
        # here leaves a complete case whose materials are simply still to be uploaded.
        try:
            if themes.is_theme_parent(case):
                themes.theme_materials_share(parent=case, actor=actor)
            else:
                case_materials_share(case=case, actor=actor)
        except Exception:
            logger.exception("data sharing failed for case %s", case.pk)
            case.refresh_from_db()
    return case


@transaction.atomic
def case_update_form(*, actor: User, case: Case, form: dict[str, Any]) -> Case:
    """Change fields of a draft's form (a null value clears a field)."""
    case = _case_locked(case)
    _applicant_required(actor, case)
    if case.status != CaseStatus.DRAFT:
        raise _status_refused(case, _("修改申请表"))
    if not isinstance(form, dict):
        raise ValidationFailed(
            _("申请表填写有误"), errors=[FieldError(field="form", message=_("应为对象"))]
        )
    merged = {**case.form_data, **form}
    merged = {k: v for k, v in merged.items() if v is not None}
    _form_check(case, merged, complete=False)
    case.form_data = merged
    case.save(update_fields=["form_data", "updated_at"])
    return case


# --- materials -------------------------------------------------------------------------------


def _material_store(
    material: CaseMaterial, file: UploadedFile, checked: CheckedFile, now: datetime
) -> CaseMaterial:
    old_name = material.file.name if material.file else ""
    material.content_type = checked.content_type
    material.size = checked.size
    material.sha256 = checked.sha256
    material.original_name = checked.original_name
    material.status = MaterialStatus.PROVIDED
    material.origin = MaterialOrigin.UPLOAD
    material.uploaded_at = now
    material.review_note = ""
    # The name passed here is ignored by material_upload_to: only a random name is used.
    material.file.save(checked.original_name or "material", file, save=False)
    material.save()
    if old_name:
        transaction.on_commit(lambda: _stored_file_release(old_name))
    return material


def _stored_file_release(name: str) -> None:
    # A theme's materials share one stored file between the parent and its children.
    if not CaseMaterial.objects.filter(file=name).exists():
        default_storage.delete(name)


def _material_for(case: Case, requirement_code: str, field: str = "requirement") -> CaseMaterial:
    material = (
        CaseMaterial.objects.select_for_update()
        .filter(case=case, requirement_code=requirement_code)
        .first()
    )
    if material is None:
        raise ValidationFailed(
            _("材料编码不存在"),
            errors=[
                FieldError(
                    field=field,
                    message=_("本事项没有编码为“%(code)s”的材料") % {"code": requirement_code},
                )
            ],
        )
    return material


def _open_supplement(case: Case) -> SupplementRequest | None:
    return (
        SupplementRequest.objects.select_for_update()
        .filter(case=case, state=SupplementState.OPEN)
        .first()
    )


def _requested_codes(request: SupplementRequest, kind: str) -> list[str]:
    return [
        str(item.get("code"))
        for item in request.items or []
        if isinstance(item, dict) and item.get("kind") == kind
    ]


@transaction.atomic
def material_upload(
    *,
    actor: User,
    case: Case,
    requirement_code: str,
    file: UploadedFile,
    now: datetime | None = None,
) -> CaseMaterial:
    """Upload (or replace) one material of a draft, or one asked for by a supplement request."""
    case = _case_locked(case)
    _applicant_required(actor, case)
    now = now or timezone.now()
    # 容缺受理: a deferred material may be delivered at any time after submission.
    deferred = case.status != CaseStatus.DRAFT and deferral.material_is_deferred(
        case=case, requirement_code=requirement_code
    )
    if case.status == CaseStatus.DRAFT or (deferred and case.status not in FINAL_STATUSES):
        material = _material_for(case, requirement_code)
    elif case.status == CaseStatus.SUPPLEMENT_REQUIRED and (request := _open_supplement(case)):
        material = _material_for(case, requirement_code)
        if requirement_code not in _requested_codes(request, "material"):
            raise ValidationFailed(
                _("该材料不在补正告知的范围内"),
                errors=[FieldError(field="requirement", message=_("该材料不在补正告知的范围内"))],
            )
    else:
        raise _status_refused(case, _("上传材料"))
    checked = material_file_check(file=file)
    material = _material_store(material, file, checked, now)
    if deferred:
        deferral.deferral_material_arrived(case=case, material=material, actor=actor, now=now)
    if themes.is_theme_parent(case):
        themes.theme_materials_sync(parent=case)
    return material


# --- submit ----------------------------------------------------------------------------------


def _materials_missing(case: Case) -> list[FieldError]:
    done = {MaterialStatus.PROVIDED, MaterialStatus.VERIFIED, MaterialStatus.DEFERRED}
    return [
        FieldError(
            field=f"materials.{m.requirement_code}",
            message=_("请提供材料“%(name)s”") % {"name": m.name},
        )
        for m in case.materials.all()
        if m.required and m.status not in done
    ]


def _task_due(case: Case, kind: str, task: Task | None = None) -> Any:
    if kind == TaskKind.JOINT_REVIEW:
        return joint_review.review_due_date(case, task)
    return case.acceptance_due_date if kind == TaskKind.ACCEPT else case.due_date


def _tasks_sync(case: Case, step: engine.ProcessStep) -> list[Task]:
    """Mirror the ready staff tasks of the process as Task rows; cancel rows no longer ready."""
    ready = {t.id: t for t in step.ready}
    # An inspection (先证后查) comes after the process has ended: it has no process task.
    for row in case.tasks.filter(state=TaskState.OPEN).exclude(kind=TaskKind.INSPECTION):
        if row.engine_task_id not in ready:
            row.state = TaskState.CANCELLED
            row.save(update_fields=["state", "updated_at"])
    known = set(
        case.tasks.filter(engine_task_id__in=list(ready)).values_list("engine_task_id", flat=True)
    )
    created = []
    for user_task in step.ready:
        if user_task.lane == APPLICANT_LANE or user_task.id in known:
            continue
        kind = joint_review.task_kind_for(user_task.name)
        if kind not in TaskKind.values or user_task.lane not in StaffRole.values:
            logger.warning("case %s: process task %s has no task kind", case.pk, user_task.name)
            continue
        department = case.department
        code = (user_task.data or {}).get("department")
        if code:
            department = Department.objects.filter(code=code).first() or department
        assert department is not None
        created.append(
            Task.objects.create(
                case=case,
                kind=kind,
                name=str(user_task.title or TaskKind(kind).label),
                department=department,
                role=user_task.lane,
                engine_task_id=user_task.id,
                due_date=_task_due(case, kind),
            )
        )
    return created


def _tasks_due_refresh(case: Case) -> None:
    for row in case.tasks.filter(state=TaskState.OPEN).exclude(kind=TaskKind.INSPECTION):
        due = _task_due(case, row.kind, row)
        if row.due_date != due:
            row.due_date = due
            row.save(update_fields=["due_date", "updated_at"])


def _acceptance_deadline_iso(case: Case) -> str:
    due = case_acceptance_deadline(case=case)
    case.acceptance_due_date = due.due_date
    return due_datetime(due).isoformat()


def _case_submit(
    case: Case,
    actor: User,
    now: datetime,
    deferred: list[dict[str, Any]] | None = None,
    commitment: dict[str, Any] | None = None,
) -> Case:
    if case.theme_id is not None or case.parent_id is not None:
        if deferred:
            raise ValidationFailed(
                _("主题服务暂不支持容缺受理"),
                errors=[FieldError(field="deferred", message=_("主题服务暂不支持容缺受理"))],
            )
        return themes.theme_case_submit(case=case, actor=actor, now=now, commitment=commitment)
    return _matter_case_submit(case, actor, now, deferred, commitment)


def _matter_case_submit(
    case: Case,
    actor: User,
    now: datetime,
    deferred: list[dict[str, Any]] | None = None,
    commitment: dict[str, Any] | None = None,
) -> Case:
    _applicant_required(actor, case)
    if case.status != CaseStatus.DRAFT:
        raise _status_refused(case, _("再次提交"))
    errors = form_errors(schema=_form_schema(case), form=case.form_data, complete=True)
    # 容缺受理: deferred non-key materials count as delivered (cases.deferral).
    refused = deferral.case_deferrals_apply(
        case=case, deferred=deferred or [], today=now.astimezone(SHANGHAI).date()
    )
    errors.extend(refused)
    # A refused deferral already names its material; "please provide" would hide why.
    errors.extend(e for e in _materials_missing(case) if e.field not in {r.field for r in refused})
    if errors:
        raise ValidationFailed(_("申请内容不完整，请补充后再提交"), errors=errors)
    # 信用分级分类审批 (cases.routes): refuses an unsigned commitment before anything changes.
    route = routes.case_route_take(case=case, now=now, commitment=commitment)
    if route == CreditRoute.REFUSED:
        return _case_refused_on_credit(case, actor, now)
    guide = _guide(case)
    case.submitted_at = now
    deadline = _acceptance_deadline_iso(case)
    params = guide.get("process_params") or {}
    step = engine.process_start(
        name=str(guide.get("process") or "standard_approval"),
        data={**params, "acceptance_deadline": deadline, "case_no": case.case_no, "route": route},
    )
    case.process = step.instance
    case.status = CaseStatus.SUBMITTED
    case.save()
    _tasks_sync(case, step)
    _timeline(case, at=now, action="submitted", step=_("提交申请"), actor=actor)
    routes.case_route_timeline(case=case, now=now, actor=actor)
    deferral.deferral_timeline_note(case=case, at=now)
    if case.channel == Channel.WINDOW and case.parent_id is None:
        outputs.visit_record(case=case, kind=VisitKind.WINDOW_SUBMISSION, actor=actor, now=now)
    return case


def _case_refused_on_credit(case: Case, actor: User, now: datetime) -> Case:
    # 联合惩戒: rejected at once with the legal reason; no process starts, nothing is issued.
    case.submitted_at = now
    _timeline(case, at=now, action="submitted", step=_("提交申请"), actor=actor)
    routes.case_route_timeline(case=case, now=now, actor=actor)
    routes.case_refuse_on_credit(case=case, now=now)
    case.save()
    _notify(case, "rejected")
    return case


@transaction.atomic
def case_submit(
    *,
    actor: User,
    case: Case,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    deferred: list[dict[str, Any]] | None = None,
    commitment: dict[str, Any] | None = None,
) -> Case:
    """Submit a complete draft and start its process; the same Idempotency-Key is a no-op.

    ``deferred`` lists non-key materials delivered later (容缺受理):
    ``[{"requirement": code, "until": "YYYY-MM-DD"}]``.
    ``commitment`` is ``{"signed": true}`` when the applicant signs the matter's commitment
    (告知承诺, cases.routes); a case on the commitment route is refused without it.
    """
    key = idempotency_key_check(idempotency_key)
    case = _case_locked(case)
    moment = now or timezone.now()
    payload: dict[str, Any] = {"case": case.pk}
    if deferred:
        payload["deferred"] = deferred
    result, _created = idempotent_run(
        user=actor,
        scope="case_submit",
        key=key,
        payload_hash=request_hash(payload),
        work=lambda: _case_submit(case, actor, moment, deferred, commitment),
    )
    return result


# --- staff tasks -----------------------------------------------------------------------------


def _staff_check(actor: User, task: Task) -> None:
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != task.department_id:
        raise NotFound(_("待办不存在"))
    if task.role not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("此待办需要“%(role)s”岗位办理") % {"role": _role_label(task.role)})


def _role_label(role: str) -> str:
    return str(StaffRole(role).label) if role in StaffRole.values else role


def _task_locked(task: Task) -> Task:
    return Task.objects.select_for_update(of=("self",)).select_related("department").get(pk=task.pk)


@transaction.atomic
def task_claim(*, actor: User, task: Task) -> Task:
    """Claim an open task so colleagues see who is handling it."""
    _case_locked(task.case)
    task = _task_locked(task)
    _staff_check(actor, task)
    if task.state != TaskState.OPEN:
        raise InvalidStateChange(
            _("该待办当前状态为“%(state)s”，不能认领") % {"state": TaskState(task.state).label}
        )
    if task.claimed_by_id == actor.pk:
        return task
    if task.claimed_by_id is not None:
        raise Conflict(_("该待办已由他人认领"))
    task.claimed_by = actor
    task.claimed_at = timezone.now()
    task.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return task


def _supplement_items(case: Case, data: Mapping[str, Any] | None) -> list[dict[str, str]]:
    items = (data or {}).get("items")
    if not isinstance(items, list) or not items:
        raise ValidationFailed(
            _("请列出需要补正的全部内容"),
            errors=[FieldError(field="data.items", message=_("至少列出一项需要补正的内容"))],
        )
    materials = {m.requirement_code: m.name for m in case.materials.all()}
    properties = _form_schema(case).get("properties") or {}
    errors: list[FieldError] = []
    clean: list[dict[str, str]] = []
    for index, item in enumerate(items):
        field = f"data.items[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError(field=field, message=_("应为对象")))
            continue
        kind, code = item.get("kind"), str(item.get("code") or "")
        reason = str(item.get("reason") or "").strip()
        if kind == "material":
            if code not in materials:
                errors.append(FieldError(field=f"{field}.code", message=_("本事项没有该材料")))
                continue
            label = materials[code]
        elif kind == "field":
            if code not in properties:
                errors.append(FieldError(field=f"{field}.code", message=_("申请表没有该字段")))
                continue
            label = _title(properties[code], code)
        else:
            errors.append(FieldError(field=f"{field}.kind", message=_("只能是 material 或 field")))
            continue
        clean.append({"kind": str(kind), "code": code, "name": label, "reason": reason})
    if errors:
        raise ValidationFailed(_("补正内容有误"), errors=errors)
    return clean


def _supplement_message(items: list[dict[str, str]], comment: str) -> str:
    lines = [_("请一次性补正以下全部内容：")]
    for number, item in enumerate(items, start=1):
        what = _("材料") if item["kind"] == "material" else _("申请表")
        line = f"{number}. {what}“{item['name']}”"
        if item["reason"]:
            line += f"：{item['reason']}"
        lines.append(line)
    if comment:
        lines.append(_("说明：%(comment)s") % {"comment": comment})
    return "\n".join(lines)


def _decision_check(task: Task, decision: str, comment: str) -> None:
    allowed = DECISIONS_BY_KIND.get(task.kind, ())
    if decision not in allowed:
        names = "、".join(f"{Decision(d).label}（{d}）" for d in allowed)
        raise ValidationFailed(
            _("该环节不允许此决定"),
            errors=[
                FieldError(
                    field="decision",
                    message=_("“%(task)s”环节的决定只能是：%(names)s")
                    % {"task": TaskKind(task.kind).label, "names": names},
                )
            ],
        )
    if decision in DECISIONS_NEEDING_REASON and not comment:
        raise ValidationFailed(
            _("请填写理由"),
            errors=[FieldError(field="comment", message=_("作出此决定必须说明理由"))],
        )


def _case_outputs_issue(case: Case, *, now: datetime, events: list[str]) -> None:
    """The one place where an approved case gets its results (see ``cases.outputs``)."""
    outputs.case_outputs_issue(case, now=now, events=events)


def _case_approved(case: Case, *, now: datetime, events: list[str]) -> None:
    case.status = CaseStatus.APPROVED
    case.decided_at = now
    events.append("approved")
    _case_outputs_issue(case, now=now, events=events)


@transaction.atomic
def task_complete(
    *,
    actor: User,
    task: Task,
    decision: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Task:
    """Decide a task (受理/审查/决定) and move the case and its process on."""
    case = _case_locked(task.case)
    task = _task_locked(task)
    _staff_check(actor, task)
    if task.state != TaskState.OPEN:
        raise InvalidStateChange(
            _("该待办已办理（当前状态：%(state)s），请刷新后重试")
            % {"state": TaskState(task.state).label}
        )
    if task.claimed_by_id is not None and task.claimed_by_id != actor.pk:
        raise Conflict(_("该待办已由他人认领"))
    comment = (comment or "").strip()
    _decision_check(task, decision, comment)
    if task.kind == TaskKind.INSPECTION:
        # 先证后查: outside the process, which ended when the certificate was issued.
        return inspection.inspection_complete(
            actor=actor, task=task, decision=decision, comment=comment, now=now
        )
    joint_review.department_decision_check(task, decision)
    items = _supplement_items(case, data) if decision == Decision.REQUEST_SUPPLEMENT else []
    if task.kind == TaskKind.JOINT_REVIEW and decision == Decision.REQUEST_SUPPLEMENT:
        # 联审补正: the department's instance stays ready; the others go on reviewing.
        return joint_review.department_supplement_request(
            case=case,
            task=task,
            actor=actor,
            items=items,
            message=_supplement_message(items, comment),
            now=now or timezone.now(),
        )
    if case.process_id is None or task.engine_task_id is None:
        raise _status_refused(case, _("办理此待办"))
    now = now or timezone.now()

    instance = ProcessInstance.objects.with_digest().get(pk=case.process_id)
    # A Conflict here (the process moved on) propagates and the transaction rolls back.
    step = engine.process_complete_task(
        instance=instance, task_id=task.engine_task_id, data={"decision": decision}
    )
    case.process = step.instance

    task.state = TaskState.COMPLETED
    task.completed_by = actor
    task.completed_at = now
    task.decision = decision
    task.comment = comment
    if items:
        task.data = {**(task.data or {}), "items": items}
    task.save()

    department = task.department
    step_name = str(TaskKind(task.kind).label)
    events: list[str] = []

    def record(action: str, text: str) -> None:
        _timeline(
            case,
            at=now,
            action=action,
            step=step_name,
            actor=actor,
            department=department,
            comment=text,
        )

    if decision == Decision.ACCEPT:
        case.status = CaseStatus.ACCEPTED
        case.accepted_at = now
        record("accepted", comment)
        events.append("accepted")
        outputs.case_payment_on_accept(case, now=now, events=events)
        if any(t.name in (TaskKind.REVIEW, joint_review.ENGINE_TASK) for t in step.ready):
            case.status = CaseStatus.UNDER_REVIEW
    elif decision == Decision.REJECT:
        case.status = CaseStatus.REJECTED
        case.outcome_reason = comment
        case.completed_at = now
        record("rejected", comment)
        events.append("rejected")
    elif decision == Decision.REQUEST_SUPPLEMENT:
        message = _supplement_message(items, comment)
        SupplementRequest.objects.create(
            case=case,
            task=task,
            items=items,
            message=message,
            requested_by=actor,
            requested_at=now,
        )
        case.status = CaseStatus.SUPPLEMENT_REQUIRED
        record("supplement_requested", message)
        events.append("supplement_required")
    elif decision in (Decision.PASS, Decision.FAIL):
        record(f"review_{decision}", comment)
    elif decision == Decision.APPROVE:
        record("approved", comment)
        _case_approved(case, now=now, events=events)
    elif decision == Decision.DENY:
        case.status = CaseStatus.DENIED
        case.decided_at = now
        case.completed_at = now
        case.outcome_reason = comment
        record("denied", comment)
        events.append("denied")

    # 即办件: the process ends at acceptance with the approval itself.
    # (A case approved by this very decision may already be waiting for payment or issued.)
    decided = case.status in FINAL_STATUSES or case.decided_at is not None
    if step.completed and step.end_event == "approved" and not decided:
        _case_approved(case, now=now, events=events)

    case.save()
    themes.theme_child_refresh(child=case, now=now)
    case_deadline_refresh(case=case)
    _tasks_sync(case, step)
    _tasks_due_refresh(case)
    if decision == Decision.ACCEPT and case.decided_at == now:
        # Approved at acceptance (告知承诺 or on the spot): inspected afterwards (先证后查).
        inspection.case_inspection_open(case=case, now=now)
    _sla_state_store(case)
    for event in events:
        _notify(case, event)
    return task


def _sla_state_store(case: Case) -> None:
    state = case_sla_state(case=case)
    if state != case.sla_state:
        case.sla_state = state
        case.save(update_fields=["sla_state", "updated_at"])


# --- applicant's answer, withdrawal, extension, timers --------------------------------------


def _applicant_task(instance: ProcessInstance) -> engine.UserTask | None:
    for user_task in engine.process_ready_tasks(instance=instance):
        if user_task.lane == APPLICANT_LANE and user_task.name in SUPPLEMENT_TASKS:
            return user_task
    return None


@transaction.atomic
def case_supplement_answer(
    *,
    actor: User,
    case: Case,
    form: dict[str, Any] | None = None,
    files: Mapping[str, UploadedFile] | None = None,
    now: datetime | None = None,
) -> Case:
    """Answer the open supplement request with form changes and files; the clock restarts."""
    case = _case_locked(case)
    _applicant_required(actor, case)
    request = _open_supplement(case)
    if request is None or case.status != CaseStatus.SUPPLEMENT_REQUIRED:
        raise InvalidStateChange(_("没有待补正的内容"))
    now = now or timezone.now()
    form = form or {}
    files = files or {}
    errors: list[FieldError] = []
    if not isinstance(form, dict):
        raise ValidationFailed(
            _("申请表填写有误"), errors=[FieldError(field="form", message=_("应为对象"))]
        )
    merged = {k: v for k, v in {**case.form_data, **form}.items() if v is not None}
    errors.extend(form_errors(schema=_form_schema(case), form=merged, complete=True))

    checked: list[tuple[CaseMaterial, UploadedFile, CheckedFile]] = []
    for code, upload in files.items():
        field = f"files.{code}"
        try:
            material = _material_for(case, code, field=field)
            checked.append((material, upload, material_file_check(file=upload, field=field)))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    # The notice listed everything at once; the answer must cover every item of it.
    for code in _requested_codes(request, "material"):
        newly_uploaded = CaseMaterial.objects.filter(
            case=case, requirement_code=code, uploaded_at__gte=request.requested_at
        ).exists()
        if code not in files and not newly_uploaded:
            errors.append(FieldError(field=f"files.{code}", message=_("请补正此材料")))
    for code in _requested_codes(request, "field"):
        if code not in form:
            errors.append(FieldError(field=f"form.{code}", message=_("请补正此项")))
    if errors:
        raise ValidationFailed(_("补正内容不完整或有误"), errors=errors)

    for material, upload, result in checked:
        _material_store(material, upload, result, now)
    case.form_data = merged
    request.state = SupplementState.ANSWERED
    request.answered_at = now
    request.answer_data = {"form": sorted(form), "files": sorted(files)}
    request.save()

    if joint_review.is_department_supplement(request):
        joint_review.department_supplement_answered(
            case=case, request=request, actor=actor, now=now
        )
        case_deadline_refresh(case=case)
        _tasks_due_refresh(case)
        _sla_state_store(case)
        return case
    if case.process_id is None:
        raise _status_refused(case, _("补正"))
    instance = ProcessInstance.objects.with_digest().get(pk=case.process_id)
    applicant_task = _applicant_task(instance)
    if applicant_task is None:
        raise Conflict(_("流程中没有待补正的环节，请刷新后重试"))
    at_acceptance = applicant_task.name == "supplement"
    answer: dict[str, Any] = {"answered": True}
    if at_acceptance:
        # The acceptance clock restarts from the complete materials (行政许可法第三十二条);
        # the boundary timer of the next 受理 reads the deadline from the task data.
        answer["acceptance_deadline"] = _acceptance_deadline_iso(case)
        instance = engine.process_set_data(
            instance=instance, data={"acceptance_deadline": answer["acceptance_deadline"]}
        )
    step = engine.process_complete_task(instance=instance, task_id=applicant_task.id, data=answer)
    case.process = step.instance
    case.status = CaseStatus.SUBMITTED if at_acceptance else CaseStatus.UNDER_REVIEW
    case.save()
    _timeline(
        case,
        at=now,
        action="supplement_answered",
        step=_("补正"),
        actor=actor,
        comment=_("已补正：%(what)s")
        % {"what": "、".join(item.get("name", "") for item in request.items or [])},
    )
    case_deadline_refresh(case=case)
    _tasks_sync(case, step)
    _tasks_due_refresh(case)
    _sla_state_store(case)
    return case


@transaction.atomic
def case_withdraw(
    *, actor: User, case: Case, reason: str = "", now: datetime | None = None
) -> Case:
    """Withdraw an application that has no decision yet (撤回)."""
    case = _case_locked(case)
    _applicant_required(actor, case)
    if case.status not in WITHDRAWABLE_STATUSES:
        raise _status_refused(case, _("撤回"))
    now = now or timezone.now()
    case.tasks.filter(state=TaskState.OPEN).update(state=TaskState.CANCELLED, updated_at=now)
    case.supplements.filter(state=SupplementState.OPEN).update(
        state=SupplementState.CANCELLED, updated_at=now
    )
    was_draft = case.status == CaseStatus.DRAFT
    case.status = CaseStatus.WITHDRAWN
    case.withdrawn_at = now
    case.save()
    if case.process_id is not None:
        # The process is abandoned where it stands; its timers must not fire any more.
        ProcessInstance.objects.filter(pk=case.process_id).update(next_timer_at=None)
    _timeline(
        case,
        at=now,
        action="withdrawn",
        step=_("撤回申请"),
        actor=actor,
        comment=(reason or "").strip(),
    )
    themes.theme_case_withdrawn(case=case, now=now, reason=(reason or "").strip())
    if not was_draft:
        _notify(case, "withdrawn")
    return case


@transaction.atomic
def case_extend(
    *, actor: User, case: Case, days: int, reason: str, now: datetime | None = None
) -> Case:
    """Extend the decision limit once (延期, 行政许可法第四十二条), by the department's approver."""
    case = _case_locked(case)
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != case.department_id:
        raise NotFound(_("办件不存在"))
    if StaffRole.APPROVER not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("只有审批岗位可以批准延期"))
    if case.status not in (CaseStatus.ACCEPTED, CaseStatus.UNDER_REVIEW):
        raise _status_refused(case, _("延期"))
    if case.extension_days:
        raise InvalidStateChange(_("本办件已延期过一次，不能再次延期"))
    legal = int(_guide(case).get("legal_limit_days") or 0)
    errors: list[FieldError] = []
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= max(legal, 1):
        errors.append(
            FieldError(
                field="days",
                message=_("延期天数应为 1 至 %(max)s 个工作日") % {"max": max(legal, 1)},
            )
        )
    reason = (reason or "").strip()
    if not reason:
        errors.append(FieldError(field="reason", message=_("请填写延期理由")))
    if errors:
        raise ValidationFailed(_("延期申请有误"), errors=errors)
    now = now or timezone.now()
    case.extension_days = days
    case.extension_reason = reason
    case.save()
    case_deadline_refresh(case=case)
    _tasks_due_refresh(case)
    _sla_state_store(case)
    _timeline(
        case,
        at=now,
        action="extended",
        step=_("延期"),
        actor=actor,
        department=profile.department,
        comment=_("延期 %(days)s 个工作日：%(reason)s") % {"days": days, "reason": reason},
    )
    return case


@transaction.atomic
def case_timers_fire(*, case: Case, now: datetime | None = None) -> Case:
    """Fire the due timers of a case's process (called by the SLA sweep) and follow them."""
    case = _case_locked(case)
    if case.process_id is None or case.status in FINAL_STATUSES:
        return case
    now = now or timezone.now()
    instance = ProcessInstance.objects.with_digest().get(pk=case.process_id)
    step = engine.process_refresh_timers(instance=instance)
    case.process = step.instance
    ready = {t.name for t in step.ready}
    if (
        case.status == CaseStatus.SUBMITTED
        and TaskKind.ACCEPT not in ready
        and (TaskKind.REVIEW in ready)
    ):
        # 行政许可法第三十二条: not told within 5 working days, the application is accepted
        # from the day the (complete) materials were received.
        answered = (
            case.supplements.filter(state=SupplementState.ANSWERED)
            .order_by("-answered_at")
            .values_list("answered_at", flat=True)
            .first()
        )
        case.accepted_at = answered or case.submitted_at or now
        case.status = CaseStatus.UNDER_REVIEW
        case.save()
        _timeline(
            case,
            at=now,
            action="deemed_accepted",
            step=_("受理"),
            department=case.department,
            comment=_("逾期未作出受理决定，视为受理"),
        )
        case_deadline_refresh(case=case)
        _tasks_sync(case, step)
        _tasks_due_refresh(case)
        _sla_state_store(case)
        _notify(case, "accepted")
        return case
    case.save()
    _tasks_sync(case, step)
    return case
