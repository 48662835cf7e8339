"""Matters and credit records for the credit-route and inspection tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tongban.cases import services
from tongban.cases.models import Case
from tongban.cases.tests.conftest import DRAINAGE_FORM, DRAINAGE_MATERIALS, VALID_FORM
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Matter
from tongban.catalog.services import certificate_type_upsert, matter_upsert, section_upsert
from tongban.conftest import APPLICANT_ID_NUMBER
from tongban.credit.models import CreditRecord
from tongban.credit.services import credit_record_create
from tongban.identity.models import User

JOINT_PUNISHMENT_BASIS = "《关于对失信被执行人实施联合惩戒的合作备忘录》（发改财金〔2016〕141号）"


def licence_matter(
    code: str,
    *,
    process: str = "standard_approval",
    commitment_eligible: bool = True,
    process_params: dict[str, Any] | None = None,
) -> Matter:
    """A free market matter that issues a licence; commitment-eligible unless told otherwise."""
    section_upsert(code="commerce", fields={"name": "商事登记"})
    certificate_type_upsert(code="test-licence", name="测试许可证", department="market")
    return matter_upsert(
        code=code,
        fields={
            "name": "食品经营许可" if process == "standard_approval" else "公共场所卫生许可",
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": DRAINAGE_FORM,
            "process": process,
            "process_params": process_params or {},
            "certificate_type": "test-licence",
            "commitment_eligible": commitment_eligible,
        },
        materials=DRAINAGE_MATERIALS,
    )


def credit_record(
    *,
    list_kind: str = "none",
    level: str = "",
    subject: str = APPLICANT_ID_NUMBER,
    subject_type: str = "person",
) -> CreditRecord:
    """A valid credit record, by default about the test cast's applicant 张三."""
    return credit_record_create(
        actor=None,
        subject_type=subject_type,
        subject=subject,
        subject_name="张三",
        list_kind=list_kind,
        level=level,
        source_code="market",
        reason="测试记录",
        legal_basis=JOINT_PUNISHMENT_BASIS if list_kind == "black" else "",
        valid_from=dt.date(2020, 1, 1),
    )


def case_ready(*, applicant: User, matter: Matter) -> Case:
    """A complete draft of ``matter`` by ``applicant``."""
    case = services.case_create(actor=applicant, matter_code=matter.code, form=dict(VALID_FORM))
    for code in ("application-form", "pipe-network-map"):
        services.material_upload(actor=applicant, case=case, requirement_code=code, file=pdf_file())
    return case


def case_submitted_signed(*, applicant: User, matter: Matter) -> Case:
    """A case of ``matter`` submitted with the commitment signed."""
    case = case_ready(applicant=applicant, matter=matter)
    return services.case_submit(actor=applicant, case=case, commitment={"signed": True})
