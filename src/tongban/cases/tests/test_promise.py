"""Once-only that tells the truth: one rule says what the guide promises and the case keeps."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases import services
from tongban.cases.choices import CaseStatus, MaterialOrigin, MaterialStatus, TimelineAction
from tongban.cases.models import Case, CaseMaterial, TimelineEntry
from tongban.cases.rules import case_form_schema
from tongban.cases.selectors_promise import (
    ANYONE,
    GENERATED,
    SHARED,
    SIGNED,
    UPLOAD,
    case_promises,
    identity_mismatches,
    matter_promises,
    who_applies,
)
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import matter_upsert, section_upsert
from tongban.core.errors import ValidationFailed
from tongban.demo.district import district_read
from tongban.demo.loader import demo_load
from tongban.exchange.choices import GrantStatus, ShareType, SubjectKind
from tongban.exchange.models import (
    DataResource,
    ProviderCircuit,
    RegistryRecord,
    ShareGrant,
)
from tongban.exchange.selectors import share_promises
from tongban.identity.masking import mask_id_number
from tongban.identity.models import Person, User
from tongban.identity.selectors import user_enterprises

pytestmark = pytest.mark.django_db

LEASE = "housing.lease_filing"
OWN = "market.own_register"
OPEN = "market.open_register"


@pytest.fixture
def resources(departments: dict[str, Department]) -> dict[str, DataResource]:
    housing = Department.objects.create(code="housing", name="房管局")
    return {
        LEASE: DataResource.objects.create(
            code=LEASE,
            name="租赁备案",
            provider=housing,
            share_type=ShareType.CONDITIONAL,
            subject_kind=SubjectKind.PERSON,
        ),
        OWN: DataResource.objects.create(
            code=OWN,
            name="本部门登记",
            provider=departments["market"],
            share_type=ShareType.CONDITIONAL,
            subject_kind=SubjectKind.PERSON,
        ),
        OPEN: DataResource.objects.create(
            code=OPEN,
            name="无条件登记",
            provider=housing,
            share_type=ShareType.UNCONDITIONAL,
            subject_kind=SubjectKind.PERSON,
        ),
    }


@pytest.fixture
def permit(departments: dict[str, Department], resources: Any) -> Matter:
    section_upsert(code="social", fields={"name": "社会事务"})
    return matter_upsert(
        code="permit",
        fields={
            "name": "示范许可",
            "kind": "licence",
            "audience": "person",
            "department": "market",
            "section": "social",
            "legal_limit_days": 10,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online"],
            "form_schema": {
                "type": "object",
                "properties": {
                    "applicant_name": {
                        "type": "string",
                        "title": "申请人姓名",
                        "x-prefill": "person.name",
                    },
                    "id_number": {
                        "type": "string",
                        "title": "身份证号",
                        "format": "resident-id",
                        "x-prefill": "person.id_number",
                    },
                    "contact_phone": {
                        "type": "string",
                        "title": "联系电话",
                        "pattern": "^1[3-9]\\d{9}$",
                        "x-prefill": "person.phone",
                    },
                },
            },
            "process": "standard_approval",
        },
        materials=[
            {"code": "form", "name": "申请书", "source": "generated"},
            {"code": "commitment", "name": "告知承诺书", "source": "signed_online"},
            {"code": "lease", "name": "租赁合同", "shared_resource": LEASE},
            {"code": "own", "name": "本部门登记", "shared_resource": OWN},
            {"code": "open", "name": "无条件登记", "shared_resource": OPEN},
            {"code": "photo", "name": "照片"},
        ],
    )


def _grant(resource: DataResource, department: Department, matter: Matter | None) -> None:
    ShareGrant.objects.create(
        resource=resource,
        department=department,
        matter=matter,
        reason="办件核验",
        status=GrantStatus.APPROVED,
        requested_by=User.objects.create(username=f"steward-{ShareGrant.objects.count()}"),
    )


def _provisions(promises: list[Any]) -> dict[str, str]:
    return {p.code: p.provision for p in promises}


def test_the_guide_promises_only_what_the_department_may_use(permit: Matter) -> None:
    promises = _provisions(matter_promises(matter=permit, who=ANYONE))

    assert promises == {
        "form": GENERATED,
        "commitment": SIGNED,
        "lease": UPLOAD,  # conditional, no grant: not promised
        "own": SHARED,  # the department's own resource
        "open": SHARED,  # unconditional
        "photo": UPLOAD,
    }


def test_a_grant_for_the_matter_makes_the_promise(
    permit: Matter, resources: dict[str, DataResource], departments: dict[str, Department]
) -> None:
    _grant(resources[LEASE], departments["market"], permit)

    assert _provisions(matter_promises(matter=permit))["lease"] == SHARED


def test_a_grant_for_another_matter_or_a_refused_one_makes_no_promise(
    permit: Matter, resources: dict[str, DataResource], departments: dict[str, Department]
) -> None:
    other = matter_upsert(
        code="other",
        fields={
            **{k: getattr(permit, k) for k in ("name", "kind", "audience")},
            "department": "market",
            "section": "social",
            "legal_limit_days": 1,
            "promised_limit_days": 1,
            "online_depth": "full_online",
            "channels": ["online"],
            "process": "standard_approval",
        },
        materials=[],
    )
    _grant(resources[LEASE], departments["market"], other)
    ShareGrant.objects.create(
        resource=resources[LEASE],
        department=departments["market"],
        reason="x",
        status=GrantStatus.REFUSED,
        requested_by=User.objects.create(username="steward-x"),
    )
    expired = ShareGrant.objects.create(
        resource=resources[LEASE],
        department=departments["market"],
        reason="x",
        status=GrantStatus.APPROVED,
        requested_by=User.objects.create(username="steward-y"),
    )
    ShareGrant.objects.filter(pk=expired.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )

    lease = next(p for p in matter_promises(matter=permit) if p.code == "lease")
    assert lease.provision == UPLOAD
    assert lease.reason == "该材料暂不能通过数据共享获取，请上传"


def test_for_a_known_applicant_the_record_must_be_there(
    permit: Matter,
    resources: dict[str, DataResource],
    departments: dict[str, Department],
    applicant: User,
) -> None:
    _grant(resources[LEASE], departments["market"], None)
    person = Person.objects.get(user=applicant)
    RegistryRecord.objects.create(resource=resources[LEASE], subject=person.id_number, data={})

    promises = {p.code: p for p in matter_promises(matter=permit, who=who_applies(user=applicant))}

    assert promises["lease"].provision == SHARED
    assert promises["own"].provision == UPLOAD
    assert promises["own"].reason == "共享数据中没有您的这项记录，请上传"
    # The guide (anyone) still promises it: whoever has the record is not asked for it.
    assert _provisions(matter_promises(matter=permit))["own"] == SHARED


def test_a_provider_whose_circuit_is_open_is_not_promised_to_the_applicant(
    permit: Matter, resources: dict[str, DataResource], applicant: User
) -> None:
    person = Person.objects.get(user=applicant)
    RegistryRecord.objects.create(resource=resources[OPEN], subject=person.id_number, data={})
    ProviderCircuit.objects.create(
        resource_code=OPEN, failures=3, open_until=timezone.now() + dt.timedelta(minutes=1)
    )

    open_ = next(
        p
        for p in matter_promises(matter=permit, who=who_applies(user=applicant))
        if p.code == "open"
    )

    assert open_.provision == UPLOAD
    assert open_.reason == "提供该数据的部门系统暂时无法访问，请上传"


def test_an_enterprise_resource_is_not_promised_to_a_person(
    departments: dict[str, Department], applicant: User
) -> None:
    DataResource.objects.create(
        code="market.licence",
        name="执照",
        provider=departments["market"],
        share_type=ShareType.UNCONDITIONAL,
        subject_kind=SubjectKind.ENTERPRISE,
    )
    person = Person.objects.get(user=applicant)

    promise = share_promises(
        department_id=departments["market"].pk,
        matter_id=None,
        resource_codes=["market.licence"],
        applicant_known=True,
        person=person.id_number,
    )["market.licence"]

    assert not promise.shared
    assert promise.reason == "以本次申请人的身份无法共享该材料，请上传"


def test_what_the_case_shares_is_what_step_one_promised(
    permit: Matter,
    resources: dict[str, DataResource],
    departments: dict[str, Department],
    applicant: User,
) -> None:
    _grant(resources[LEASE], departments["market"], permit)
    person = Person.objects.get(user=applicant)
    RegistryRecord.objects.create(resource=resources[LEASE], subject=person.id_number, data={})
    RegistryRecord.objects.create(resource=resources[OPEN], subject=person.id_number, data={})
    promised = {
        p.code
        for p in matter_promises(matter=permit, who=who_applies(user=applicant))
        if p.provision == SHARED
    }

    case = services.case_create(actor=applicant, matter_code="permit", form={})

    shared = set(
        case.materials.filter(origin=MaterialOrigin.SHARING).values_list(
            "requirement_code", flat=True
        )
    )
    assert shared == promised == {"lease", "open"}
    assert {p.code for p in case_promises(case) if p.provision == SHARED} == shared


def test_generated_and_signed_materials_are_never_asked_and_are_made_at_submission(
    permit: Matter, applicant: User
) -> None:
    case = _draft_with_uploads(applicant)

    with pytest.raises(ValidationFailed) as refused:
        services.case_submit(actor=applicant, case=case, commitment={"signed": False})
    assert [e.field for e in refused.value.errors] == ["commitment"]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT

    services.case_submit(actor=applicant, case=case, commitment={"signed": True})

    form = CaseMaterial.objects.get(case=case, requirement_code="form")
    assert form.status == MaterialStatus.PROVIDED and form.origin == MaterialOrigin.GENERATED
    assert form.file.open("rb").read(5) == b"%PDF-"
    signed = CaseMaterial.objects.get(case=case, requirement_code="commitment")
    assert signed.origin == MaterialOrigin.SIGNED
    assert signed.shared_record["signed_by"] == "张三"
    assert "真实、准确、完整" in signed.shared_record["text"]
    assert signed.shared_record["signed_at"]
    case.refresh_from_db()
    assert case.commitment_signed_at is not None
    assert (
        TimelineEntry.objects.filter(case=case, action=TimelineAction.COMMITMENT_SIGNED).count()
        == 1
    )


def _draft_with_uploads(applicant: User) -> Case:
    """A draft of ``permit`` with every material uploaded that is not made at submission."""
    case = services.case_create(actor=applicant, matter_code="permit", form={})
    for code in ("lease", "own", "open", "photo"):
        material = CaseMaterial.objects.get(case=case, requirement_code=code)
        if material.status == MaterialStatus.MISSING:
            services.material_upload(actor=applicant, case=case, requirement_code=code, file=_pdf())
    return case


def _pdf() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("m.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


# --- identity numbers in any form field --------------------------------------------------


def test_a_mistyped_id_number_is_refused_naming_the_field_and_nothing_is_saved(
    permit: Matter, applicant: User, bearer: Any
) -> None:
    before = Case.objects.count()
    response = Client().post(
        "/api/v1/applications",
        data=json.dumps({"matter": "permit", "form": {"id_number": "310114198803120318"}}),
        content_type="application/json",
        **bearer(applicant),
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == [{"field": "form.id_number", "message": "身份证号：身份证号校验码错误"}]
    assert Case.objects.count() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("310114198802300317", "身份证号中的出生日期无效"),
        ("31011419880312031", "身份证号应为18位"),
        ("910114198803120317", "身份证号的地区码无效"),
    ],
)
def test_a_forged_id_number_in_a_draft_is_refused_and_the_draft_unchanged(
    permit: Matter, applicant: User, bearer: Any, value: str, message: str
) -> None:
    case = services.case_create(actor=applicant, matter_code="permit", form={})

    response = Client().patch(
        f"/api/v1/applications/{case.pk}",
        data=json.dumps({"form": {"id_number": value}}),
        content_type="application/json",
        **bearer(applicant),
    )

    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "form.id_number",
        "message": f"身份证号：{message}",
    }
    assert Case.objects.get(pk=case.pk).form_data["id_number"] == case.form_data["id_number"]


def test_a_credit_code_with_a_wrong_check_character_is_refused_in_the_demo_food_form(
    bearer: Any,
) -> None:
    demo_load()
    agent = User.objects.get(username="agent")
    uscc = district_read().demo_enterprise["uscc"]
    before = Case.objects.count()

    response = Client().post(
        "/api/v1/applications",
        data=json.dumps(
            {
                "matter": "food-business-licence",
                "applicant": {"type": "enterprise", "uscc": uscc},
                "form": {"uscc": uscc[:-1] + ("A" if uscc[-1] != "A" else "B")},
            }
        ),
        content_type="application/json",
        **bearer(agent),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "form.uscc", "message": "统一社会信用代码：统一社会信用代码校验码错误"}
    ]
    assert Case.objects.count() == before


# --- the demo district keeps every promise of its guides ---------------------------------


def test_every_demo_guide_keeps_its_promise_for_the_demo_applicants() -> None:
    """For citizen and the agent's enterprise: what the guide promises is what the case shares.

    Where the demo applicant has no record (a material of a trade they do not practise), the
    applicant is told so before applying, and the case agrees.
    """
    demo_load()
    citizen = User.objects.get(username="citizen")
    agent = User.objects.get(username="agent")
    enterprise = user_enterprises(user=agent)[0]
    checked = 0
    for matter in Matter.objects.filter(is_active=True).order_by("code"):
        if matter.audience == "enterprise":
            who, actor = who_applies(user=agent, enterprise=enterprise), agent
            applicant: dict[str, Any] | None = {"type": "enterprise", "uscc": enterprise.uscc}
        else:
            who, actor, applicant = who_applies(user=citizen), citizen, None
        promised = {
            p.code for p in matter_promises(matter=matter, who=who) if p.provision == SHARED
        }
        try:
            case = services.case_create(
                actor=actor, matter_code=matter.code, applicant=applicant, form={}
            )
        except ValidationFailed:
            continue  # not applicable online (negative list, window only …)
        shared = set(
            case.materials.filter(origin=MaterialOrigin.SHARING).values_list(
                "requirement_code", flat=True
            )
        )
        assert shared == promised, matter.code
        checked += 1
    assert checked > 40


@pytest.mark.parametrize(
    ("matter", "username", "shared"),
    [
        ("residence-permit", "citizen", 3),
        ("property-registration", "citizen", 5),
        ("construction-permit", "agent", 3),
        ("food-business-licence", "agent", 2),
    ],
)
def test_the_guides_named_in_the_issue_promise_and_deliver_the_same(
    matter: str, username: str, shared: int
) -> None:
    demo_load()
    user = User.objects.get(username=username)
    enterprise = user_enterprises(user=user)[0] if username == "agent" else None
    guide = [
        p for p in matter_promises(matter=Matter.objects.get(code=matter)) if p.provision == SHARED
    ]

    case = services.case_create(
        actor=user,
        matter_code=matter,
        applicant={"type": "enterprise", "uscc": enterprise.uscc} if enterprise else None,
        form={},
    )

    assert len(guide) == shared
    assert case.materials.filter(origin=MaterialOrigin.SHARING).count() == shared


# --- prefill from identity, the applicant's own ID locked, a different one flagged ---------


def test_the_form_is_prefilled_from_the_signed_in_person_and_marked(
    permit: Matter, applicant: User
) -> None:
    person = Person.objects.get(user=applicant)
    person.phone = "13800000001"
    person.save()

    case = services.case_create(actor=applicant, matter_code="permit", form={})

    assert case.form_data["applicant_name"] == person.name
    assert case.form_data["id_number"] == person.id_number
    assert case.form_data["contact_phone"] == "13800000001"
    assert {"applicant_name", "id_number", "contact_phone"} <= set(case.prefilled_fields)


def test_what_the_applicant_typed_wins_where_the_law_lets_them_change_it(
    permit: Matter, applicant: User
) -> None:
    case = services.case_create(
        actor=applicant, matter_code="permit", form={"contact_phone": "13900000002"}
    )
    services.case_update_form(actor=applicant, case=case, form={"applicant_name": "张三丰"})

    case.refresh_from_db()
    assert case.form_data["contact_phone"] == "13900000002"
    assert case.form_data["applicant_name"] == "张三丰"


OTHER_VALID_ID = "11010519491231002X"


def test_the_applicants_own_id_number_cannot_be_changed_online(
    permit: Matter, applicant: User, bearer: Any
) -> None:
    case = services.case_create(actor=applicant, matter_code="permit", form={})
    own = case.form_data["id_number"]

    response = Client().patch(
        f"/api/v1/applications/{case.pk}",
        data=json.dumps({"form": {"id_number": OTHER_VALID_ID}}),
        content_type="application/json",
        **bearer(applicant),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "form.id_number", "message": "身份证号：须与申请人的实名认证信息一致，不能修改"}
    ]
    assert Case.objects.get(pk=case.pk).form_data["id_number"] == own


def test_an_outsider_cannot_change_somebody_elses_draft(
    permit: Matter, applicant: User, outsider: User, bearer: Any
) -> None:
    case = services.case_create(actor=applicant, matter_code="permit", form={})

    response = Client().patch(
        f"/api/v1/applications/{case.pk}",
        data=json.dumps({"form": {"applicant_name": "王五"}}),
        content_type="application/json",
        **bearer(outsider),
    )

    assert response.status_code in (403, 404)
    assert Case.objects.get(pk=case.pk).form_data["applicant_name"] == "张三"


def test_a_different_valid_id_on_a_case_is_flagged_to_the_clerk(
    permit: Matter, applicant: User, clerk: User
) -> None:
    case = services.case_create(actor=applicant, matter_code="permit", form={})
    for code in ("lease", "own", "open", "photo"):
        services.material_upload(actor=applicant, case=case, requirement_code=code, file=_pdf())
    services.case_submit(actor=applicant, case=case, commitment={"signed": True})
    # A draft written before the lock, or typed at the counter: somebody else's number.
    Case.objects.filter(pk=case.pk).update(
        form_data={**case.form_data, "id_number": OTHER_VALID_ID}
    )
    case.refresh_from_db()
    own = Person.objects.get(user=applicant).id_number

    mismatches = identity_mismatches(case, case_form_schema(case))

    assert [(m.field, m.form_value, m.own_value) for m in mismatches] == [
        ("id_number", mask_id_number(OTHER_VALID_ID), mask_id_number(own))
    ]
    client = Client()
    client.force_login(clerk)
    response = client.get(f"/workbench/cases/{case.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-identity-mismatch="id_number"' in page
    assert mask_id_number(OTHER_VALID_ID) in page


def test_the_same_id_raises_no_warning(permit: Matter, applicant: User) -> None:
    case = services.case_create(actor=applicant, matter_code="permit", form={})

    assert identity_mismatches(case, case_form_schema(case)) == []


def test_the_submit_answer_shows_the_materials_made_at_submission_as_a_fresh_read_does(
    permit: Matter, applicant: User, bearer: Any
) -> None:
    case = _draft_with_uploads(applicant)
    client = Client()
    answer = client.post(
        f"/api/v1/applications/{case.pk}/submit",
        data=json.dumps({"commitment": {"signed": True}}),
        content_type="application/json",
        **bearer(applicant),
    )
    assert answer.status_code == 200, answer.json()
    made = {m["requirement"]: m for m in answer.json()["materials"]}
    assert made["form"]["status"] == made["commitment"]["status"] == MaterialStatus.PROVIDED
    fresh = client.get(f"/api/v1/applications/{case.pk}", **bearer(applicant)).json()
    assert answer.json()["materials"] == fresh["materials"]
