"""Addresses and delivery orders for the delivery tests."""

from __future__ import annotations

from typing import Any

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case
from tongban.cases.tests.factories import case_submitted
from tongban.delivery import services
from tongban.delivery.choices import DeliveryMethod
from tongban.delivery.models import DeliveryOrder
from tongban.identity.models import User


def address(**overrides: Any) -> dict[str, Any]:
    """A valid Shanghai address; override any field."""
    return {
        "recipient": "张三",
        "phone": "13800001234",
        "province": "上海市",
        "city": "上海市",
        "district": "嘉定区",
        "address": "嘉定镇街道博乐路70号",
        **overrides,
    }


def case_issued(*, applicant: User, method: str = DeliveryMethod.POST, **fields: Any) -> Case:
    """A submitted case moved straight to ``issued`` (the outputs chain is tested in cases)."""
    case = case_submitted(applicant=applicant)
    values = {"status": CaseStatus.ISSUED, "delivery_method": method, **fields}
    Case.objects.filter(pk=case.pk).update(**values)
    case.refresh_from_db()
    return case


def delivery_order(*, applicant: User, **address_overrides: Any) -> DeliveryOrder:
    case = case_issued(applicant=applicant)
    return services.delivery_order_create(case=case, address=address(**address_overrides))
