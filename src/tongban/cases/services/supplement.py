"""The applicant answers a supplement request (补正): every item at once, and the clock restarts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import CaseStatus, SupplementState, TimelineAction
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.rules import case_form_schema
from tongban.cases.services import joint_review
from tongban.cases.services.common import (
    applicant_required,
    case_lock,
    status_refused,
    timeline_add,
)
from tongban.cases.services.materials import (
    CheckedFile,
    material_file_check,
    material_for,
    material_store,
    supplement_open,
    supplement_requested_codes,
)
from tongban.cases.services.process import (
    acceptance_deadline_iso,
    applicant_task,
    sla_state_store,
    tasks_due_refresh,
    tasks_sync,
)
from tongban.cases.services.sla import case_deadline_refresh
from tongban.catalog.forms import form_errors
from tongban.core.errors import Conflict, FieldError, InvalidStateChange, ValidationFailed
from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.selectors import process_instance_with_digest


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
    case = case_lock(case)
    applicant_required(actor, case)
    request = supplement_open(case)
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
    errors.extend(form_errors(schema=case_form_schema(case), form=merged, complete=True))

    checked: list[tuple[CaseMaterial, UploadedFile, CheckedFile]] = []
    for code, upload in files.items():
        field = f"files.{code}"
        try:
            material = material_for(case, code, field=field)
            checked.append((material, upload, material_file_check(file=upload, field=field)))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    # The notice listed everything at once; the answer must cover every item of it.
    for code in supplement_requested_codes(request, "material"):
        newly_uploaded = CaseMaterial.objects.filter(
            case=case, requirement_code=code, uploaded_at__gte=request.requested_at
        ).exists()
        if code not in files and not newly_uploaded:
            errors.append(FieldError(field=f"files.{code}", message=_("请补正此材料")))
    for code in supplement_requested_codes(request, "field"):
        if code not in form:
            errors.append(FieldError(field=f"form.{code}", message=_("请补正此项")))
    if errors:
        raise ValidationFailed(_("补正内容不完整或有误"), errors=errors)

    for material, upload, result in checked:
        material_store(material, upload, result, now)
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
        tasks_due_refresh(case)
        sla_state_store(case)
        return case
    if case.process_id is None:
        raise status_refused(case, _("补正"))
    instance = process_instance_with_digest(pk=case.process_id)
    waiting = applicant_task(instance)
    if waiting is None:
        raise Conflict(_("流程中没有待补正的环节，请刷新后重试"))
    at_acceptance = waiting.name == "supplement"
    answer: dict[str, Any] = {"answered": True}
    if at_acceptance:
        # The acceptance clock restarts from the complete materials (行政许可法第三十二条);
        # the boundary timer of the next 受理 reads the deadline from the task data.
        answer["acceptance_deadline"] = acceptance_deadline_iso(case)
        instance = engine.process_set_data(
            instance=instance, data={"acceptance_deadline": answer["acceptance_deadline"]}
        )
    step = engine.process_complete_task(instance=instance, task_id=waiting.id, data=answer)
    case.process = step.instance
    case.status = CaseStatus.SUBMITTED if at_acceptance else CaseStatus.UNDER_REVIEW
    case.save()
    timeline_add(
        case,
        at=now,
        action=TimelineAction.SUPPLEMENT_ANSWERED,
        step=_("补正"),
        actor=actor,
        comment=_("已补正：%(what)s")
        % {"what": "、".join(item.get("name", "") for item in request.items or [])},
    )
    case_deadline_refresh(case=case)
    tasks_sync(case, step)
    tasks_due_refresh(case)
    sla_state_store(case)
    return case
