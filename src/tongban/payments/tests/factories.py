"""Fee matters and cases for the payments tests, built through the services (never by hand)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.cases import services as case_services
from tongban.cases.choices import TaskState
from tongban.cases.models import Case, Task
from tongban.catalog.models import Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.identity.models import User

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"project_name": {"type": "string", "title": "项目名称", "maxLength": 100}},
    "required": ["project_name"],
}
MATERIALS = [{"code": "application-form", "name": "申请表", "required": True}]


def fee_matter(
    *, code: str = "sign-permit", fee: str = "80.00", payment_at: str | None = None
) -> Matter:
    """A market matter (户外招牌设置许可) with a fee; payment_at goes into process_params."""
    section_upsert(code="general", fields={"name": "综合办事"})
    params = {"payment_at": payment_at} if payment_at else {}
    return matter_upsert(
        code=code,
        fields={
            "name": "户外招牌设置许可",
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "general",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": FORM_SCHEMA,
            "process": "standard_approval",
            "process_params": params,
            "fee": Decimal(fee),
        },
        materials=MATERIALS,
    )


def case_submitted(*, applicant: User, matter_code: str = "sign-permit") -> Case:
    case = case_services.case_create(
        actor=applicant, matter_code=matter_code, form={"project_name": "示范门店招牌"}
    )
    case_services.material_upload(
        actor=applicant,
        case=case,
        requirement_code="application-form",
        file=SimpleUploadedFile("申请表.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    return case_services.case_submit(actor=applicant, case=case)


def open_task(case: Case, kind: str) -> Task:
    return Task.objects.get(case=case, kind=kind, state=TaskState.OPEN)


def case_accepted(*, applicant: User, clerk: User, matter_code: str = "sign-permit") -> Case:
    case = case_submitted(applicant=applicant, matter_code=matter_code)
    case_services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    case.refresh_from_db()
    return case
