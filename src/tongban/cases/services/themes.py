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
    CaseStatus,
    MaterialOrigin,
    MaterialStatus,
    TimelineAction,
)
from tongban.cases.models import Case, CaseMaterial, VisitKind
from tongban.cases.rules import guide_certificate_type_code
from tongban.cases.services import parties
from tongban.cases.services.common import applicant_required, status_refused, timeline_add
from tongban.cases.services.documents import documents_missing, theme_documents_mark
from tongban.cases.services.matter import (
    applicant_resolve,
    case_number,
    materials_missing,
    matter_for_application,
)
from tongban.cases.services.sharing import case_materials_share
from tongban.cases.services.theme_parts import (
    COPIED_FIELDS,
    PROVIDED_STATUSES,
    child_form,
    child_matter_name,
    child_submit,
    theme_children,
    theme_links,
)
from tongban.cases.services.theme_progress import (
    theme_case_withdrawn,
    theme_certificate_reissued,
    theme_child_refresh,
    theme_children_view,
)
from tongban.cases.services.visits import visit_record
from tongban.catalog.choices import Channel
from tongban.catalog.forms import form_errors, schema_field_title
from tongban.catalog.models import Theme, localized
from tongban.catalog.services import theme_form_schema
from tongban.core.errors import FieldError, InvalidStateChange, ValidationFailed
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

__all__ = [
    "theme_case_create",
    "theme_case_submit",
    "theme_case_withdrawn",
    "theme_certificate_reissued",
    "theme_child_refresh",
    "theme_children_view",
    "theme_form_errors",
    "theme_form_sync",
    "theme_materials_share",
    "theme_materials_sync",
]


# --- create ----------------------------------------------------------------------------------


def theme_case_create(
    *,
    actor: User,
    theme_code: str,
    applicant: Mapping[str, Any] | None,
    form: Any,
    channel: str,
    window_code: str | None = None,
    ticket_number: str | None = None,
) -> Case:
    """Create the parent draft with one child draft per matter; materials are asked once."""
    theme = Theme.objects.filter(code=theme_code, is_active=True).first()
    if theme is None:
        raise ValidationFailed(
            _("主题服务不存在或已停止办理"),
            errors=[FieldError(field="theme", message=_("主题服务不存在或已停止办理"))],
        )
    links = theme_links(theme)
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
    who = applicant_resolve(
        actor,
        applicant,
        channel=channel,
        section=theme.section,
        window_code=window_code,
        ticket_number=ticket_number,
    )
    form = {} if form is None else form
    schema = theme_form_schema(theme=theme)
    errors = form_errors(schema=schema, form=form, complete=False)
    if errors:
        raise ValidationFailed(_("申请表填写有误"), errors=errors)

    now = timezone.now()
    common = {
        **who.case_fields(),
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
    timeline_add(
        parent,
        at=now,
        action=TimelineAction.CREATED,
        step=_("创建申请"),
        actor=actor,
        comment=who.counter_note(),
    )

    # A material one matter of the theme produces (e.g. the business licence of
    # company registration) is never asked from the applicant of the theme.
    produced = {
        guide_certificate_type_code(version.guide or {}): localized(matter, "name")
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
            form_data=child_form(form, Case(matter_version=version)),
            **common,
        )
        child.case_no = case_number(child)
        child.save(update_fields=["case_no"])
        own_output = guide_certificate_type_code(guide)
        for item in guide.get("materials") or []:
            code = item["code"]
            from_sibling = code in produced and code != own_output
            CaseMaterial.objects.create(
                case=child,
                requirement_code=code,
                name=item.get("name") or code,
                name_en=item.get("name_en") or "",
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
                    "name_en": item.get("name_en") or "",
                    "required": False,
                    "key": False,
                    "shared_resource": "",
                },
            )
            entry["required"] = entry["required"] or bool(item.get("required", True))
            entry["key"] = entry["key"] or bool(item.get("key", True))
            entry["shared_resource"] = entry["shared_resource"] or item.get("shared_resource") or ""
        timeline_add(
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
    for child in theme_children(parent):
        case_materials_share(case=child, actor=actor)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=parent.pk)
        children = theme_children(locked)
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
            origin__in=(MaterialOrigin.SHARING, MaterialOrigin.GENERATED, MaterialOrigin.SIGNED)
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
        for name in COPIED_FIELDS:
            setattr(material, name, getattr(source, name))
        material.save()
        copied += 1
    return copied


def theme_form_sync(*, parent: Case) -> None:
    """Give every child the fields of the one form its own matter asks for."""
    for child in theme_children(parent):
        if child.status != CaseStatus.DRAFT:
            continue
        child.form_data = child_form(parent.form_data or {}, child)
        child.save(update_fields=["form_data", "updated_at"])


# --- submit ----------------------------------------------------------------------------------


def _required_by(theme: Theme) -> dict[str, list[str]]:
    """Form field → names of the theme's matters that require it."""
    out: dict[str, list[str]] = {}
    for link in theme_links(theme):
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
    errors.extend(documents_missing(case, commitment))
    if errors:
        raise ValidationFailed(_("申请内容不完整，请补充后再提交"), errors=errors)

    theme_form_sync(parent=case)
    theme_materials_sync(parent=case)
    children = theme_children(case)
    # One open application per object: the proposed company name, the property (matters
    # locked in one order, so that two themes cannot wait on each other).
    for child in sorted(children, key=lambda c: c.matter_id or 0):
        parties.object_once_check(child)
    first_stage = min(child.stage for child in children)
    started = []
    for child in children:
        if child.stage == first_stage:
            child_submit(child, actor, now, commitment)
            started.append(child_matter_name(child))
        else:
            timeline_add(
                child,
                at=now,
                action=TimelineAction.WAITING,
                step=_("等待前序事项"),
                comment=_("前一阶段的事项办结后自动提交"),
            )
    theme_documents_mark(parent=case, now=now)
    case.submitted_at = now
    if isinstance(commitment, Mapping) and commitment.get("signed") is True:
        case.commitment_signed_at = now
    case.status = CaseStatus.SUBMITTED
    case.limit_days = theme.promised_limit_days
    due = WorkCalendar().add_working_days(timezone.localtime(now).date(), theme.promised_limit_days)
    case.due_date = due.due_date
    case.due_provisional = due.provisional
    case.save()
    timeline_add(
        case,
        at=now,
        action=TimelineAction.SUBMITTED,
        step=_("提交申请"),
        actor=actor,
        comment=_("一次提交 %(n)s 个事项，同时办理：%(names)s")
        % {"n": len(children), "names": "、".join(started)},
    )
    for child in theme_children(case):
        if child.status not in (CaseStatus.DRAFT, CaseStatus.SUBMITTED):
            # Refused on credit, or issued at once on commitment, at submission itself.
            theme_child_refresh(child=child, now=now)
    if case.channel == Channel.WINDOW:
        visit_record(case=case, kind=VisitKind.WINDOW_SUBMISSION, actor=actor, now=now)
    return case
