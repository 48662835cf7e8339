"""Theme applications (主题服务 / 一件事): one parent case, one child case per matter.

The applicant fills one merged form and provides each material once, on the
parent; the children (one per matter of the theme) are run by their own
departments with their own processes.  Children of one stage run in parallel; a
higher stage starts when every child of the lower stages has ended well.  The
parent shows the combined progress and ends when all its children have ended.
For a theme with a combined licence (许可一证通) approved children issue
nothing themselves: one combined licence lists every licensed item.

Every function runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import (
    FINAL_STATUSES,
    CaseStatus,
    MaterialOrigin,
    MaterialStatus,
    SupplementState,
    TaskState,
    TimelineAction,
)
from tongban.cases.models import Case, CaseMaterial, TimelineEntry, VisitKind
from tongban.cases.rules import (
    case_guide,
    is_theme_parent,
    theme_has_combined_licence,
)
from tongban.cases.services.common import applicant_required, status_refused
from tongban.cases.services.matter import (
    applicant_resolve,
    case_number,
    materials_missing,
    matter_case_submit,
    matter_for_application,
)
from tongban.cases.services.notifications import notify_applicant
from tongban.cases.services.sharing import case_materials_share
from tongban.cases.services.visits import visit_record
from tongban.catalog.choices import Channel, ThemeChildFailure
from tongban.catalog.forms import form_errors, schema_field_title
from tongban.catalog.models import Department, Theme, ThemeMatter, localized
from tongban.catalog.services import theme_form_schema
from tongban.certificates.combined import combined_licence_issue
from tongban.certificates.hooks import CertificateReissued
from tongban.certificates.pdf import verify_url
from tongban.core.errors import FieldError, InvalidStateChange, ValidationFailed
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar
from tongban.workflow.models import ProcessInstance

#: Statuses of a child that has ended well (its result is, or will be, issued).
SUCCESS_STATUSES = frozenset({CaseStatus.ISSUED, CaseStatus.COMPLETED})
#: Statuses of a child that has ended without a result.
FAILURE_STATUSES = frozenset({CaseStatus.REJECTED, CaseStatus.DENIED, CaseStatus.WITHDRAWN})
#: Material statuses that count as provided on the parent and are copied to the children.
PROVIDED_STATUSES = frozenset(
    {MaterialStatus.PROVIDED, MaterialStatus.VERIFIED, MaterialStatus.DEFERRED}
)
#: Fields of the parent's material copied to a child's (the same stored file).
_COPIED_FIELDS = (
    "file",
    "content_type",
    "size",
    "sha256",
    "original_name",
    "uploaded_at",
    "status",
    "origin",
    "deferred_until",
    "review_note",
)


# --- helpers ---------------------------------------------------------------------------------


def _links(theme: Theme) -> list[ThemeMatter]:
    return list(
        theme.theme_matters.select_related("matter", "matter__department").order_by("order", "id")
    )


def _matter_name(case: Case) -> str:
    return localized(case.matter, "name") if case.matter is not None else str(case)


def _certificate_code(guide: Mapping[str, Any]) -> str:
    ref = guide.get("certificate_type")
    return str(ref.get("code") or "") if isinstance(ref, dict) else ""


def _children(parent: Case) -> list[Case]:
    return list(
        Case.objects.filter(parent=parent)
        .select_related("matter", "matter_version", "department")
        .order_by("stage", "id")
    )


def _timeline(
    case: Case,
    *,
    at: datetime,
    action: str,
    step: str,
    comment: str = "",
    actor: User | None = None,
    department: Department | None = None,
) -> None:
    TimelineEntry.objects.create(
        case=case,
        at=at,
        action=action,
        step=step,
        comment=comment,
        actor=actor,
        department=department,
    )


def _child_form(form: Mapping[str, Any], child: Case) -> dict[str, Any]:
    schema = case_guide(child).get("form_schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    return {name: value for name, value in form.items() if name in properties}


# --- create ----------------------------------------------------------------------------------


def theme_case_create(
    *,
    actor: User,
    theme_code: str,
    applicant: Mapping[str, Any] | None,
    form: Any,
    channel: str,
) -> Case:
    """Create the parent draft with one child draft per matter; materials are asked once."""
    theme = Theme.objects.filter(code=theme_code, is_active=True).first()
    if theme is None:
        raise ValidationFailed(
            _("主题服务不存在或已停止办理"),
            errors=[FieldError(field="theme", message=_("主题服务不存在或已停止办理"))],
        )
    links = _links(theme)
    if not links:
        raise ValidationFailed(
            _("该主题服务没有可办理的事项"),
            errors=[FieldError(field="theme", message=_("该主题服务没有可办理的事项"))],
        )
    versions = []
    for link in links:
        try:
            versions.append(matter_for_application(link.matter.code, channel))
        except ValidationFailed as exc:
            raise ValidationFailed(
                _("主题服务中的事项“%(matter)s”暂不能申请")
                % {"matter": localized(link.matter, "name")},
                errors=[
                    FieldError(
                        field="theme" if e.field == "matter" else e.field,
                        message=f"{localized(link.matter, 'name')}：{e.message}",
                    )
                    for e in exc.errors
                ],
            ) from exc
    applicant_type, person, enterprise, applicant_name = applicant_resolve(actor, applicant)
    form = {} if form is None else form
    schema = theme_form_schema(theme=theme)
    errors = form_errors(schema=schema, form=form, complete=False)
    if errors:
        raise ValidationFailed(_("申请表填写有误"), errors=errors)

    now = timezone.now()
    common = {
        "applicant_user": actor,
        "applicant_type": applicant_type,
        "applicant_person": person,
        "applicant_enterprise": enterprise,
        "applicant_name": applicant_name,
        "channel": channel,
        "status": CaseStatus.DRAFT,
    }
    parent = Case.objects.create(
        theme=theme,
        # The lead matter's department answers for the theme as a whole.
        department=links[0].matter.department,
        form_data=form,
        **common,
    )
    parent.case_no = case_number(parent)
    parent.save(update_fields=["case_no"])
    _timeline(parent, at=now, action=TimelineAction.CREATED, step=_("创建申请"), actor=actor)

    # A material one matter of the theme produces (e.g. the business licence of
    # company registration) is never asked from the applicant of the theme.
    produced = {
        _certificate_code(version.guide or {}): localized(matter, "name")
        for matter, version in versions
    }
    produced.pop("", None)
    union: dict[str, dict[str, Any]] = {}
    for link, (matter, version) in zip(links, versions, strict=True):
        guide = version.guide if isinstance(version.guide, dict) else {}
        child = Case.objects.create(
            matter=matter,
            matter_version=version,
            parent=parent,
            stage=link.stage,
            department=matter.department,
            form_data=_child_form(form, Case(matter_version=version)),
            **common,
        )
        child.case_no = case_number(child)
        child.save(update_fields=["case_no"])
        own_output = _certificate_code(guide)
        for item in guide.get("materials") or []:
            code = item["code"]
            from_sibling = code in produced and code != own_output
            CaseMaterial.objects.create(
                case=child,
                requirement_code=code,
                name=item.get("name") or code,
                required=bool(item.get("required", True)),
                key=bool(item.get("key", True)),
                shared_resource=item.get("shared_resource") or "",
                status=MaterialStatus.PROVIDED if from_sibling else MaterialStatus.MISSING,
                origin=MaterialOrigin.SHARING if from_sibling else "",
                review_note=(
                    _("由本主题“%(matter)s”的办理结果提供") % {"matter": produced[code]}
                    if from_sibling
                    else ""
                ),
            )
            if from_sibling:
                continue
            entry = union.setdefault(
                code,
                {
                    "name": item.get("name") or code,
                    "required": False,
                    "key": False,
                    "shared_resource": "",
                },
            )
            entry["required"] = entry["required"] or bool(item.get("required", True))
            entry["key"] = entry["key"] or bool(item.get("key", True))
            entry["shared_resource"] = entry["shared_resource"] or item.get("shared_resource") or ""
        _timeline(
            child,
            at=now,
            action=TimelineAction.CREATED,
            step=_("创建申请"),
            actor=actor,
            comment=_("主题服务“%(theme)s”（%(no)s）的事项")
            % {"theme": localized(theme, "name"), "no": parent.case_no},
        )
    CaseMaterial.objects.bulk_create(
        CaseMaterial(case=parent, requirement_code=code, **values) for code, values in union.items()
    )
    return parent


# --- materials: once on the parent, copied to the children -----------------------------------


def theme_materials_share(*, parent: Case, actor: User | None) -> None:
    """Data sharing for a theme: each child's department asks for itself, the parent shows it.

    Runs outside any transaction (like ``case_materials_share``): each child's
    queries are logged under the child case and its department.
    """
    for child in _children(parent):
        case_materials_share(case=child, actor=actor)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=parent.pk)
        children = _children(locked)
        by_code: dict[str, list[CaseMaterial]] = {}
        for material in CaseMaterial.objects.filter(case__in=children):
            by_code.setdefault(material.requirement_code, []).append(material)
        for material in locked.materials.filter(status=MaterialStatus.MISSING):
            copies = by_code.get(material.requirement_code, [])
            shared = [m for m in copies if m.origin == MaterialOrigin.SHARING]
            if copies and len(shared) == len(copies):
                first = shared[0]
                material.status = MaterialStatus.PROVIDED
                material.origin = MaterialOrigin.SHARING
                material.shared_at = first.shared_at
                material.review_note = ""
                material.save()
            elif shared:
                material.review_note = _("部分事项已通过数据共享获取，其余事项仍需上传")
                material.save(update_fields=["review_note", "updated_at"])
        # Fields a child's department prefilled from shared data fill the one form too.
        form = dict(locked.form_data or {})
        prefilled = list(locked.prefilled_fields or [])
        for child in children:
            for name in child.prefilled_fields or []:
                if form.get(name) in (None, "") and name in child.form_data:
                    form[name] = child.form_data[name]
                    prefilled.append(name)
        if prefilled != list(locked.prefilled_fields or []):
            locked.form_data = form
            locked.prefilled_fields = list(dict.fromkeys(prefilled))
            locked.save(update_fields=["form_data", "prefilled_fields", "updated_at"])
    parent.refresh_from_db()


def theme_materials_sync(*, parent: Case) -> int:
    """Copy the parent's provided materials to every child needing the same requirement.

    Children point at the same stored file (uploaded once); a material a
    child's department obtained by data sharing is left as it is.
    """
    provided = {
        m.requirement_code: m
        for m in parent.materials.filter(status__in=PROVIDED_STATUSES).exclude(
            origin=MaterialOrigin.SHARING
        )
    }
    copied = 0
    for material in CaseMaterial.objects.select_for_update().filter(
        case__parent=parent, requirement_code__in=list(provided)
    ):
        if material.origin == MaterialOrigin.SHARING and material.status in PROVIDED_STATUSES:
            continue
        source = provided[material.requirement_code]
        if material.sha256 == source.sha256 and material.status == source.status:
            continue
        for name in _COPIED_FIELDS:
            setattr(material, name, getattr(source, name))
        material.save()
        copied += 1
    return copied


def theme_form_sync(*, parent: Case) -> None:
    """Give every child the fields of the one form its own matter asks for."""
    for child in _children(parent):
        if child.status != CaseStatus.DRAFT:
            continue
        child.form_data = _child_form(parent.form_data or {}, child)
        child.save(update_fields=["form_data", "updated_at"])


# --- submit ----------------------------------------------------------------------------------


def _required_by(theme: Theme) -> dict[str, list[str]]:
    """Form field → names of the theme's matters that require it."""
    out: dict[str, list[str]] = {}
    for link in _links(theme):
        schema = link.matter.form_schema or {}
        for name in schema.get("required") or []:
            out.setdefault(str(name), []).append(localized(link.matter, "name"))
    return out


def theme_form_errors(*, theme: Theme, form: Any) -> list[FieldError]:
    """Errors of the merged form; a missing field names the matters that need it."""
    schema = theme_form_schema(theme=theme)
    errors = form_errors(schema=schema, form=form, complete=True)
    needed = _required_by(theme)
    properties = schema.get("properties") or {}
    out: list[FieldError] = []
    for error in errors:
        name = error.field.removeprefix("form.")
        missing = isinstance(form, dict) and name in needed and name not in form
        if missing:
            title = schema_field_title(properties.get(name), name)
            message = _("%(title)s：%(matters)s 需要此项") % {
                "title": title,
                "matters": "、".join(needed[name]),
            }
            out.append(FieldError(field=error.field, message=message))
        else:
            out.append(error)
    return out


def _child_submit(
    child: Case, actor: User, now: datetime, commitment: Mapping[str, Any] | None
) -> None:
    try:
        matter_case_submit(child, actor, now, None, commitment)
    except ValidationFailed as exc:
        name = _matter_name(child)
        raise ValidationFailed(
            f"{name}：{exc.detail}",
            errors=[FieldError(field=e.field, message=f"{name}：{e.message}") for e in exc.errors],
        ) from exc


def theme_case_submit(
    *, case: Case, actor: User, now: datetime, commitment: Mapping[str, Any] | None = None
) -> Case:
    """Submit a theme application: check the one form and materials, start stage-1 children.

    A signed ``commitment`` (告知承诺) covers every matter of the theme that takes that route.
    """
    if case.parent_id is not None:
        raise InvalidStateChange(_("主题服务中的事项随主题申请一并提交，请提交主题申请"))
    applicant_required(actor, case)
    if case.status != CaseStatus.DRAFT:
        raise status_refused(case, _("再次提交"))
    assert case.theme is not None
    theme = case.theme
    errors = theme_form_errors(theme=theme, form=case.form_data)
    errors.extend(materials_missing(case))
    if errors:
        raise ValidationFailed(_("申请内容不完整，请补充后再提交"), errors=errors)

    theme_form_sync(parent=case)
    theme_materials_sync(parent=case)
    children = _children(case)
    first_stage = min(child.stage for child in children)
    started = []
    for child in children:
        if child.stage == first_stage:
            _child_submit(child, actor, now, commitment)
            started.append(_matter_name(child))
        else:
            _timeline(
                child,
                at=now,
                action=TimelineAction.WAITING,
                step=_("等待前序事项"),
                comment=_("前一阶段的事项办结后自动提交"),
            )
    case.submitted_at = now
    if isinstance(commitment, Mapping) and commitment.get("signed") is True:
        case.commitment_signed_at = now
    case.status = CaseStatus.SUBMITTED
    case.limit_days = theme.promised_limit_days
    due = WorkCalendar().add_working_days(timezone.localtime(now).date(), theme.promised_limit_days)
    case.due_date = due.due_date
    case.due_provisional = due.provisional
    case.save()
    _timeline(
        case,
        at=now,
        action=TimelineAction.SUBMITTED,
        step=_("提交申请"),
        actor=actor,
        comment=_("一次提交 %(n)s 个事项，同时办理：%(names)s")
        % {"n": len(children), "names": "、".join(started)},
    )
    for child in _children(case):
        if child.status not in (CaseStatus.DRAFT, CaseStatus.SUBMITTED):
            # Refused on credit, or issued at once on commitment, at submission itself.
            theme_child_refresh(child=child, now=now)
    if case.channel == Channel.WINDOW:
        visit_record(case=case, kind=VisitKind.WINDOW_SUBMISSION, actor=actor, now=now)
    return case


# --- progress --------------------------------------------------------------------------------


def _ended_well(child: Case, combined: bool) -> bool:
    if child.status in SUCCESS_STATUSES:
        return True
    return combined and child.status == CaseStatus.APPROVED


def _ended(child: Case, combined: bool) -> bool:
    return child.status in FINAL_STATUSES or _ended_well(child, combined)


def _child_stop(child: Case, *, reason: str, now: datetime) -> None:
    """End a child that can no longer go on (a sibling failed, or the theme was withdrawn)."""
    child.tasks.filter(state=TaskState.OPEN).update(state=TaskState.CANCELLED, updated_at=now)
    child.supplements.filter(state=SupplementState.OPEN).update(
        state=SupplementState.CANCELLED, updated_at=now
    )
    child.status = CaseStatus.WITHDRAWN
    child.withdrawn_at = now
    child.outcome_reason = reason
    child.save()
    if child.process_id is not None:
        # The process is abandoned where it stands; its timers must not fire any more.
        ProcessInstance.objects.filter(pk=child.process_id).update(next_timer_at=None)
    _timeline(child, at=now, action=TimelineAction.WITHDRAWN, step=_("停止办理"), comment=reason)


def _progress_record(parent: Case, child: Case, now: datetime) -> None:
    prefix = f"{_matter_name(child)}："
    recorded = parent.timeline.filter(action=TimelineAction.CHILD_STATUS, step__startswith=prefix)
    status = CaseStatus(child.status)
    accepted = f"{prefix}{CaseStatus.ACCEPTED.label}"
    if status == CaseStatus.UNDER_REVIEW and not recorded.filter(step=accepted).exists():
        # Acceptance moves a case straight on to review: the applicant is told it was accepted.
        status = CaseStatus.ACCEPTED
    step = f"{prefix}{status.label}"
    last = recorded.order_by("-at", "-id").first()
    if last is not None and last.step == step:
        return
    _timeline(
        parent,
        at=now,
        action=TimelineAction.CHILD_STATUS,
        step=step,
        comment=child.outcome_reason if child.status in FAILURE_STATUSES else "",
        department=child.department,
    )


def theme_child_refresh(*, child: Case, now: datetime | None = None) -> None:
    """A child's status changed: record it on the parent, apply the stages and the failure policy.

    Called by every service that changes a child's status, after it saved the child.
    """
    if child.parent_id is None:
        return
    now = now or timezone.now()
    parent = (
        Case.objects.select_for_update(of=("self",)).select_related("theme").get(pk=child.parent_id)
    )
    if parent.status in FINAL_STATUSES:
        return
    assert parent.theme is not None
    theme = parent.theme
    combined = theme_has_combined_licence(parent)
    _progress_record(parent, child, now)

    failed = child.status in (CaseStatus.REJECTED, CaseStatus.DENIED)
    if failed and theme.on_child_failure == ThemeChildFailure.STOP:
        reason = _("因“%(matter)s”%(status)s（%(reason)s），本事项停止办理") % {
            "matter": _matter_name(child),
            "status": CaseStatus(child.status).label,
            "reason": child.outcome_reason or _("未说明理由"),
        }
        for sibling in _children(parent):
            if sibling.pk != child.pk and not _ended(sibling, combined):
                _child_stop(sibling, reason=reason, now=now)
                _progress_record(parent, sibling, now)

    children = _children(parent)
    _next_stage_start(parent, children, combined, now)
    children = _children(parent)
    if parent.status == CaseStatus.SUBMITTED and any(c.accepted_at for c in children):
        parent.status = CaseStatus.UNDER_REVIEW
        parent.accepted_at = min(c.accepted_at for c in children if c.accepted_at)
        parent.save(update_fields=["status", "accepted_at", "updated_at"])
    if all(_ended(c, combined) for c in children):
        _parent_end(parent, children, combined, now)


def _next_stage_start(parent: Case, children: list[Case], combined: bool, now: datetime) -> None:
    waiting = [c for c in children if c.status == CaseStatus.DRAFT]
    if not waiting:
        return
    stage = min(c.stage for c in waiting)
    earlier = [c for c in children if c.stage < stage]
    if not all(_ended(c, combined) for c in earlier):
        return
    failed = [c for c in earlier if not _ended_well(c, combined)]
    commitment = {"signed": True} if parent.commitment_signed_at else None
    for child in waiting:
        if child.stage != stage:
            continue
        if failed:
            # The law orders these matters: without the earlier result this one cannot go on.
            _child_stop(
                child,
                reason=_("前序事项“%(matter)s”未办结，本事项不再办理")
                % {"matter": "、".join(_matter_name(c) for c in failed)},
                now=now,
            )
        else:
            _child_submit(child, parent.applicant_user, now, commitment)
        _progress_record(parent, child, now)
    if failed:
        # Later stages cannot start either.
        _next_stage_start(parent, _children(parent), combined, now)


def _parent_end(parent: Case, children: list[Case], combined: bool, now: datetime) -> None:
    reasons = [
        f"{_matter_name(c)}：{c.outcome_reason}"
        for c in children
        if c.status in FAILURE_STATUSES and c.outcome_reason
    ]
    approved = [c for c in children if _ended_well(c, combined)]
    if combined and approved:
        certificate = combined_licence_issue(parent=parent, children=approved, now=now)
        parent.status = CaseStatus.ISSUED
        _timeline(
            parent,
            at=now,
            action=TimelineAction.ISSUED,
            step=_("已出证"),
            comment=_("综合许可证编号 %(no)s，载明 %(n)s 个许可项目")
            % {"no": certificate.number, "n": len(approved)},
            department=certificate.issuer,
        )
        for child in approved:
            child.status = CaseStatus.COMPLETED
            child.completed_at = now
            child.save(update_fields=["status", "completed_at", "updated_at"])
            _timeline(
                child,
                at=now,
                action=TimelineAction.COMPLETED,
                step=_("办结"),
                comment=_("已载入综合许可证 %(no)s") % {"no": certificate.number},
            )
            _progress_record(parent, child, now)
    parent.decided_at = now
    parent.completed_at = now
    parent.outcome_reason = "；".join(reasons)
    if approved:
        parent.status = CaseStatus.COMPLETED
        event = "completed"
        summary = _("%(ok)s 个事项已办结") % {"ok": len(approved)}
        if reasons:
            summary += _("，%(n)s 个事项未办成") % {"n": len(reasons)}
    else:
        statuses = {c.status for c in children}
        parent.status = next(
            (s for s in (CaseStatus.DENIED, CaseStatus.REJECTED) if s in statuses),
            CaseStatus.WITHDRAWN,
        )
        event = str(parent.status)
        summary = _("所有事项均未办成")
    parent.save()
    _timeline(parent, at=now, action=event, step=_("办结"), comment=summary)
    notify_applicant(case=parent, event=event)


def theme_case_withdrawn(*, case: Case, now: datetime, reason: str = "") -> None:
    """After a withdrawal: a withdrawn parent ends its children; a withdrawn child is progress."""
    if is_theme_parent(case):
        stop_reason = _("主题申请已撤回") + (f"：{reason}" if reason else "")
        for child in _children(case):
            if child.status not in FINAL_STATUSES:
                _child_stop(child, reason=stop_reason, now=now)
        return
    theme_child_refresh(child=case, now=now)


# --- what the pages and the API show ---------------------------------------------------------


def theme_children_view(*, case: Case) -> list[dict[str, Any]]:
    """The children of a theme parent with their departments, statuses and certificates."""
    if not is_theme_parent(case):
        return []
    return [
        {
            "id": child.pk,
            "case_no": child.case_no,
            "matter": {"code": child.matter.code, "name": localized(child.matter, "name")}
            if child.matter
            else None,
            "department": {
                "code": child.department.code,
                "name": localized(child.department, "name"),
            }
            if child.department
            else None,
            "stage": child.stage,
            "status": child.status,
            "status_label": str(CaseStatus(child.status).label),
            "outcome_reason": child.outcome_reason,
            "due_date": child.due_date,
            "certificates": [
                {
                    "number": c.number,
                    "type": localized(c.certificate_type, "name"),
                    "status": c.status,
                    "verify_url": verify_url(c.number),
                }
                for c in child.certificates.select_related("certificate_type").order_by("id")
            ],
        }
        for child in _children(case)
    ]


def theme_certificate_reissued(event: CertificateReissued) -> None:
    """A combined licence was reissued (one item changed): its theme case's timeline says so.

    The receiver of ``certificates.hooks.certificate_reissued``.
    """
    if event.old.case_id is None:
        return
    TimelineEntry.objects.create(
        case_id=event.old.case_id,
        at=event.at,
        action=TimelineAction.CERTIFICATE_REISSUED,
        step=_("综合许可证变更"),
        actor=event.actor,
        department=event.old.issuer,
        comment=event.summary,
    )
