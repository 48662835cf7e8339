"""The exchange's own cast: three resources of police (one per share type), a market case."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.cases.models import Case
from tongban.cases.services import case_create
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.conftest import APPLICANT_ID_NUMBER, CAST_PASSWORD
from tongban.exchange.choices import ShareType
from tongban.exchange.models import DataResource
from tongban.exchange.tests.factories import record_make, resource_make
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole
from tongban.identity.models import User

#: What the population registry holds about the applicant; "religion" is not a declared field.
POPULATION_RECORD = {
    "name": "张三",
    "gender": "男",
    "address": "上海市嘉定区示范路1号",
    "religion": "不应外传",
}


def _matter(code: str, name: str) -> Matter:
    section_upsert(code="commerce", fields={"name": "商事登记"})
    return matter_upsert(
        code=code,
        fields={
            "name": name,
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": {"type": "object", "properties": {}},
            "process": "standard_approval",
        },
        materials=[],
    )


@pytest.fixture
def matters(departments: dict[str, Department]) -> dict[str, Matter]:
    """Two market matters: food-business-licence and drug-retail-licence."""
    return {
        "food": _matter("food-business-licence", "食品经营许可"),
        "drug": _matter("drug-retail-licence", "药品零售经营许可"),
    }


@pytest.fixture
def case(applicant: User, matters: dict[str, Matter]) -> Case:
    """张三's draft case for 食品经营许可 at market."""
    return case_create(actor=applicant, matter_code="food-business-licence", form={})


@pytest.fixture
def drug_case(applicant: User, matters: dict[str, Matter]) -> Case:
    """张三's draft case for 药品零售经营许可 at market."""
    return case_create(actor=applicant, matter_code="drug-retail-licence", form={})


@pytest.fixture
def population(departments: dict[str, Department]) -> DataResource:
    """police.population: unconditional; declares name, gender, address (not religion)."""
    resource = resource_make(
        code="police.population",
        provider="police",
        share_type=ShareType.UNCONDITIONAL,
        fields=["name", "gender", "address"],
        name="人口基本信息",
    )
    record_make(resource=resource, subject=APPLICANT_ID_NUMBER, data=POPULATION_RECORD)
    return resource


@pytest.fixture
def household(departments: dict[str, Department]) -> DataResource:
    """police.household: conditional (granted departments and matters only)."""
    resource = resource_make(
        code="police.household",
        provider="police",
        share_type=ShareType.CONDITIONAL,
        fields=["household_no", "relation"],
        name="户籍信息",
    )
    record_make(
        resource=resource,
        subject=APPLICANT_ID_NUMBER,
        data={"household_no": "H310114001", "relation": "户主"},
    )
    return resource


@pytest.fixture
def criminal(departments: dict[str, Department]) -> DataResource:
    """police.criminal: 不予共享 (never leaves police)."""
    resource = resource_make(
        code="police.criminal",
        provider="police",
        share_type=ShareType.NONE,
        fields=["has_record"],
        name="违法犯罪记录",
    )
    record_make(resource=resource, subject=APPLICANT_ID_NUMBER, data={"has_record": False})
    return resource


@pytest.fixture
def steward(departments: dict[str, Department]) -> User:
    """Data steward (数据管理员) of center."""
    return identity_services.staff_create(
        username="center-steward",
        password=CAST_PASSWORD,
        department_code="center",
        roles=[StaffRole.DATA_STEWARD],
        name="赵数",
    )


@pytest.fixture
def query(case: Case, clerk: User) -> Any:
    """query(resource_code, department=market, **overrides) → exchange_query for ``case``."""
    from tongban.exchange.services import exchange_query

    def run(resource_code: str, department: str = "market", **kwargs: Any) -> Any:
        arguments: dict[str, Any] = {
            "actor": clerk,
            "department_code": department,
            "resource_code": resource_code,
            "subject": APPLICANT_ID_NUMBER,
            "case": case,
            "purpose": "核验申请人身份",
        }
        arguments.update(kwargs)
        return exchange_query(**arguments)

    return run
