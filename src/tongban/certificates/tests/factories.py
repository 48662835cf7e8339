"""A licence matter of market with its certificate type, and approved cases that issue it."""

from __future__ import annotations

from typing import Any

from tongban.cases.choices import ApplicantType, CaseStatus
from tongban.cases.models import Case
from tongban.catalog.models import CertificateType, Matter
from tongban.catalog.services import certificate_type_upsert, matter_upsert, section_upsert
from tongban.identity.models import Enterprise, Person, User

FOOD_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "business_address": {"type": "string", "title": "经营场所"},
        "business_scope": {"type": "string", "title": "经营范围"},
        "food_business_items": {"type": "string", "title": "经营项目"},
        "contact_phone": {"type": "string", "title": "联系电话"},
    },
}
FOOD_FORM = {
    "business_address": "上海市嘉定区示范路1号",
    "business_scope": "热食类食品制售",
    "food_business_items": "预包装食品销售（含冷藏冷冻食品）",
    "contact_phone": "13900005678",
}


def food_licence_type() -> CertificateType:
    """食品经营许可证 of market, valid 5 years, with named fields."""
    return certificate_type_upsert(
        code="food-business-licence",
        fields={
            "name": "食品经营许可证",
            "name_en": "Food Business Licence",
            "department": "market",
            "validity_years": 5,
            "fields": ["holder_name", "uscc", "address", "business_scope", "food_business_items"],
        },
    )


def food_matter(*, certificate_type: str | None = "food-business-licence") -> Matter:
    section_upsert(code="commerce", fields={"name": "商事登记"})
    return matter_upsert(
        code="food-business-licence" if certificate_type else "food-consultation",
        fields={
            "name": "食品经营许可" if certificate_type else "食品经营咨询",
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": FOOD_FORM_SCHEMA,
            "certificate_type": certificate_type,
        },
        materials=[],
    )


def approved_case(
    *,
    matter: Matter,
    user: User,
    enterprise: Enterprise | None = None,
    form: dict[str, Any] | None = None,
) -> Case:
    """An approved case straight in the database: issuing is what these tests are about."""
    person = Person.objects.filter(user=user).first()
    case = Case.objects.create(
        matter=matter,
        matter_version=matter.versions.order_by("-version").first(),
        department=matter.department,
        applicant_user=user,
        applicant_type=ApplicantType.ENTERPRISE if enterprise else ApplicantType.PERSON,
        applicant_person=None if enterprise else person,
        applicant_enterprise=enterprise,
        applicant_name=enterprise.name if enterprise else (person.name if person else ""),
        form_data=dict(FOOD_FORM if form is None else form),
        status=CaseStatus.APPROVED,
    )
    case.case_no = f"JDTEST{case.pk:06d}"
    case.save(update_fields=["case_no"])
    return case
