"""多方申请 (multi-party applications) and one open application per object.

Where the law has several parties (不动产转移登记: seller and buyer), the matter lists them in
``process_params.parties`` — ``[{"role": "seller", "name_field": "seller_name",
"id_field": "seller_id_number"}, {"role": "buyer", …}]``, the form fields that name each.
At submission every named party other than the applicant becomes a CaseParty; the case waits
(status ``awaiting_parties``, a timeline entry) until each has signed in and confirmed their
part, and only then starts its process — the acceptance clock starts when all have.

``process_params.unique_object`` names the form field that identifies the object of the
application (the property's certificate number, a company name): a second open application
of the same matter for the same object is refused, naming the case already open — a
standalone application and a theme's matter alike. The object is compared normalised
(``core.text.object_key_normalize``: full/half width, spaces, 有限责任公司/有限公司) through
``Case.object_key``, set when the application is submitted; a case that ended (refused,
denied, withdrawn, done) frees its object.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.cases.choices import FINAL_STATUSES, CaseStatus, TimelineAction
from tongban.cases.models import Case, CaseParty
from tongban.cases.rules import case_form_schema, case_guide
from tongban.cases.services.common import timeline_add
from tongban.cases.services.notifications import matter_name, notify_phone
from tongban.catalog.forms import schema_field_title
from tongban.catalog.models import Matter
from tongban.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from tongban.core.text import object_key_normalize
from tongban.identity.masking import mask_name
from tongban.identity.models import Person, User
from tongban.identity.validators import resident_id_problem

#: The parties' names as the applicant and the other party read them.
PARTY_ROLES = {
    "seller": gettext_lazy("出卖人"),
    "buyer": gettext_lazy("买受人"),
    "transferor": gettext_lazy("转让人"),
    "transferee": gettext_lazy("受让人"),
}
#: A form field name in process_params (it becomes a JSON key lookup: nothing else passes).
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_MAX_CASE_ID = 2**63 - 1


def party_role_label(role: str) -> str:
    return str(PARTY_ROLES.get(role, role))


def _params(case: Case) -> dict[str, Any]:
    params = case_guide(case).get("process_params")
    return params if isinstance(params, dict) else {}


def _party_specs(case: Case) -> list[dict[str, str]]:
    specs = _params(case).get("parties")
    if not isinstance(specs, list):
        return []
    return [
        spec
        for spec in specs
        if isinstance(spec, dict)
        and isinstance(spec.get("role"), str)
        and _FIELD.match(str(spec.get("name_field", "")))
        and _FIELD.match(str(spec.get("id_field", "")))
    ]


def _field_title(case: Case, field: str) -> str:
    spec = (case_form_schema(case).get("properties") or {}).get(field) or {}
    return str(schema_field_title(spec, field)) if isinstance(spec, dict) else field


def object_key_of(case: Case) -> str:
    """The normalised object of ``case`` ("" where its matter names none or the form has none)."""
    field = _params(case).get("unique_object")
    if not isinstance(field, str) or not _FIELD.match(field) or case.matter_id is None:
        return ""
    value = (case.form_data or {}).get(field)
    return object_key_normalize(value) if isinstance(value, str) else ""


def object_open_case(case: Case) -> Case | None:
    """The open application of the same matter for the same object as ``case``, if any.

    Keys are set at submission, so a draft never holds an object; a theme's matter waiting
    for its stage holds it from the theme's submission.
    """
    key = object_key_of(case)
    if not key or case.matter_id is None:
        return None
    return (
        Case.objects.filter(matter_id=case.matter_id, object_key=key)
        .exclude(pk=case.pk)
        .exclude(status__in=FINAL_STATUSES)
        .select_related("parent")
        .order_by("id")
        .only("id", "case_no", "parent__case_no")
        .first()
    )


def object_once_check(case: Case) -> None:
    """Refuse a second open application for the same object, naming the open one (409);
    else the case holds its object from now on (``Case.object_key``, saved).

    Two submissions for the same matter queue on its row (PostgreSQL), so that both cannot
    pass the check at once; matters without ``unique_object`` take no lock.
    """
    key = object_key_of(case)
    if not key or case.matter_id is None:
        return
    Matter.objects.select_for_update().filter(pk=case.matter_id).values_list("pk").first()
    existing = object_open_case(case)
    if existing is not None:
        # A theme's matter: the applicant knows the theme's number.
        number = existing.parent.case_no if existing.parent is not None else existing.case_no
        field = str(_params(case).get("unique_object"))
        detail = _("该%(object)s已有办理中的申请（办件编号 %(case_no)s），不能重复申请") % {
            "object": _field_title(case, field),
            "case_no": number,
        }
        # Named on its field too, so that a page can link the applicant to it.
        raise Conflict(detail, errors=[FieldError(field=f"form.{field}", message=detail)])
    case.object_key = key
    Case.objects.filter(pk=case.pk).update(object_key=key)


def parties_name(*, case: Case) -> list[CaseParty]:
    """Check the parties the form names and store those who must confirm (not the applicant).

    Raises ValidationFailed naming the form field of a missing name or a malformed ID number
    (GB 11643), before anything is stored.
    """
    specs = _party_specs(case)
    if not specs:
        return []
    form = case.form_data or {}
    own = case.applicant_person.id_number if case.applicant_person is not None else ""
    errors: list[FieldError] = []
    named: list[tuple[str, str, str]] = []
    for spec in specs:
        role = party_role_label(spec["role"])
        name = str(form.get(spec["name_field"]) or "").strip()
        number = str(form.get(spec["id_field"]) or "").strip().upper()
        if not name:
            errors.append(
                FieldError(
                    field=f"form.{spec['name_field']}",
                    message=_("请填写%(role)s的姓名") % {"role": role},
                )
            )
        problem = (
            resident_id_problem(number)
            if number
            else _("请填写%(role)s的身份证号") % {"role": role}
        )
        if problem:
            errors.append(FieldError(field=f"form.{spec['id_field']}", message=problem))
        named.append((spec["role"], name, number))
    numbers = [number for _role, _name, number in named]
    if not errors and len(set(numbers)) != len(numbers):
        errors.append(
            FieldError(
                field=f"form.{specs[-1]['id_field']}",
                message=_("各方当事人的身份证号不能相同"),
            )
        )
    if errors:
        raise ValidationFailed(_("当事人信息有误，请核对后再提交"), errors=errors)
    return CaseParty.objects.bulk_create(
        [
            CaseParty(case=case, role=role, name=name, id_number=number)
            for role, name, number in named
            if number != own
        ]
    )


def _names(parties: list[CaseParty]) -> str:
    return "、".join(f"{party_role_label(p.role)}{p.name}" for p in parties)


def case_wait_for_parties(
    *, case: Case, actor: User, now: datetime, parties: list[CaseParty]
) -> Case:
    """Submitted by one party: the case waits for the others (no process, no clock yet)."""
    case.submitted_at = now
    case.status = CaseStatus.AWAITING_PARTIES
    case.save()
    timeline_add(case, at=now, action=TimelineAction.SUBMITTED, step=_("提交申请"), actor=actor)
    timeline_add(
        case,
        at=now,
        action=TimelineAction.PARTIES_WAITING,
        step=_("等待其他当事人确认"),
        comment=_("待%(names)s登录确认后，申请转入受理") % {"names": _names(parties)},
    )
    _parties_tell(case, parties)
    return case


def _parties_tell(case: Case, parties: list[CaseParty]) -> None:
    """Each party waited for who has a mobile on record is sent an SMS asking them to confirm:
    the case number and what to do; the applicant's name masked, nothing else of theirs."""
    phones = dict(
        Person.objects.filter(id_number__in=[p.id_number for p in parties])
        .exclude(phone="")
        .values_list("id_number", "phone")
    )
    with translation.override(settings.LANGUAGE_CODE):
        for party in parties:
            notify_phone(
                case=case,
                phone=phones.get(party.id_number, ""),
                subject=_("请确认申请"),
                body=_(
                    "%(applicant)s提交了“%(matter)s”申请（办件编号%(case_no)s），列您为%(role)s。"
                    "请登录通办，在“我的办件”中核对并确认，确认后申请转入受理。"
                )
                % {
                    "applicant": mask_name(case.applicant_name),
                    "matter": matter_name(case),
                    "case_no": case.case_no,
                    "role": party_role_label(party.role),
                },
            )


# --- the other party ---------------------------------------------------------------------------


def _person_of(user: User) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).only("id", "id_number", "name").first()


def party_cases_for_user(*, user: User) -> list[tuple[Case, CaseParty]]:
    """The applications in which the caller is named as another party, newest first."""
    person = _person_of(user)
    if person is None:
        return []
    rows = (
        CaseParty.objects.filter(id_number=person.id_number)
        .exclude(case__status=CaseStatus.DRAFT)
        .select_related("case", "case__matter")
        .order_by("-case__submitted_at", "-id")
    )
    return [(row.case, row) for row in rows]


def party_case_get(*, user: User, case_id: int) -> tuple[Case, CaseParty]:
    """A case the caller is a named party of, with their party row; 404 for anyone else."""
    person = _person_of(user)
    if person is None or isinstance(case_id, bool) or not 1 <= case_id <= _MAX_CASE_ID:
        raise NotFound(_("办件不存在"))
    party = (
        CaseParty.objects.filter(case_id=case_id, id_number=person.id_number)
        .exclude(case__status=CaseStatus.DRAFT)
        .select_related("case", "case__matter")
        .first()
    )
    if party is None:
        raise NotFound(_("办件不存在"))
    return party.case, party
