"""申请回执: what the applicant submitted, as a PDF they keep (in the reader's language)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tongban.cases.choices import CaseStatus, MaterialOrigin, MaterialStatus
from tongban.cases.models import Case
from tongban.cases.rules import case_guide
from tongban.catalog.models import localized
from tongban.certificates.pdf import form_document_pdf
from tongban.core.errors import NotFound
from tongban.workflow.calendar import SHANGHAI

#: Materials the applicant did not hand in themselves say where they came from.
_NOT_HANDED_IN = {MaterialOrigin.SHARING, MaterialOrigin.GENERATED, MaterialOrigin.SIGNED}


def _material_state(origin: str, status: str) -> str:
    if origin in _NOT_HANDED_IN:
        return str(MaterialOrigin(origin).label)
    return str(MaterialStatus(status).label) if status in MaterialStatus.values else status


def case_receipt_pdf(*, case: Case) -> bytes:
    """The receipt of a submitted case; a draft has none (NotFound)."""
    if case.submitted_at is None or case.status == CaseStatus.DRAFT:
        raise NotFound(_("办件尚未提交，没有申请回执"))
    guide = case_guide(case)
    subject = case.matter if case.matter is not None else case.theme
    rows = [
        (_("办件编号"), case.case_no or ""),
        (_("办理事项"), localized(subject, "name") if subject is not None else ""),
        (_("申请人"), case.applicant_name),
        (_("提交时间"), case.submitted_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")),
        (_("受理部门"), localized(case.department, "name") if case.department else ""),
    ]
    promised = guide.get("promised_limit_days")
    if promised:
        days = ngettext("%(n)s 个工作日", "%(n)s 个工作日", int(promised)) % {"n": promised}
        rows.append((_("承诺办结时限"), days))
    for material in case.materials.all():
        state = _material_state(material.origin, material.status)
        rows.append((localized(material, "name"), state))
    footer = [
        _("部门将在受理期限内审查，结果通过短信告知；进度可在“我的办件”中随时查询。"),
        _("本回执由系统根据您提交的申请自动生成。"),
    ]
    return form_document_pdf(
        title=_("申请回执"), number=case.case_no or "", rows=rows, footer=footer, author=_("通办")
    )
