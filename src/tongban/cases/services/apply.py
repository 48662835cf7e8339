"""The applicant's side of a draft: create it (a matter or a theme), fill it in, upload, submit.

Creating and submitting accept an ``Idempotency-Key``: the same key returns the same case.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import FINAL_STATUSES, CaseStatus, MaterialOrigin
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.rules import case_form_schema, is_applicant, is_theme_parent
from tongban.cases.selectors_promise import case_prefill
from tongban.cases.services import deferral, outputs, themes
from tongban.cases.services.common import applicant_required, case_lock, status_refused
from tongban.cases.services.idempotency import (
    idempotency_key_check,
    idempotent_run,
    request_hash,
)
from tongban.cases.services.materials import (
    material_file_check,
    material_for,
    material_store,
    supplement_open,
    supplement_requested_codes,
)
from tongban.cases.services.matter import locked_changes, matter_case_create, matter_case_submit
from tongban.cases.services.sharing import case_materials_share
from tongban.cases.services.walk_in import window_clerk_required
from tongban.catalog.choices import Channel
from tongban.catalog.forms import form_errors
from tongban.core.errors import FieldError, ValidationFailed
from tongban.identity.models import User

logger = logging.getLogger(__name__)


def _form_check(case: Case, form: Any, *, complete: bool) -> None:
    errors = form_errors(schema=case_form_schema(case), form=form, complete=complete)
    if errors:
        raise ValidationFailed(_("申请表填写有误"), errors=errors)


def _case_create(
    *,
    actor: User,
    matter_code: str | None,
    theme_code: str | None,
    applicant: dict[str, Any] | None,
    form: Any,
    channel: str,
    guidance_id: int | None = None,
    window_code: str | None = None,
    ticket_number: str | None = None,
) -> Case:
    if channel == Channel.WINDOW:
        # 前台综合受理: only a center window clerk on duty accepts for a walk-in.
        window_clerk_required(actor)
    if theme_code:
        return themes.theme_case_create(
            actor=actor,
            theme_code=theme_code,
            applicant=applicant,
            form=form,
            channel=channel,
            window_code=window_code,
            ticket_number=ticket_number,
        )
    return matter_case_create(
        actor=actor,
        matter_code=matter_code,
        applicant=applicant,
        form=form,
        channel=channel,
        guidance_id=guidance_id,
        window_code=window_code,
        ticket_number=ticket_number,
    )


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
    window_code: str | None = None,
    ticket_number: str | None = None,
) -> Case:
    """Create a draft application, filling shareable materials from the exchange (免提交).

    The same Idempotency-Key returns the same case.  ``guidance_id`` links an answered
    批前指导/预审 of the caller's (its draft pre-fills the form; it is marked used).
    ``channel="window"`` is a center window clerk accepting for a walk-in (cases.walk_in):
    ``applicant`` identifies them, ``window_code`` and ``ticket_number`` (today's ``A012``)
    are optional.
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
    if window_code or ticket_number:
        payload["counter"] = [window_code, ticket_number]
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
                window_code=window_code,
                ticket_number=ticket_number,
            ),
        )
    if created:
        # Data sharing runs after the case is committed and in its own transaction: the
        # exchange's access-log rows must never be rolled back with ours, and a failure
        # here leaves a complete case whose materials are simply still to be uploaded.
        try:
            if is_theme_parent(case):
                themes.theme_materials_share(parent=case, actor=actor)
            else:
                case_materials_share(case=case, actor=actor, new=True)
        except Exception:
            logger.exception("data sharing failed for case %s", case.pk)
            case.refresh_from_db()
    return case


@transaction.atomic
def case_update_form(*, actor: User, case: Case, form: dict[str, Any]) -> Case:
    """Change fields of a draft's form (a null value clears a field)."""
    case = case_lock(case)
    applicant_required(actor, case)
    if case.status != CaseStatus.DRAFT:
        raise status_refused(case, _("修改申请表"))
    if not isinstance(form, dict):
        raise ValidationFailed(
            _("申请表填写有误"), errors=[FieldError(field="form", message=_("应为对象"))]
        )
    merged = {**case.form_data, **form}
    merged = {k: v for k, v in merged.items() if v is not None}
    _form_check(case, merged, complete=False)
    schema = case_form_schema(case)
    locked = locked_changes(schema, form, case_prefill(case, schema), channel=case.channel)
    if locked:
        raise ValidationFailed(_("申请表填写有误"), errors=locked)
    case.form_data = merged
    case.save(update_fields=["form_data", "updated_at"])
    return case


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
    case = case_lock(case)
    applicant_required(actor, case)
    now = now or timezone.now()
    # 容缺受理: a deferred material may be delivered at any time after submission.
    deferred = case.status != CaseStatus.DRAFT and deferral.material_is_deferred(
        case=case, requirement_code=requirement_code
    )
    if case.status == CaseStatus.DRAFT or (deferred and case.status not in FINAL_STATUSES):
        material = material_for(case, requirement_code)
    elif case.status == CaseStatus.SUPPLEMENT_REQUIRED and (request := supplement_open(case)):
        material = material_for(case, requirement_code)
        if requirement_code not in supplement_requested_codes(request, "material"):
            raise ValidationFailed(
                _("该材料不在补正告知的范围内"),
                errors=[FieldError(field="requirement", message=_("该材料不在补正告知的范围内"))],
            )
    else:
        raise status_refused(case, _("上传材料"))
    checked = material_file_check(file=file)
    # Paper brought to the counter and scanned by the clerk (origin 窗口收取).
    origin = MaterialOrigin.UPLOAD if is_applicant(actor, case) else MaterialOrigin.WINDOW
    material = material_store(material, file, checked, now, origin=origin)
    if deferred:
        outputs.deferral_material_arrived(case=case, material=material, actor=actor, now=now)
    if is_theme_parent(case):
        themes.theme_materials_sync(parent=case)
    return material


# --- submit ----------------------------------------------------------------------------------


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
    return matter_case_submit(case, actor, now, deferred, commitment)


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
    case = case_lock(case)
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
