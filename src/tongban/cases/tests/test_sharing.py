"""Once-only: materials and form fields filled from the exchange when a case is created."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongban.cases import services
from tongban.cases.api import case_out
from tongban.cases.choices import CaseStatus, MaterialOrigin, MaterialStatus
from tongban.cases.models import Case, CaseMaterial, TimelineEntry
from tongban.cases.services.sharing import case_materials_share, form_bindings
from tongban.cases.tests.factories import pdf_file
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.conftest import ENTERPRISE_USCC
from tongban.demo.district import district_read
from tongban.demo.loader import demo_load
from tongban.exchange.choices import AccessResult, ShareType, SubjectKind
from tongban.exchange.models import AccessLog, DataField, DataResource, RegistryRecord
from tongban.identity.models import Enterprise, Person, User

pytestmark = pytest.mark.django_db

LICENCE = "market.business_licence"
RESIDENT = "police.resident_id"

FOOD_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "business_name": {
            "type": "string",
            "title": "经营者名称",
            "minLength": 2,
            "maxLength": 100,
            "x-shared": f"{LICENCE}#company_name",
        },
        "legal_representative": {
            "type": "string",
            "title": "法定代表人",
            "maxLength": 50,
            "x-shared": f"{LICENCE}#legal_representative",
        },
        "business_address": {
            "type": "string",
            "title": "经营场所",
            "maxLength": 200,
            "x-shared": f"{LICENCE}#business_address",
        },
        "business_area": {"type": "number", "title": "经营场所面积（平方米）"},
    },
    "required": ["business_name", "legal_representative", "business_address", "business_area"],
}
FOOD_MATERIALS = [
    {"code": "application-form", "name": "食品经营许可申请书"},
    {"code": "business-licence", "name": "营业执照", "shared_resource": LICENCE},
    {
        "code": "resident-id",
        "name": "经办人身份证件",
        "shared_resource": RESIDENT,
        "required": False,
        "key": False,
    },
]
LICENCE_RECORD = {
    "uscc": ENTERPRISE_USCC,
    "company_name": "上海通办示范科技有限公司",
    "legal_representative": "李四",
    "business_address": "上海市嘉定区示范路1号",
}


def _resource(
    code: str,
    department: Department,
    *,
    share: str,
    subject: str,
    adapter: str = "local",
    config: dict[str, Any] | None = None,
    field_codes: tuple[str, ...] = (),
) -> DataResource:
    resource = DataResource.objects.create(
        code=code,
        name=code,
        provider=department,
        share_type=share,
        subject_kind=subject,
        adapter=adapter,
        adapter_config=config or {},
    )
    for order, field_code in enumerate(field_codes):
        DataField.objects.create(resource=resource, code=field_code, name=field_code, order=order)
    return resource


@pytest.fixture
def food(departments: dict[str, Department]) -> Matter:
    """食品经营许可 of market: the business licence is shared, the agent's ID is conditional."""
    section_upsert(code="commerce", fields={"name": "商事登记"})
    return matter_upsert(
        code="food-business-licence",
        fields={
            "name": "食品经营许可",
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 10,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": FOOD_FORM,
            "process": "standard_approval",
        },
        materials=FOOD_MATERIALS,
    )


@pytest.fixture
def licence_registry(departments: dict[str, Department], enterprise: Enterprise) -> DataResource:
    """营业执照信息: unconditional, by USCC, with the cast enterprise's record."""
    resource = _resource(
        LICENCE,
        departments["market"],
        share=ShareType.UNCONDITIONAL,
        subject=SubjectKind.ENTERPRISE,
        field_codes=tuple(LICENCE_RECORD),
    )
    RegistryRecord.objects.create(resource=resource, subject=ENTERPRISE_USCC, data=LICENCE_RECORD)
    return resource


@pytest.fixture
def resident_registry(departments: dict[str, Department], agent_user: User) -> DataResource:
    """居民身份证信息: conditional, by resident ID, granted to nobody."""
    resource = _resource(
        RESIDENT,
        departments["police"],
        share=ShareType.CONDITIONAL,
        subject=SubjectKind.PERSON,
        field_codes=("name", "id_number"),
    )
    person = Person.objects.get(user=agent_user)
    RegistryRecord.objects.create(
        resource=resource,
        subject=person.id_number,
        data={"name": person.name, "id_number": person.id_number},
    )
    return resource


def _apply_as_enterprise(agent: User, form: dict[str, Any] | None = None) -> Case:
    return services.case_create(
        actor=agent,
        matter_code="food-business-licence",
        applicant={"type": "enterprise", "uscc": ENTERPRISE_USCC},
        form=form if form is not None else {"business_area": 80},
    )


def _material(case: Case, code: str) -> CaseMaterial:
    return CaseMaterial.objects.get(case=case, requirement_code=code)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_agents_business_licence_comes_from_sharing_and_the_log_names_the_case(
    food: Matter, licence_registry: DataResource, resident_registry: DataResource, agent_user: User
) -> None:
    with CaptureQueriesContext(connection) as queries:
        case = _apply_as_enterprise(agent_user)
    # A new case's materials are its guide's: read once, under the lock that fills them.
    material_reads = [
        q["sql"] for q in queries if q["sql"].startswith('SELECT "cases_casematerial"')
    ]
    assert len(material_reads) == 1
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in material_reads[0]

    material = _material(case, "business-licence")
    assert material.status == MaterialStatus.PROVIDED
    assert material.origin == MaterialOrigin.SHARING
    assert material.shared_resource == LICENCE
    assert material.shared_at is not None
    assert material.shared_record["company_name"] == "上海通办示范科技有限公司"
    assert material.review_note == ""
    log = AccessLog.objects.get(resource_code=LICENCE)
    assert log.case_id == case.pk
    assert log.case_no == case.case_no
    assert case.case_no in log.purpose and "食品经营许可" in log.purpose
    assert log.result == AccessResult.OK
    assert log.department.code == "market"
    assert log.actor_id == agent_user.pk
    assert TimelineEntry.objects.filter(case=case, action="shared", public=True).exists()


def test_a_department_without_a_grant_leaves_the_material_missing_and_the_denial_is_logged(
    food: Matter, licence_registry: DataResource, resident_registry: DataResource, agent_user: User
) -> None:
    case = _apply_as_enterprise(agent_user)

    material = _material(case, "resident-id")
    assert material.status == MaterialStatus.MISSING
    assert material.origin == ""
    assert material.shared_record == {}
    assert "请上传" in material.review_note
    log = AccessLog.objects.get(resource_code=RESIDENT)
    assert log.result == AccessResult.DENIED
    assert log.case_id == case.pk
    assert log.fields_returned == []


def test_a_provider_that_is_down_asks_for_an_upload_and_the_case_is_still_created(
    food: Matter, departments: dict[str, Department], enterprise: Enterprise, agent_user: User
) -> None:
    _resource(
        LICENCE,
        departments["market"],
        share=ShareType.UNCONDITIONAL,
        subject=SubjectKind.ENTERPRISE,
        adapter="http",
        config={"url": f"http://127.0.0.1:{_closed_port()}/records", "timeout": 0.5, "retries": 0},
        field_codes=tuple(LICENCE_RECORD),
    )

    case = _apply_as_enterprise(agent_user)

    assert Case.objects.filter(pk=case.pk, status=CaseStatus.DRAFT).exists()
    material = _material(case, "business-licence")
    assert material.status == MaterialStatus.MISSING
    assert material.review_note == "提供该数据的部门系统暂时无法访问，请上传"
    assert AccessLog.objects.get(resource_code=LICENCE).result == AccessResult.UNAVAILABLE
    # Staff see why (the exchange's message); the applicant only the note on the material.
    staff_note = TimelineEntry.objects.get(case=case, action="sharing_failed")
    assert staff_note.public is False
    assert "business-licence" in staff_note.comment or LICENCE in staff_note.comment
    # Nothing was prefilled from a record that never came.
    assert case.prefilled_fields == []
    # The applicant uploads it instead, as for any material.
    services.material_upload(
        actor=agent_user, case=case, requirement_code="business-licence", file=pdf_file()
    )
    assert _material(case, "business-licence").origin == MaterialOrigin.UPLOAD


def test_bound_form_fields_are_prefilled_but_never_overwrite_the_applicants_answer(
    food: Matter, licence_registry: DataResource, agent_user: User
) -> None:
    case = _apply_as_enterprise(
        agent_user, form={"business_area": 80, "legal_representative": "王五"}
    )

    assert case.form_data["business_name"] == "上海通办示范科技有限公司"
    assert case.form_data["business_address"] == "上海市嘉定区示范路1号"
    assert case.form_data["legal_representative"] == "王五"
    assert sorted(case.prefilled_fields) == ["business_address", "business_name"]


def test_a_shared_material_needs_no_upload_to_submit(
    food: Matter, licence_registry: DataResource, resident_registry: DataResource, agent_user: User
) -> None:
    case = _apply_as_enterprise(agent_user)
    services.material_upload(
        actor=agent_user, case=case, requirement_code="application-form", file=pdf_file()
    )

    submitted = services.case_submit(actor=agent_user, case=case)

    assert submitted.status != CaseStatus.DRAFT


def test_a_person_applicant_is_not_looked_up_in_an_enterprise_registry(
    food: Matter, licence_registry: DataResource, applicant: User
) -> None:
    case = services.case_create(
        actor=applicant, matter_code="food-business-licence", form={"business_area": 20}
    )

    material = _material(case, "business-licence")
    assert material.status == MaterialStatus.MISSING
    assert "请上传" in material.review_note
    assert not AccessLog.objects.filter(resource_code=LICENCE).exists()


def test_an_enterprise_without_a_registry_record_is_asked_to_upload(
    food: Matter, licence_registry: DataResource, agent_user: User
) -> None:
    RegistryRecord.objects.all().delete()

    case = _apply_as_enterprise(agent_user)

    material = _material(case, "business-licence")
    assert material.status == MaterialStatus.MISSING
    assert material.review_note == "共享数据中没有您的这项记录，请上传"
    assert AccessLog.objects.get(resource_code=LICENCE).result == AccessResult.NOT_FOUND


def test_a_resource_missing_from_the_catalogue_is_asked_for_as_an_upload(
    food: Matter, enterprise: Enterprise, agent_user: User
) -> None:
    case = _apply_as_enterprise(agent_user)

    assert _material(case, "business-licence").status == MaterialStatus.MISSING
    assert _material(case, "business-licence").review_note
    assert AccessLog.objects.count() == 0


def test_a_crash_in_sharing_never_loses_the_case(
    food: Matter, licence_registry: DataResource, agent_user: User, monkeypatch: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("exchange bug")

    monkeypatch.setattr("tongban.cases.services.sharing.exchange_query", broken)

    case = _apply_as_enterprise(agent_user)

    assert Case.objects.filter(pk=case.pk, case_no=case.case_no).exists()
    assert _material(case, "business-licence").status == MaterialStatus.MISSING


def test_the_same_idempotency_key_queries_the_exchange_once(
    food: Matter, licence_registry: DataResource, agent_user: User
) -> None:
    kwargs: dict[str, Any] = {
        "actor": agent_user,
        "matter_code": "food-business-licence",
        "applicant": {"type": "enterprise", "uscc": ENTERPRISE_USCC},
        "form": {"business_area": 80},
        "idempotency_key": "k-1",
    }
    first = services.case_create(**kwargs)
    again = services.case_create(**kwargs)

    assert again.pk == first.pk
    assert AccessLog.objects.filter(resource_code=LICENCE).count() == 1


def test_sharing_again_leaves_provided_materials_alone(
    food: Matter, licence_registry: DataResource, agent_user: User
) -> None:
    case = _apply_as_enterprise(agent_user)

    outcome = case_materials_share(case=case, actor=agent_user)

    assert outcome.shared == [] and outcome.prefilled == []
    assert AccessLog.objects.filter(resource_code=LICENCE).count() == 1


def test_the_case_shows_the_applicant_what_was_shared_and_staff_the_record(
    food: Matter, licence_registry: DataResource, agent_user: User, clerk: User
) -> None:
    case = _apply_as_enterprise(agent_user)

    mine = case_out(user=agent_user, case=case)
    theirs = case_out(user=clerk, case=case)

    assert sorted(mine["prefilled_fields"]) == [
        "business_address",
        "business_name",
        "legal_representative",
    ]
    shared = next(m for m in mine["materials"] if m["requirement"] == "business-licence")
    assert shared["origin"] == "sharing" and shared["shared_at"] is not None
    assert shared["shared_record"] is None
    staff_view = next(m for m in theirs["materials"] if m["requirement"] == "business-licence")
    assert staff_view["shared_record"]["uscc"] == ENTERPRISE_USCC


def test_the_api_returns_shared_materials_already_provided(
    food: Matter,
    licence_registry: DataResource,
    agent_user: User,
    api_client: Any,
    bearer: Any,
) -> None:
    response = api_client.post(
        "/api/v1/applications",
        {
            "matter": "food-business-licence",
            "applicant": {"type": "enterprise", "uscc": ENTERPRISE_USCC},
            "form": {"business_area": 80},
        },
        content_type="application/json",
        **bearer(agent_user),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    licence = next(m for m in body["materials"] if m["requirement"] == "business-licence")
    assert licence["status"] == "provided" and licence["origin"] == "sharing"
    assert "business_name" in body["prefilled_fields"]


def test_form_bindings_ignore_malformed_x_shared_values() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "x-shared": "market.business_licence#company_name"},
            "b": {"type": "string", "x-shared": "no-hash"},
            "c": {"type": "string", "x-shared": 7},
            "d": {"type": "string", "x-shared": "#field"},
        },
    }

    assert form_bindings(schema) == {"a": ("market.business_licence", "company_name")}


# --- the demo district ---------------------------------------------------------------------


def _demo_licence_registry(uscc: str) -> None:
    """The business-licence resource and the demo enterprise's record, if the loader lacks them."""
    district = district_read()
    spec = next(r for r in district.resources if r["code"] == LICENCE)
    resource = _resource(
        LICENCE,
        Department.objects.get(code=spec["provider"]),
        share=spec["share_type"],
        subject=spec["subject_kind"],
        field_codes=tuple(f["code"] for f in spec["fields"]),
    )
    enterprise = next(e for e in district.enterprises if e["uscc"] == uscc)
    RegistryRecord.objects.create(
        resource=resource,
        subject=uscc,
        data={
            "uscc": uscc,
            "company_name": enterprise["name"],
            "legal_representative": enterprise["legal_representative"],
            "business_address": enterprise["address"],
        },
    )


def test_the_demo_enterprise_applies_for_a_food_licence_without_its_business_licence(
    settings: Any,
) -> None:
    demo_uscc = district_read().demo_enterprise["uscc"]
    demo_load()
    if not RegistryRecord.objects.filter(resource__code=LICENCE, subject=demo_uscc).exists():
        _demo_licence_registry(demo_uscc)
    agent = User.objects.get(username="agent")

    case = services.case_create(
        actor=agent,
        matter_code="food-business-licence",
        applicant={"type": "enterprise", "uscc": demo_uscc},
        form={"business_area": 120},
    )

    licence = _material(case, "business-licence")
    assert licence.status == MaterialStatus.PROVIDED
    assert licence.origin == MaterialOrigin.SHARING
    assert licence.shared_record["uscc"] == demo_uscc
    log = AccessLog.objects.get(resource_code=LICENCE, case=case)
    assert log.result == AccessResult.OK
    assert log.case_no == case.case_no and case.case_no in log.purpose
    assert log.department.code == "market"
    assert case.form_data["business_name"] == "上海嘉通餐饮管理有限公司"
    assert case.form_data["uscc"] == demo_uscc
    assert {"business_name", "legal_representative", "business_address"} <= set(
        case.prefilled_fields
    )
