"""Once-only (数据共享，免提交): materials and form fields filled from the exchange.

When a case is created, each material whose requirement names a data resource
is fetched through ``exchange.services.exchange_query`` (which checks grants and
writes the access log), and form fields bound to a resource field with
``"x-shared": "<resource code>#<field code>"`` are prefilled when the applicant
left them empty.  A resource that cannot answer (no record, no grant, provider
down) leaves its material missing with a note: the applicant uploads it instead.

The queries run *before* the case's own transaction opens, never inside it: the
exchange writes each AccessLog row in its own transaction, and a rollback of
the caller must not erase the record that somebody's data was looked at.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from tongban.cases.choices import ApplicantType, MaterialOrigin, MaterialStatus, TimelineAction
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.services.common import MATERIAL_SAVE, case_lock, timeline_add
from tongban.catalog.models import localized
from tongban.core.errors import DomainError, NotFound, PermissionDenied
from tongban.core.i18n import PART_SEPARATOR
from tongban.core.prepared import Param, Prepared
from tongban.exchange.choices import SubjectKind
from tongban.exchange.models import DataResource
from tongban.exchange.services import ProviderUnavailable, SharedRecord, exchange_query
from tongban.identity import selectors as identity_selectors
from tongban.identity.models import User

logger = logging.getLogger(__name__)

#: Schema keyword binding a form field to a resource field: "<resource code>#<field code>".
SHARED_KEYWORD = "x-shared"


@dataclass
class SharingOutcome:
    """What data sharing did for one case."""

    #: Requirement codes of the materials now provided by sharing.
    shared: list[str] = field(default_factory=list)
    #: Requirement code → why it could not be shared (the applicant uploads it instead).
    missing: dict[str, str] = field(default_factory=dict)
    #: Form fields filled from shared data.
    prefilled: list[str] = field(default_factory=list)
    #: AccessLog sequence numbers of the queries made.
    log_seqs: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Answer:
    record: SharedRecord | None
    #: The applicant's note when there is no record (Chinese, shown on the material).
    note: str = ""
    #: What went wrong, for staff (the exchange's message).
    detail: str = ""


def form_bindings(schema: Any) -> dict[str, tuple[str, str]]:
    """Form field → (resource code, field code) of every ``x-shared`` property of ``schema``."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    out: dict[str, tuple[str, str]] = {}
    if not isinstance(properties, dict):
        return out
    for name, spec in properties.items():
        binding = spec.get(SHARED_KEYWORD) if isinstance(spec, dict) else None
        if not isinstance(binding, str) or "#" not in binding:
            continue
        resource_code, field_code = binding.split("#", 1)
        if resource_code and field_code:
            out[str(name)] = (resource_code, field_code)
    return out


def _guide(case: Case) -> dict[str, Any]:
    guide = case.matter_version.guide if case.matter_version is not None else None
    return guide if isinstance(guide, dict) else {}


def _subject(case: Case, resource: DataResource) -> str | None:
    """The number a resource is queried by: the applicant's resident ID or the enterprise's USCC."""
    if resource.subject_kind == SubjectKind.ENTERPRISE:
        if case.applicant_type == ApplicantType.ENTERPRISE and case.applicant_enterprise:
            return case.applicant_enterprise.uscc
        return None
    person = case.applicant_person
    if person is None:
        # An enterprise's case: person data is the agent's own (the account that applied).
        person = identity_selectors.user_person(user_id=case.applicant_user_id)
    return person.id_number if person is not None else None


def _not_shareable() -> str:
    # The same words as the guide's promise (exchange.selectors.share_promises).
    return _("该材料暂不能通过数据共享获取，请上传")


def _ask(*, case: Case, actor: User | None, resource_code: str, purpose: str) -> _Answer:
    resource = _RESOURCE.first(code=resource_code)
    if resource is None:
        return _Answer(None, _not_shareable(), _("数据资源目录中没有该资源"))
    subject = _subject(case, resource)
    if subject is None:
        return _Answer(
            None,
            _("以本次申请人的身份无法共享该材料，请上传"),
            _("申请人类型与数据资源的查询主体不符"),
        )
    assert case.department is not None and case.matter is not None
    try:
        record = exchange_query(
            actor=actor,
            department_code=case.department.code,
            resource_code=resource_code,
            subject=subject,
            case=case,
            purpose=purpose,
            matter_code=case.matter.code,
        )
    except NotFound as exc:
        return _Answer(None, _("共享数据中没有您的这项记录，请上传"), str(exc.detail))
    except PermissionDenied as exc:
        return _Answer(None, _not_shareable(), str(exc.detail))
    except ProviderUnavailable as exc:
        return _Answer(None, _("提供该数据的部门系统暂时无法访问，请上传"), str(exc.detail))
    except DomainError as exc:
        # Any other refusal of the exchange: the material is asked for instead.
        return _Answer(None, _("提供该数据的部门系统暂时无法访问，请上传"), str(exc.detail))
    return _Answer(record)


def _prefill_value(spec: Any, value: Any) -> bool:
    """Whether ``value`` is acceptable for the field (a record may not fit the form's rules)."""
    if value is None or value == "":
        return False
    if not isinstance(spec, dict):
        return True
    plain = {k: v for k, v in spec.items() if not k.startswith("x-")}
    return Draft202012Validator(plain).is_valid(value)


def case_materials_share(*, case: Case, actor: User | None, new: bool = False) -> SharingOutcome:
    """Fill the case's shareable materials and bound form fields from the exchange (免提交).

    ``new``: the case was created by this request, so its materials are its guide's, all
    still missing (no read is needed to know which to ask for).
    """
    outcome = SharingOutcome()
    if case.matter is None or case.department is None:
        return outcome
    guide = _guide(case)
    schema = guide.get("form_schema")
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    shareable = any(
        isinstance(item, dict) and item.get("shared_resource")
        for item in guide.get("materials") or []
    )
    if not shareable and not form_bindings(schema):
        return outcome  # the case's materials come from this guide: none of them is shared
    if new:
        shared = {
            str(item["code"]): str(item["shared_resource"])
            for item in guide.get("materials") or []
            if isinstance(item, dict) and item.get("shared_resource")
        }
    else:
        shared = {m.requirement_code: m.shared_resource for m in _SHAREABLE.all(case=case.pk)}
    form = dict(case.form_data or {})
    bindings = {
        name: binding
        for name, binding in form_bindings(schema).items()
        if form.get(name) in (None, "")
    }
    material_resources = list(dict.fromkeys(shared.values()))
    prefill_only = [
        code
        for code in dict.fromkeys(r for r, _f in bindings.values())
        if code not in material_resources
    ]
    if not material_resources and not prefill_only:
        return outcome

    matter_name = localized(case.matter, "name")
    answers: dict[str, _Answer] = {}
    # Outside any transaction of ours: each query's log row is committed by the exchange.
    for code in material_resources:
        answers[code] = _ask(
            case=case,
            actor=actor,
            resource_code=code,
            purpose=_("办理%(matter)s（%(no)s）申请材料免提交")
            % {"matter": matter_name, "no": case.case_no},
        )
    for code in prefill_only:
        answers[code] = _ask(
            case=case,
            actor=actor,
            resource_code=code,
            purpose=_("办理%(matter)s（%(no)s）申请表信息预填")
            % {"matter": matter_name, "no": case.case_no},
        )
    outcome.log_seqs = [a.record.log_seq for a in answers.values() if a.record is not None]

    with transaction.atomic():
        locked = case_lock(case)
        now = timezone.now()
        # Only what was asked for: a material that became shareable since is left missing.
        materials = {
            m.requirement_code: m
            for m in _SHAREABLE_LOCKED.all(case=case.pk)
            if shared.get(m.requirement_code) == m.shared_resource
        }
        for material in materials.values():
            answer = answers[material.shared_resource]
            if answer.record is not None:
                material.status = MaterialStatus.PROVIDED
                material.origin = MaterialOrigin.SHARING
                material.shared_at = answer.record.fetched_at
                material.shared_record = dict(answer.record.fields)
                material.review_note = ""
                outcome.shared.append(material.requirement_code)
            else:
                material.review_note = answer.note[:300]
                outcome.missing[material.requirement_code] = answer.note
            MATERIAL_SAVE.save(material)  # read whole under the lock above

        form = dict(locked.form_data or {})
        prefilled = list(locked.prefilled_fields or [])
        for name, (resource_code, field_code) in bindings.items():
            bound = answers.get(resource_code)
            if bound is None or bound.record is None or form.get(name) not in (None, ""):
                continue
            value = bound.record.fields.get(field_code)
            if _prefill_value(properties.get(name), value):
                form[name] = value
                prefilled.append(name)
                outcome.prefilled.append(name)
        if outcome.prefilled:
            locked.form_data = form
            locked.prefilled_fields = list(dict.fromkeys(prefilled))
            locked.save(update_fields=["form_data", "prefilled_fields", "updated_at"])

        _timeline(locked, outcome, answers, materials, now)
    _case_take(case, locked)
    return outcome


def _shareable(*, locked: bool) -> Prepared[CaseMaterial]:
    def build() -> QuerySet[CaseMaterial]:
        rows = CaseMaterial.objects.select_for_update() if locked else CaseMaterial.objects
        return (
            rows.filter(case_id=Param("case", Case._meta.pk), status=MaterialStatus.MISSING)
            .exclude(shared_resource="")
            .order_by("id")
        )

    return Prepared(build)


#: Every application is looked at for sharing: its reads compiled once (core/prepared.py).
_SHAREABLE, _SHAREABLE_LOCKED = _shareable(locked=False), _shareable(locked=True)
_RESOURCE: Prepared[DataResource] = Prepared(
    lambda: DataResource.objects.filter(code=Param("code"), is_active=True).order_by("pk")[:1]
)


def _case_take(case: Case, locked: Case) -> None:
    """Give the caller's object the row as sharing left it, keeping its loaded relations.

    (``refresh_from_db`` would read the row again and drop the matter, version and
    department the caller's answer is built from.)
    """
    for column in Case._meta.concrete_fields:
        setattr(case, column.attname, getattr(locked, column.attname))


def _timeline(
    case: Case,
    outcome: SharingOutcome,
    answers: dict[str, _Answer],
    materials: dict[str, CaseMaterial],
    now: Any,
) -> None:
    parts: list[str] = []
    if outcome.shared:
        parts.append(
            _("已通过数据共享获取 %(n)s 项材料，无需提交：%(names)s")
            % {
                "n": len(outcome.shared),
                "names": "、".join(materials[c].name for c in outcome.shared),
            }
        )
    if outcome.prefilled:
        parts.append(_("已预填 %(n)s 项申请信息") % {"n": len(outcome.prefilled)})
    if outcome.missing:
        parts.append(
            _("%(n)s 项材料暂无法共享，请上传：%(names)s")
            % {
                "n": len(outcome.missing),
                "names": "、".join(materials[c].name for c in outcome.missing),
            }
        )
    if parts:
        timeline_add(
            case,
            at=now,
            action=TimelineAction.SHARED,
            step=_("数据共享"),
            department=case.department,
            comment=PART_SEPARATOR.join(parts),
        )
    problems = [
        f"{code}：{a.detail}" for code, a in answers.items() if a.record is None and a.detail
    ]
    if problems:
        # Why the exchange could not answer is for staff only (it may name other departments).
        timeline_add(
            case,
            at=now,
            action=TimelineAction.SHARING_FAILED,
            step=_("数据共享失败"),
            department=case.department,
            comment="；".join(problems)[:2000],
            public=False,
        )
