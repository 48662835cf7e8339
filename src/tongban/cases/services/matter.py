"""One matter's application: resolve the applicant and the guide, create the draft, submit it.

Themes (``themes.py``) build their children from these same steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import (
    ApplicantType,
    CaseStatus,
    CreditRoute,
    MaterialStatus,
    NotificationEvent,
    TimelineAction,
)
from tongban.cases.models import Case, CaseMaterial, CaseParty, VisitKind
from tongban.cases.rules import case_form_schema, case_guide
from tongban.cases.selectors import case_hand_to_answer, case_materials, case_supplements
from tongban.cases.selectors_promise import Prefill, case_material_sources, form_prefill
from tongban.cases.services import deferral, parties, routes
from tongban.cases.services.common import (
    CASE_SAVE,
    MATERIAL_SAVE,
    applicant_required,
    case_lock,
    status_refused,
    timeline_add,
)
from tongban.cases.services.documents import case_documents_make, documents_missing
from tongban.cases.services.notifications import notify_applicant
from tongban.cases.services.process import acceptance_deadline_iso, tasks_sync
from tongban.cases.services.visits import visit_record
from tongban.cases.services.walk_in import Applicant, walk_in_applicant
from tongban.catalog.choices import Channel
from tongban.catalog.forms import form_errors, schema_field_title
from tongban.catalog.models import Matter, MatterVersion, Section
from tongban.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from tongban.core.prepared import Param, Prepared, PreparedUpdate
from tongban.counter.rules import negative_list_check
from tongban.counter.services import guidance_for_application, guidance_mark_used
from tongban.identity import selectors as identity_selectors
from tongban.identity.models import Person, User
from tongban.workflow import engine
from tongban.workflow.calendar import SHANGHAI


def case_number(case: Case) -> str:
    """The readable case number: JD + the date in Shanghai + the id (JD20260301000042)."""
    created = (case.created_at or timezone.now()).astimezone(SHANGHAI)
    return f"JD{created:%Y%m%d}{case.pk:06d}"


#: The number of a new case, known once its key is: set by a compiled UPDATE (core/prepared.py).
_CASE_NO_SET = PreparedUpdate(
    lambda: (
        Case.objects.filter(pk=Param("pk", Case._meta.pk)),
        {"case_no": Param("case_no", Case._meta.get_field("case_no"))},
    )
)


def applicant_resolve(
    actor: User,
    applicant: Mapping[str, Any] | None,
    *,
    channel: str = Channel.ONLINE,
    section: Section | None = None,
    window_code: str | None = None,
    ticket_number: str | None = None,
) -> Applicant:
    """Who applies: the caller as a person, or an enterprise the caller is a live agent of;
    at the counter (channel ``window``), the walk-in the clerk identifies (cases.walk_in)."""
    if channel == Channel.WINDOW:
        return walk_in_applicant(
            actor=actor,
            applicant=applicant,
            section=section,
            window_code=window_code,
            ticket_number=ticket_number,
        )
    kind = (applicant or {}).get("type") or ApplicantType.PERSON
    if kind == ApplicantType.PERSON:
        person = identity_selectors.user_person(user_id=actor.pk)
        if person is None:
            raise ValidationFailed(
                _("当前账号尚未实名登记，不能以个人身份申请"),
                errors=[FieldError(field="applicant", message=_("当前账号没有对应的自然人信息"))],
            )
        return Applicant(
            user=actor, type=ApplicantType.PERSON, person=person, enterprise=None, name=person.name
        )
    if kind == ApplicantType.ENTERPRISE:
        uscc = str((applicant or {}).get("uscc") or "").strip().upper()
        if not uscc:
            raise ValidationFailed(
                _("请填写企业的统一社会信用代码"),
                errors=[FieldError(field="applicant.uscc", message=_("必填"))],
            )
        enterprise = identity_selectors.user_agency_enterprise(user=actor, uscc=uscc)
        if enterprise is None:
            raise PermissionDenied(_("您不是该企业的有效经办人，不能代其申请"))
        return Applicant(
            user=actor,
            type=ApplicantType.ENTERPRISE,
            person=None,
            enterprise=enterprise,
            name=enterprise.name,
        )
    raise ValidationFailed(
        _("申请人类型无效"),
        errors=[FieldError(field="applicant.type", message=_("只能是 person 或 enterprise"))],
    )


def matter_for_application(matter_code: str | None, channel: str) -> tuple[Matter, MatterVersion]:
    """The active matter and its latest published guide, if it may be applied for on ``channel``."""
    if not matter_code:
        raise ValidationFailed(
            _("请选择要申请的事项"), errors=[FieldError(field="matter", message=_("必填"))]
        )
    # The latest published version with its matter in one query; the matter alone only when
    # there is no version (to tell "no such matter" from "no guide yet").
    version = _VERSION_LATEST.first(code=matter_code)
    matter = (
        version.matter
        if version is not None
        else Matter.objects.select_related("department", "section")
        .filter(code=matter_code, is_active=True)
        .first()
    )
    if matter is None:
        raise ValidationFailed(
            _("事项不存在或已停止办理"),
            errors=[FieldError(field="matter", message=_("事项不存在或已停止办理"))],
        )
    if channel == Channel.WINDOW:
        negative_list_check(matter)
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
    if version is None:
        raise ValidationFailed(
            _("该事项的办事指南尚未发布"),
            errors=[FieldError(field="matter", message=_("办事指南尚未发布"))],
        )
    return matter, version


def matter_case_create(
    *,
    actor: User,
    matter_code: str | None,
    applicant: Mapping[str, Any] | None,
    form: Any,
    channel: str,
    guidance_id: int | None = None,
    window_code: str | None = None,
    ticket_number: str | None = None,
) -> Case:
    """Create one matter's draft with its materials (the caller holds the transaction)."""
    matter, version = matter_for_application(matter_code, channel)
    who = applicant_resolve(
        actor,
        applicant,
        channel=channel,
        section=matter.section,
        window_code=window_code,
        ticket_number=ticket_number,
    )
    form = {} if form is None else form
    guidance = None
    if guidance_id is not None:
        # 批前指导: the reviewed draft pre-fills the form; what the applicant typed wins.
        guidance = guidance_for_application(actor=actor, guidance_id=guidance_id, matter=matter)
        if isinstance(form, dict):
            form = {**(guidance.draft_form or {}), **form}
    guide = version.guide if isinstance(version.guide, dict) else {}
    schema = guide.get("form_schema") or {"type": "object", "properties": {}}
    # What the signed-in person (or their enterprise) already told us fills the empty fields.
    prefill = form_prefill(
        schema=schema,
        person=who.person or (who.agent if who.agent is not None else _person_of(actor, who)),
        enterprise=who.enterprise,
    )
    errors = form_errors(schema=schema, form=form, complete=False)
    if isinstance(form, dict):
        named = {e.field for e in errors}
        errors += [
            e
            for e in locked_changes(schema, form, prefill, channel=channel)
            if e.field not in named
        ]
    if errors:
        raise ValidationFailed(_("申请表填写有误"), errors=errors)
    prefilled: list[str] = []
    if isinstance(form, dict):
        properties = schema.get("properties") or {}
        for name, known in prefill.items():
            # A value the form's own rules refuse (a landline in a mobile field) is left out.
            if form.get(name) in (None, "") and not form_errors(
                schema={"type": "object", "properties": {name: properties.get(name) or {}}},
                form={name: known.value},
                complete=False,
            ):
                form = {**form, name: known.value}
                prefilled.append(name)

    now = timezone.now()
    case = CASE_SAVE.create(
        matter=matter,
        matter_version=version,
        department=matter.department,
        **who.case_fields(),
        channel=channel,
        form_data=form,
        prefilled_fields=prefilled,
        status=CaseStatus.DRAFT,
        guidance=guidance,
    )
    case.case_no = case_number(case)
    _CASE_NO_SET.run(pk=case.pk, case_no=case.case_no)
    if guidance is not None:
        guidance_mark_used(guidance=guidance)
    MATERIAL_SAVE.bulk_create(
        [
            CaseMaterial(
                case=case,
                requirement_code=item["code"],
                name=item.get("name") or item["code"],
                name_en=item.get("name_en") or "",
                required=bool(item.get("required", True)),
                key=bool(item.get("key", True)),
                shared_resource=item.get("shared_resource") or "",
            )
            for item in guide.get("materials") or []
        ]
    )
    # Materials that data sharing can supply (shared_resource) are filled in by
    # cases.sharing right after this transaction commits (see case_create).
    timeline_add(
        case,
        at=now,
        action=TimelineAction.CREATED,
        step=_("创建申请"),
        actor=actor,
        comment=who.counter_note(),
    )
    return case


#: Every application reads its matter's latest guide: compiled once (core/prepared.py).
_VERSION_LATEST: Prepared[MatterVersion] = Prepared(
    lambda: (
        MatterVersion.objects.select_related("matter__department", "matter__section")
        .filter(matter__code=Param("code"), matter__is_active=True)
        .order_by("-version")[:1]
    )
)


def _person_of(actor: User, who: Applicant) -> Person | None:
    # An enterprise's case online: the agent's own person data (name, phone).
    if who.type == ApplicantType.ENTERPRISE and who.window is None:
        return identity_selectors.user_person(user_id=actor.pk)
    return None


def locked_changes(
    schema: Mapping[str, Any],
    form: Mapping[str, Any],
    prefill: Mapping[str, Prefill],
    *,
    channel: str,
) -> list[FieldError]:
    """A field error for each locked value (the applicant's own ID) changed online.

    At the counter the clerk types what the walk-in's papers say; a difference is shown
    to staff as a warning instead (``identity_mismatches``).
    """
    if channel == Channel.WINDOW:
        return []
    properties = schema.get("properties") or {}
    errors = []
    for name, known in prefill.items():
        value = form.get(name)
        if not known.locked or value in (None, ""):
            continue
        if str(value).strip().upper() != known.value.upper():
            title = schema_field_title(properties.get(name), name)
            errors.append(
                FieldError(
                    field=f"form.{name}",
                    message=_("%(title)s：须与申请人的%(source)s信息一致，不能修改")
                    % {"title": title, "source": known.source},
                )
            )
    return errors


def materials_missing(case: Case) -> list[FieldError]:
    """A field error for every required material neither provided nor deferred.

    Generated documents and online-signed commitments are never asked as uploads: they are
    made at submission (cases.services.documents).
    """
    done = {MaterialStatus.PROVIDED, MaterialStatus.VERIFIED, MaterialStatus.DEFERRED}
    made = case_material_sources(case)
    return [
        FieldError(
            field=f"materials.{m.requirement_code}",
            message=_("请提供材料“%(name)s”") % {"name": m.name},
        )
        for m in case_materials(case)
        if m.required and m.status not in done and m.requirement_code not in made
    ]


def submit_problems(
    *, case: Case, deferred_codes: frozenset[str] = frozenset()
) -> list[FieldError]:
    """What submitting the draft would refuse now: form answers and materials (a read).

    The check-your-answers page shows these before its submit button; ``deferred_codes`` are
    the materials the applicant chose to deliver later (容缺), checked again at submission.
    """
    errors = form_errors(schema=case_form_schema(case), form=case.form_data, complete=True)
    return errors + [
        e
        for e in materials_missing(case)
        if e.field.removeprefix("materials.") not in deferred_codes
    ]


def matter_case_submit(
    case: Case,
    actor: User,
    now: datetime,
    deferred: list[dict[str, Any]] | None = None,
    commitment: Mapping[str, Any] | None = None,
) -> Case:
    """Submit one matter's complete draft and start its process (a theme's child too)."""
    applicant_required(actor, case)
    if case.status != CaseStatus.DRAFT:
        raise status_refused(case, _("再次提交"))
    errors = form_errors(schema=case_form_schema(case), form=case.form_data, complete=True)
    # 容缺受理: deferred non-key materials count as delivered (cases.deferral).
    refused = deferral.case_deferrals_apply(
        case=case, deferred=deferred or [], today=now.astimezone(SHANGHAI).date()
    )
    errors.extend(refused)
    # A refused deferral already names its material; "please provide" would hide why.
    errors.extend(e for e in materials_missing(case) if e.field not in {r.field for r in refused})
    errors.extend(documents_missing(case, commitment))
    if errors:
        raise ValidationFailed(_("申请内容不完整，请补充后再提交"), errors=errors)
    waiting: list[CaseParty] = []
    if case.parent_id is None:  # a theme's children: the theme's own rules (not yet)
        # One open application per object (the same property, the same company name).
        parties.object_once_check(case)
        # 多方申请: the other parties named in the form (checked here, stored with the case).
        waiting = parties.parties_name(case=case)
    # 信用分级分类审批 (cases.routes): refuses an unsigned commitment before anything changes.
    route = routes.case_route_take(case=case, now=now, commitment=commitment)
    if route == CreditRoute.REFUSED:
        return case_refused_on_credit(case, actor, now)
    if waiting:
        parties.case_wait_for_parties(case=case, actor=actor, now=now, parties=waiting)
        routes.case_route_timeline(case=case, now=now, actor=actor)
        # The application form as filed and the signed commitment: made, never uploaded.
        case_documents_make(case=case, actor=actor, now=now, commitment=commitment)
        if deferred:  # without a deferral asked for now, no material of a draft is deferred
            deferral.deferral_timeline_note(case=case, at=now)
        return case
    return case_process_start(
        case, actor, now, route=route, commitment=commitment, deferred=bool(deferred)
    )


def case_process_start(
    case: Case,
    actor: User,
    now: datetime,
    *,
    route: str,
    first: bool = True,
    commitment: Mapping[str, Any] | None = None,
    deferred: bool = False,
) -> Case:
    """Start the process of a complete application (at submission, or when the last of its
    parties confirmed: ``first`` False, its submission is on the timeline already)."""
    guide = case_guide(case)
    case.submitted_at = now
    # Read once: the acceptance deadline skips them, the answer shows the open one.
    supplements = case_supplements(case)
    deadline = acceptance_deadline_iso(case, supplements=supplements)
    params = guide.get("process_params") or {}
    step = engine.process_start(
        name=str(guide.get("process") or "standard_approval"),
        data={**params, "acceptance_deadline": deadline, "case_no": case.case_no, "route": route},
        department=case.department.code if case.department is not None else "",
    )
    case.process = step.instance
    case.status = CaseStatus.SUBMITTED
    CASE_SAVE.save(case)
    created = tasks_sync(case, step, started=True)
    # A process started now: its first tasks are all the case's tasks (the answer lists them).
    case_hand_to_answer(case, tasks=created, supplements=supplements)
    if not first:
        return case
    timeline_add(case, at=now, action=TimelineAction.SUBMITTED, step=_("提交申请"), actor=actor)
    routes.case_route_timeline(case=case, now=now, actor=actor)
    # The application form as filed and the signed commitment: made, never uploaded.
    case_documents_make(case=case, actor=actor, now=now, commitment=commitment)
    if deferred:  # without a deferral asked for now, no material of a draft is deferred
        deferral.deferral_timeline_note(case=case, at=now)
    if case.channel == Channel.WINDOW and case.parent_id is None:
        visit_record(case=case, kind=VisitKind.WINDOW_SUBMISSION, actor=actor, now=now)
    return case


def case_refused_on_credit(case: Case, actor: User, now: datetime) -> Case:
    # 联合惩戒: rejected at once with the legal reason; no process starts, nothing is issued.
    """Reject at submission a case whose applicant is under joint punishment (联合惩戒)."""
    case.submitted_at = now
    timeline_add(case, at=now, action=TimelineAction.SUBMITTED, step=_("提交申请"), actor=actor)
    routes.case_route_timeline(case=case, now=now, actor=actor)
    routes.case_refuse_on_credit(case=case, now=now)
    case.save()
    notify_applicant(case=case, event=NotificationEvent.REJECTED)
    return case


@transaction.atomic
def case_party_confirm(*, actor: User, case_id: int, now: datetime | None = None) -> Case:
    """The signed-in party confirms their part; when the last one has, the process starts.

    404 when the caller is not a party of the case, 409 when they have confirmed already or
    the application no longer waits (withdrawn meanwhile).
    """
    from_row, party = parties.party_case_get(user=actor, case_id=case_id)
    case = case_lock(from_row)
    party = CaseParty.objects.select_for_update().get(pk=party.pk)
    if party.confirmed_at is not None:
        raise Conflict(_("您已确认过本申请，无需重复确认"))
    if case.status != CaseStatus.AWAITING_PARTIES:
        raise status_refused(case, _("确认"))
    now = now or timezone.now()
    party.confirmed_at = now
    party.confirmed_by = actor
    party.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    timeline_add(
        case,
        at=now,
        action=TimelineAction.PARTY_CONFIRMED,
        step=_("当事人确认"),
        actor=actor,
        comment=_("%(role)s%(name)s已确认申请内容")
        % {"role": parties.party_role_label(party.role), "name": party.name},
    )
    if case.parties.filter(confirmed_at__isnull=True).exists():
        return case
    # Every party has confirmed: the application is complete and goes on as any other.
    return case_process_start(case, actor, now, route=case.route, first=False)
