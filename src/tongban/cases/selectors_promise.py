"""What an application asks the applicant to upload, and what it promises instead.

One rule for the guide, both steps of an application and the submit check, so that
none of them promises what another takes back: a material is

* 免提交 (``shared``) when the exchange will supply it (``exchange.selectors.share_promises``:
  the department may use the resource, and for a known applicant the record is there);
* 系统生成 (``generated``) when the platform makes it from the form (申请书, as a PDF);
* 在线签署 (``signed``) when the applicant signs it in the application (告知承诺书);
* an upload otherwise — with the reason, when sharing was meant but cannot happen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from tongban.cases.choices import ApplicantType
from tongban.cases.models import Case
from tongban.cases.rules import case_guide, is_theme_parent
from tongban.catalog.choices import MaterialSource
from tongban.catalog.models import Matter, MatterVersion, Theme, localized
from tongban.exchange.selectors import SharePromise, share_promises
from tongban.identity import selectors as identity_selectors
from tongban.identity.masking import mask_id_number
from tongban.identity.models import Enterprise, Person, User

if TYPE_CHECKING:
    from tongban.catalog.jsonschema_form.schema import FormField

#: How a material reaches the case.
SHARED = "shared"
GENERATED = "generated"
SIGNED = "signed"
UPLOAD = "upload"

PROVISION_LABELS = {
    SHARED: _("免提交（数据共享）"),
    GENERATED: _("系统生成，无需上传"),
    SIGNED: _("在线签署，无需上传"),
    UPLOAD: _("需上传"),
}

#: Material sources the applicant never uploads.
NOT_UPLOADED_SOURCES = {
    MaterialSource.GENERATED.value: GENERATED,
    MaterialSource.SIGNED_ONLINE.value: SIGNED,
}


@dataclass(frozen=True)
class Who:
    """The applicant a promise is made to; ``known=False`` is "anyone" (the guide)."""

    known: bool
    person_id_number: str | None = None
    enterprise_uscc: str | None = None


ANYONE = Who(known=False)


@dataclass(frozen=True)
class MaterialPromise:
    code: str
    name: str
    required: bool
    provision: str
    #: The data resource meant to supply it ("" when none).
    resource: str = ""
    #: Why it is an upload although a resource was meant to supply it (plain words).
    reason: str = ""
    #: The same, for staff.
    detail: str = ""

    @property
    def label(self) -> str:
        return str(PROVISION_LABELS[self.provision])

    @property
    def asked(self) -> bool:
        """Whether the applicant is asked to upload it (a required or optional upload)."""
        return self.provision == UPLOAD


def who_applies(*, user: User | None, enterprise: Enterprise | None = None) -> Who:
    """The signed-in person (or their enterprise, as its agent) before a case exists."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANYONE
    person = Person.objects.filter(user=user).values_list("id_number", flat=True).first()
    return Who(
        known=True,
        person_id_number=person,
        enterprise_uscc=enterprise.uscc if enterprise is not None else None,
    )


def case_who(case: Case) -> Who:
    """The applicant of ``case``: an enterprise's person data is its agent's own."""
    person = case.applicant_person
    if person is None:
        person = identity_selectors.user_person(user_id=case.applicant_user_id)
    enterprise = (
        case.applicant_enterprise if case.applicant_type == ApplicantType.ENTERPRISE else None
    )
    return Who(
        known=True,
        person_id_number=person.id_number if person is not None else None,
        enterprise_uscc=enterprise.uscc if enterprise is not None else None,
    )


def _item(item: Any) -> Mapping[str, Any]:
    return item if isinstance(item, Mapping) else {}


def materials_promised(
    *,
    items: Iterable[Mapping[str, Any]],
    department_id: int,
    matter_id: int | None,
    who: Who,
) -> list[MaterialPromise]:
    """The promise for each material of a guide (``items`` as the guide's ``materials``)."""
    rows = [_item(i) for i in items]
    shares: dict[str, SharePromise] = share_promises(
        department_id=department_id,
        matter_id=matter_id,
        resource_codes=[str(r.get("shared_resource") or "") for r in rows],
        applicant_known=who.known,
        person=who.person_id_number,
        enterprise=who.enterprise_uscc,
    )
    out: list[MaterialPromise] = []
    for row in rows:
        code = str(row.get("code") or "")
        name = str(row.get("display_name") or row.get("name") or code)
        required = bool(row.get("required", True))
        fixed = NOT_UPLOADED_SOURCES.get(str(row.get("source") or ""))
        resource = str(row.get("shared_resource") or "")
        if fixed is not None:
            out.append(MaterialPromise(code, name, required, fixed))
            continue
        share = shares.get(resource) if resource else None
        if share is not None and share.shared:
            out.append(MaterialPromise(code, name, required, SHARED, resource))
        elif share is not None:
            out.append(
                MaterialPromise(code, name, required, UPLOAD, resource, share.reason, share.detail)
            )
        else:
            out.append(MaterialPromise(code, name, required, UPLOAD))
    return out


def _matter_items(matter: Matter) -> list[dict[str, Any]]:
    return [
        {
            "code": m.code,
            "name": m.name,
            "display_name": localized(m, "name"),
            "required": m.required,
            "source": m.source,
            "shared_resource": m.shared_resource,
        }
        for m in matter.materials.all()
    ]


def matter_promises(*, matter: Matter, who: Who = ANYONE) -> list[MaterialPromise]:
    """The promise of a matter's current guide (the guide page and step 1 of applying)."""
    return materials_promised(
        items=_matter_items(matter),
        department_id=matter.department_id,
        matter_id=matter.pk,
        who=who,
    )


def version_promises(*, version: MatterVersion, who: Who = ANYONE) -> list[MaterialPromise]:
    """The promise of a published version of a matter's guide."""
    guide = version.guide if isinstance(version.guide, dict) else {}
    matter = version.matter
    return materials_promised(
        items=guide.get("materials") or [],
        department_id=matter.department_id,
        matter_id=matter.pk,
        who=who,
    )


def case_promises(case: Case) -> list[MaterialPromise]:
    """The promise for a matter case's applicant (a theme parent has none of its own)."""
    if is_theme_parent(case) or case.matter is None or case.department_id is None:
        return []
    return materials_promised(
        items=case_guide(case).get("materials") or [],
        department_id=case.department_id,
        matter_id=case.matter_id,
        who=case_who(case),
    )


def theme_promises(*, theme: Theme, who: Who = ANYONE) -> list[MaterialPromise]:
    """The promise of a theme (一件事): each material once, as its parent case will ask it.

    A material one matter of the theme produces (the business licence of company
    registration) is not asked at all; another is shared, generated or signed only when
    it is so for every matter asking it, as ``theme_materials_share`` fills the parent.
    """
    links = list(
        theme.theme_matters.select_related("matter__certificate_type").order_by("stage", "order")
    )
    produced = {
        link.matter.certificate_type.code
        for link in links
        if link.matter.certificate_type is not None
    }
    union: dict[str, list[MaterialPromise]] = {}
    for link in links:
        certificate = link.matter.certificate_type
        own = certificate.code if certificate is not None else ""
        for promise in matter_promises(matter=link.matter, who=who):
            if promise.code in produced and promise.code != own:
                continue
            union.setdefault(promise.code, []).append(promise)
    out: list[MaterialPromise] = []
    for code, promises in union.items():
        kinds = {p.provision for p in promises}
        first = promises[0]
        provision = kinds.pop() if len(kinds) == 1 else UPLOAD
        reason = next((p.reason for p in promises if p.reason), "")
        out.append(
            MaterialPromise(
                code,
                first.name,
                any(p.required for p in promises),
                provision,
                first.resource,
                reason if provision == UPLOAD else "",
            )
        )
    return out


def case_material_sources(case: Case) -> dict[str, str]:
    """Requirement code → how it is provided when not by upload or sharing (generated, signed).

    A theme parent's material is generated (or signed) when every child asking for it makes
    it so: the parent holds one row for the same code of several matters.
    """
    if not is_theme_parent(case):
        out: dict[str, str] = {}
        for item in case_guide(case).get("materials") or []:
            fixed = NOT_UPLOADED_SOURCES.get(str(_item(item).get("source") or ""))
            if fixed is not None:
                out[str(item.get("code"))] = fixed
        return out
    seen: dict[str, set[str]] = {}
    for child in Case.objects.filter(parent=case).select_related("matter_version"):
        for item in case_guide(child).get("materials") or []:
            row = _item(item)
            seen.setdefault(str(row.get("code")), set()).add(
                NOT_UPLOADED_SOURCES.get(str(row.get("source") or ""), UPLOAD)
            )
    return {
        code: kinds.pop() for code, kinds in seen.items() if len(kinds) == 1 and UPLOAD not in kinds
    }


# --- prefill: what the signed-in person and their enterprise already told us -----------------

#: Schema keyword naming what fills a field: "person.name", "person.id_number",
#: "person.phone", "enterprise.name", "enterprise.uscc", "enterprise.address",
#: "enterprise.legal_representative".
PREFILL_KEYWORD = "x-prefill"
PREFILL_SOURCES = {"person": _("实名认证"), "enterprise": _("企业登记信息")}
#: Values the applicant may not change: their own identity (the ID the account was verified
#: with, the code of the enterprise they act for).
LOCKED_PREFILLS = frozenset({"person.id_number", "enterprise.uscc"})
_PERSON_ATTRS = {"name", "id_number", "phone", "address"}
_ENTERPRISE_ATTRS = {"name", "uscc", "address", "legal_representative"}


@dataclass(frozen=True)
class Prefill:
    name: str
    value: str
    source: str
    locked: bool
    #: What fills it ("person.id_number").
    binding: str


def form_prefill(
    *, schema: Any, person: Person | None, enterprise: Enterprise | None
) -> dict[str, Prefill]:
    """Form field → the value identity knows for it (``x-prefill``), with its source.

    ``person`` is the signed-in person (an enterprise's agent for an enterprise's case);
    their ID number is locked only when they apply as themselves.
    """
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    out: dict[str, Prefill] = {}
    for name, spec in (properties or {}).items():
        binding = spec.get(PREFILL_KEYWORD) if isinstance(spec, Mapping) else None
        if not isinstance(binding, str) or "." not in binding:
            continue
        kind, attr = binding.split(".", 1)
        if kind == "person" and person is not None and attr in _PERSON_ATTRS:
            value = getattr(person, attr)
            locked = binding in LOCKED_PREFILLS and enterprise is None
        elif kind == "enterprise" and enterprise is not None and attr in _ENTERPRISE_ATTRS:
            value = getattr(enterprise, attr)
            locked = binding in LOCKED_PREFILLS
        else:
            continue
        if value:
            out[str(name)] = Prefill(
                str(name), str(value), str(PREFILL_SOURCES[kind]), locked, binding
            )
    return out


def case_prefill(case: Case, schema: Any) -> dict[str, Prefill]:
    """``form_prefill`` for the applicant of ``case`` (none for a theme: 开办企业 founds a new
    enterprise, whose name and code are not the agent's enterprise's)."""
    if case.theme_id is not None or case.parent_id is not None:
        return {}
    person = case.applicant_person or identity_selectors.user_person(user_id=case.applicant_user_id)
    enterprise = (
        case.applicant_enterprise if case.applicant_type == ApplicantType.ENTERPRISE else None
    )
    return form_prefill(schema=schema, person=person, enterprise=enterprise)


def fields_mark(fields: list[FormField], prefill: Mapping[str, Prefill], form: Any) -> None:
    """Mark the rendered inputs filled from identity with their source; lock the locked ones."""
    data = form if isinstance(form, Mapping) else {}
    for item in fields:
        known = prefill.get(item.name)
        if known is None:
            continue
        if str(data.get(item.name, "")) == known.value:
            item.source = known.source
        if known.locked:
            item.locked = True
            item.value = known.value
            item.attrs = {**item.attrs, "readonly": "readonly"}


@dataclass(frozen=True)
class IdentityMismatch:
    field: str
    title: str
    #: Masked: the form's value and the applicant's own.
    form_value: str
    own_value: str


def identity_mismatches(case: Case, schema: Any) -> list[IdentityMismatch]:
    """Fields that should hold the applicant's own identity but hold another valid one.

    Shown to the clerk as a warning (the workbench case page): a walk-in's form, an agent's
    or an older draft may carry somebody else's number.
    """
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    form = case.form_data if isinstance(case.form_data, Mapping) else {}
    prefill = case_prefill(case, schema)
    out: list[IdentityMismatch] = []
    for name, known in prefill.items():
        if known.binding not in LOCKED_PREFILLS or not known.locked:
            continue
        value = form.get(name)
        if isinstance(value, str) and value.strip() and value.strip().upper() != known.value:
            spec = (properties or {}).get(name)
            title = str(spec.get("title") or name) if isinstance(spec, Mapping) else name
            out.append(
                IdentityMismatch(name, title, mask_id_number(value), mask_id_number(known.value))
            )
    return out
