"""Materials the applicant never uploads: the application form the platform generates from
the form data (申请书, a PDF) and the commitment signed in the application (告知承诺书).

Both are made at submission, from what was submitted: the generated form is the form as
filed, the signature is the tick on the submit step with its text, time and signer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from tongban.cases.choices import MaterialOrigin, MaterialStatus, TimelineAction
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.rules import case_form_schema
from tongban.cases.selectors import case_hand_to_answer
from tongban.cases.selectors_promise import GENERATED, SIGNED, case_material_sources
from tongban.cases.services import routes
from tongban.cases.services.common import timeline_add
from tongban.cases.services.materials import CheckedFile, material_store
from tongban.catalog.models import localized
from tongban.certificates.pdf import form_document_pdf
from tongban.core.errors import FieldError
from tongban.core.prepared import Param, Prepared
from tongban.identity import selectors as identity_selectors
from tongban.identity.masking import mask_id_number
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI


def documents_missing(case: Case, commitment: Mapping[str, Any] | None) -> list[FieldError]:
    """The signature a signed-online material needs, when the submission does not carry it."""
    sources = case_material_sources(case)
    if SIGNED not in sources.values() or routes.commitment_signed(commitment):
        return []
    return [
        FieldError(
            field="commitment",
            message=_("请阅读并勾选签署“%(matters)s”的告知承诺书（在线签署，无需上传）")
            % {"matters": _("、").join(_signing_matters(case))},
        )
    ]


def _signing_matters(case: Case) -> list[str]:
    """The matters whose commitment the submission must sign (a theme's: its children's)."""
    if case.matter is not None:
        return [localized(case.matter, "name")]
    return [
        localized(child.matter, "name")
        for child in case.children.select_related("matter").order_by("id")
        if child.matter is not None and SIGNED in case_material_sources(child).values()
    ]


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_display(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_display(v)}" for k, v in value.items())
    return str(value)


def _form_rows(case: Case) -> list[tuple[str, str]]:
    schema = case_form_schema(case)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    form = case.form_data or {}
    rows: list[tuple[str, str]] = []
    for name, spec in (properties or {}).items():
        if name not in form or form[name] in (None, ""):
            continue
        # The document is filed in Chinese, the language of the record.
        title = spec.get("title") if isinstance(spec, dict) else None
        rows.append((str(title or name), _display(form[name])))
    return rows


def _signer(case: Case, actor: User) -> tuple[str, str]:
    person = identity_selectors.user_person(user_id=actor.pk)
    name = person.name if person is not None else (actor.get_full_name() or actor.get_username())
    return name, mask_id_number(person.id_number) if person is not None else ""


def _store(material: CaseMaterial, pdf: bytes, filename: str, now: datetime, origin: str) -> None:
    checked = CheckedFile(
        content_type="application/pdf",
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        original_name=filename,
    )
    material_store(material, ContentFile(pdf, name=filename), checked, now, origin=origin)  # type: ignore[arg-type]


#: A case's material rows under their locks (every submission with made documents reads them).
_MATERIALS_LOCKED: Prepared[CaseMaterial] = Prepared(
    lambda: CaseMaterial.objects.select_for_update().filter(case_id=Param("case", Case._meta.pk))
)


def case_documents_make(
    *, case: Case, actor: User, now: datetime, commitment: Mapping[str, Any] | None
) -> list[str]:
    """Generate the case's application form and record its signed commitment (at submission).

    Returns the requirement codes made.  The caller has checked ``documents_missing``.
    """
    sources = case_material_sources(case)
    if not sources:
        return []
    rows = _MATERIALS_LOCKED.all(case=case.pk)
    materials = {m.requirement_code: m for m in rows if m.requirement_code in sources}
    matter_name = case.matter.name if case.matter is not None else ""
    local = now.astimezone(SHANGHAI)
    made: list[str] = []
    for code, kind in sources.items():
        material = materials.get(code)
        if material is None or material.status != MaterialStatus.MISSING:
            continue
        if kind == GENERATED:
            footer = [
                f"申请人：{case.applicant_name}",
                f"提交时间：{local:%Y-%m-%d %H:%M}",
                "本申请书由通办平台根据申请人在线填报的内容自动生成，无需另行提交。",
            ]
            pdf = form_document_pdf(
                title=material.name,
                number=f"{matter_name} · {case.case_no}",
                rows=_form_rows(case),
                footer=footer,
                author=case.department.name if case.department is not None else "",
            )
            _store(material, pdf, f"{code}.pdf", now, MaterialOrigin.GENERATED)
        elif kind == SIGNED and routes.commitment_signed(commitment):
            text = case.commitment_text or routes.commitment_text(case=case)
            signer, signer_id = _signer(case, actor)
            signed = [
                ("承诺内容", text),
                ("签署人", f"{signer}（{signer_id}）" if signer_id else signer),
                ("签署时间", f"{local:%Y-%m-%d %H:%M:%S}"),
                ("签署方式", "在线勾选签署"),
            ]
            pdf = form_document_pdf(
                title=material.name,
                number=f"{matter_name} · {case.case_no}",
                rows=signed,
                footer=["本承诺书由申请人在通办平台在线签署，签署记录已存入办件。"],
                author=signer,
            )
            _store(material, pdf, f"{code}.pdf", now, MaterialOrigin.SIGNED)
            material.shared_record = {
                "text": text,
                "signed_by": signer,
                "signed_by_id": signer_id,
                "signed_at": now.isoformat(),
            }
            material.save(update_fields=["shared_record", "updated_at"])
            if case.commitment_signed_at is None:
                case.commitment_signed_at = now
                case.commitment_text = text
                case.save(update_fields=["commitment_signed_at", "commitment_text", "updated_at"])
                timeline_add(
                    case,
                    at=now,
                    action=TimelineAction.COMMITMENT_SIGNED,
                    step=_("签署告知承诺书"),
                    comment=text,
                    actor=actor,
                    public=True,
                )
        else:
            continue
        made.append(code)
    # Every material row of the case, read under its lock and left as submitted: the answer
    # lists them (the last change to a case's materials at submission is made here).
    case_hand_to_answer(case, materials=rows)
    return made


def theme_documents_mark(*, parent: Case, now: datetime) -> None:
    """A theme parent's generated or signed rows: made by each child at its own submission."""
    sources = case_material_sources(parent)
    for material in CaseMaterial.objects.select_for_update().filter(
        case=parent, requirement_code__in=list(sources), status=MaterialStatus.MISSING
    ):
        kind = sources[material.requirement_code]
        material.status = MaterialStatus.PROVIDED
        material.origin = MaterialOrigin.GENERATED if kind == GENERATED else MaterialOrigin.SIGNED
        material.uploaded_at = now
        material.review_note = (
            _("各事项的申请书已由系统根据申请表生成") if kind == GENERATED else _("已在线签署")
        )
        material.save()
