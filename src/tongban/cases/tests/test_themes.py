"""Theme applications (一件事) over HTTP with the demo district: one form, children per matter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases.choices import CaseStatus, MaterialStatus, TaskState
from tongban.cases.models import Case, CaseMaterial, Task
from tongban.cases.tests.factories import pdf_file
from tongban.cases.tests.outputs_helpers import ADDRESS
from tongban.certificates.models import Certificate
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]

FORMS: dict[str, dict[str, Any]] = {
    "open-company": {
        "company_name": "上海嘉定示范科技有限公司",
        "company_type": "有限责任公司",
        "legal_representative": "张三",
        "registered_capital": 100,
        "business_address": "上海市嘉定区示范路1号",
        "business_scope": "技术开发、技术服务",
        "shareholders": [{"name": "张三", "subscribed_capital": 100}],
        "contact_phone": "13800138000",
        "seal_types": ["公章", "财务专用章"],
        "seal_maker": "嘉定刻章社",
        "taxpayer_type": "小规模纳税人",
        "invoice_types": ["数电发票（普通发票）"],
        "invoice_monthly_limit": 10,
    },
    "property-transfer": {
        "property_address": "上海市嘉定区示范路1号101室",
        "property_certificate_no": "沪(2020)嘉字不动产权第000001号",
        "property_area": 89.5,
        "property_use": "住宅",
        "seller_name": "李四",
        "seller_id_number": "110101199003074258",
        "buyer_name": "王五",
        "buyer_id_number": "110101199003071233",
        "price": 3000000,
        "contact_phone": "13800138000",
        "is_first_home": True,
    },
    "food-drug-licence": {
        "business_name": "上海嘉通大药房有限公司",
        "uscc": "91310114MA1GT35K6B",
        "legal_representative": "赵六",
        "business_address": "上海市嘉定区示范路2号",
        "main_business_form": "食品销售经营者",
        "food_business_items": ["预包装食品销售"],
        "business_area": 120,
        "food_safety_manager": "钱七",
        "contact_phone": "13800138000",
        "warehouse_address": "上海市嘉定区仓库路3号",
        "drug_business_scope": ["乙类非处方药"],
        "quality_manager": "孙八",
        "pharmacist_name": "周九",
        "pharmacist_registration_no": "ZY2026000001",
        "device_categories": ["06-01"],
        "health_food_categories": ["备案类保健食品"],
    },
}


@pytest.fixture
def demo(db: None) -> None:
    from tongban.demo.loader import demo_load

    demo_load()


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _schema_form(theme_code: str) -> dict[str, Any]:
    return dict(FORMS[theme_code])


def _create(client: Client, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/api/v1/applications", body, content_type="application/json", **headers)


def _submit(client: Client, headers: dict[str, str], case_id: int) -> Any:
    return client.post(
        f"/api/v1/applications/{case_id}/submit", {}, content_type="application/json", **headers
    )


def _upload_missing(client: Client, headers: dict[str, str], case: dict[str, Any]) -> None:
    for material in case["materials"]:
        if material["status"] == MaterialStatus.MISSING and material["required"]:
            response = client.post(
                f"/api/v1/applications/{case['id']}/materials",
                {"requirement": material["requirement"], "file": pdf_file()},
                **headers,
            )
            assert response.status_code == 201, response.json()


def _applied(client: Client, bearer: Headers, theme: str, form: dict[str, Any]) -> dict[str, Any]:
    headers = bearer(_user("citizen"))
    response = _create(client, headers, {"theme": theme, "form": form})
    assert response.status_code == 201, response.json()
    case = response.json()
    _upload_missing(client, headers, case)
    response = _submit(client, headers, case["id"])
    assert response.status_code == 200, response.json()
    return dict(response.json())


def _decide_all(
    client: Client, bearer: Headers, child: Case, *, deny: bool = False, rounds: int = 0
) -> None:
    """Run every open staff task of ``child`` with the demo staff of its department
    (only the next ``rounds`` tasks when given)."""
    for _round in range(rounds or 6):
        # 先证后查: an inspection after issue is not part of deciding the case.
        task = (
            Task.objects.filter(case=child, state=TaskState.OPEN).exclude(kind="inspection").first()
        )
        if task is None:
            return
        user = _user(f"{task.department.code}-{task.role}")
        decision = {
            "accept": "accept",
            "review": "pass",
            "strict_review": "pass",
            "decide": "approve",
        }[task.kind]
        body: dict[str, Any] = {"decision": decision, "comment": "同意"}
        if deny and task.kind == "decide":
            body = {"decision": "deny", "comment": "经营场所不符合要求"}
        response = client.post(
            f"/api/v1/tasks/{task.pk}/complete",
            body,
            content_type="application/json",
            **bearer(user),
        )
        assert response.status_code == 200, response.json()
    if not rounds:
        raise AssertionError("the child's process did not end")


def _fees_paid(child: Case) -> None:
    """Pay the child's open fee orders the way a verified provider callback does."""
    from django.db import transaction
    from django.utils import timezone

    from tongban.payments.choices import PaymentStatus
    from tongban.payments.models import PaymentOrder
    from tongban.payments.services import _order_paid

    for order in PaymentOrder.objects.filter(case=child, status=PaymentStatus.PENDING):
        with transaction.atomic():
            _order_paid(order, trade_no=f"T{order.pk}", now=timezone.now())


def _children(parent_id: int) -> list[Case]:
    return list(Case.objects.filter(parent_id=parent_id).order_by("stage", "id"))


def test_open_company_is_one_form_and_three_parallel_results(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent = _applied(api_client, bearer, "open-company", _schema_form("open-company"))

    assert parent["status"] == CaseStatus.SUBMITTED
    assert parent["theme"]["code"] == "open-company"
    children = parent["children"]
    assert [c["matter"]["code"] for c in children] == [
        "company-registration",
        "seal-engraving",
        "invoice-application",
    ]
    assert [c["department"]["code"] for c in children] == ["market", "police", "tax"]
    assert {c["status"] for c in children} == {CaseStatus.SUBMITTED}
    # Each department sees its own acceptance task at once: the three run in parallel.
    for code in ("market", "police", "tax"):
        tasks = api_client.get("/api/v1/tasks?state=open", **bearer(_user(f"{code}-clerk")))
        assert any(t["case_no"] in {c["case_no"] for c in children} for t in tasks.json())
    # 5 working days from submission.
    submitted = Case.objects.get(pk=parent["id"]).submitted_at
    assert submitted is not None
    expected = WorkCalendar().add_working_days(submitted.date(), 5).due_date
    assert parent["due_date"] == expected.isoformat()

    for child in _children(parent["id"]):
        _decide_all(api_client, bearer, child)

    parent = api_client.get(
        f"/api/v1/applications/{parent['id']}", **bearer(_user("citizen"))
    ).json()
    assert parent["status"] == CaseStatus.COMPLETED
    assert {c["status"] for c in parent["children"]} == {CaseStatus.COMPLETED}
    types = sorted(
        Certificate.objects.filter(case__parent_id=parent["id"]).values_list(
            "certificate_type__code", flat=True
        )
    )
    assert types == ["business-licence", "invoice-approval", "seal-filing-receipt"]
    steps = [entry["step"] for entry in parent["timeline"]]
    assert "企业设立登记：已受理" in steps
    assert "公章刻制备案：已办结" in steps


def test_each_material_is_uploaded_once_and_shared_by_the_children(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    headers = bearer(_user("citizen"))
    case = _create(
        api_client, headers, {"theme": "open-company", "form": _schema_form("open-company")}
    ).json()
    codes = [m["requirement"] for m in case["materials"]]
    assert len(codes) == len(set(codes))
    # The business licence is what company registration produces: never asked for.
    assert "business-licence" not in codes
    _upload_missing(api_client, headers, case)

    parent_form = CaseMaterial.objects.get(case_id=case["id"], requirement_code="application-form")
    copies = CaseMaterial.objects.filter(
        case__parent_id=case["id"], requirement_code="application-form"
    )
    assert copies.count() == 2
    for copy in copies:
        assert copy.file.name == parent_form.file.name
        assert copy.sha256 == parent_form.sha256
        assert copy.status == MaterialStatus.PROVIDED
    licence = CaseMaterial.objects.get(
        case__parent_id=case["id"],
        case__matter__code="seal-engraving",
        requirement_code="business-licence",
    )
    assert licence.status == MaterialStatus.PROVIDED
    assert "企业设立登记" in licence.review_note


def test_a_missing_field_names_the_matters_that_need_it(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    headers = bearer(_user("citizen"))
    form = _schema_form("open-company")
    del form["legal_representative"]
    case = _create(api_client, headers, {"theme": "open-company", "form": form}).json()
    _upload_missing(api_client, headers, case)

    response = _submit(api_client, headers, case["id"])

    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "企业设立登记、公章刻制备案、发票申领 需要此项" in errors["form.legal_representative"]
    assert Case.objects.get(pk=case["id"]).status == CaseStatus.DRAFT
    assert {c.status for c in _children(case["id"])} == {CaseStatus.DRAFT}


def test_it_refuses_an_unknown_theme(demo: None, api_client: Client, bearer: Headers) -> None:
    response = _create(api_client, bearer(_user("citizen")), {"theme": "no-such-theme"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "theme"
    assert not Case.objects.exists()


def test_it_refuses_to_submit_a_child_on_its_own(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    headers = bearer(_user("citizen"))
    case = _create(
        api_client, headers, {"theme": "open-company", "form": _schema_form("open-company")}
    ).json()
    child = _children(case["id"])[0]

    response = _submit(api_client, headers, child.pk)

    assert response.status_code == 409
    assert Case.objects.get(pk=child.pk).status == CaseStatus.DRAFT


def test_property_transfer_runs_its_stages_in_order(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent = _applied(api_client, bearer, "property-transfer", _schema_form("property-transfer"))
    first, second, third = _children(parent["id"])
    assert (first.matter.code, first.status) == ("housing-transaction", CaseStatus.SUBMITTED)
    assert second.status == third.status == CaseStatus.DRAFT

    _decide_all(api_client, bearer, first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.matter is not None and second.matter.code == "property-tax"
    assert second.status == CaseStatus.SUBMITTED
    assert third.status == CaseStatus.DRAFT

    _decide_all(api_client, bearer, second)
    third.refresh_from_db()
    assert third.status == CaseStatus.SUBMITTED
    _decide_all(api_client, bearer, third)
    third.refresh_from_db()
    assert third.status == CaseStatus.APPROVED  # 登记费 first, certificate after
    _fees_paid(third)

    parent = api_client.get(
        f"/api/v1/applications/{parent['id']}", **bearer(_user("citizen"))
    ).json()
    assert parent["status"] == CaseStatus.COMPLETED
    assert [c["status"] for c in parent["children"]] == [CaseStatus.COMPLETED] * 3


def test_a_denial_stops_the_others_when_the_theme_says_stop(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent = _applied(api_client, bearer, "property-transfer", _schema_form("property-transfer"))
    first = _children(parent["id"])[0]

    _decide_all(api_client, bearer, first, deny=True)

    case = api_client.get(f"/api/v1/applications/{parent['id']}", **bearer(_user("citizen"))).json()
    assert case["status"] == CaseStatus.DENIED
    statuses = [c["status"] for c in case["children"]]
    assert statuses == [CaseStatus.DENIED, CaseStatus.WITHDRAWN, CaseStatus.WITHDRAWN]
    assert "经营场所不符合要求" in case["children"][1]["outcome_reason"]
    assert "经营场所不符合要求" in case["outcome_reason"]


def test_a_denial_lets_the_others_go_on_when_the_theme_says_continue(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent = _applied(api_client, bearer, "open-company", _schema_form("open-company"))
    registration, seal, invoice = _children(parent["id"])

    # The seal filing is recorded by one clerk (process "filing"): the invoice is the one
    # that can be denied by an approver.
    _decide_all(api_client, bearer, invoice, deny=True)
    registration.refresh_from_db()
    assert registration.status == CaseStatus.SUBMITTED
    _decide_all(api_client, bearer, registration)
    _decide_all(api_client, bearer, seal)

    case = api_client.get(f"/api/v1/applications/{parent['id']}", **bearer(_user("citizen"))).json()
    assert case["status"] == CaseStatus.COMPLETED
    assert [c["status"] for c in case["children"]] == [
        CaseStatus.COMPLETED,
        CaseStatus.COMPLETED,
        CaseStatus.DENIED,
    ]
    assert seal.tasks.count() == 1  # 备案登记 by one clerk
    assert any(
        e["step"] == "发票申领：不予许可" and "经营场所不符合要求" in e["comment"]
        for e in case["timeline"]
    )


def test_withdrawing_the_theme_withdraws_its_children(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent = _applied(api_client, bearer, "open-company", _schema_form("open-company"))

    response = api_client.post(
        f"/api/v1/applications/{parent['id']}/withdraw",
        {"reason": "暂不开办"},
        content_type="application/json",
        **bearer(_user("citizen")),
    )

    assert response.status_code == 200, response.json()
    assert {c.status for c in _children(parent["id"])} == {CaseStatus.WITHDRAWN}
    assert not Task.objects.filter(case__parent_id=parent["id"], state=TaskState.OPEN).exists()


def test_a_themes_delivery_is_chosen_once_and_every_child_shows_it(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    """The applicant chooses post once, on the theme; each matter's result goes the same way,
    and after the results are handed over the choice can no longer change."""
    headers = bearer(_user("citizen"))
    created = _create(
        api_client, headers, {"theme": "open-company", "form": _schema_form("open-company")}
    ).json()
    chosen = api_client.post(
        f"/api/v1/applications/{created['id']}/delivery",
        {"method": "post", "address": ADDRESS},
        content_type="application/json",
        **headers,
    )
    assert chosen.status_code == 200, chosen.json()
    _upload_missing(api_client, headers, created)
    parent = _submit(api_client, headers, created["id"]).json()
    assert parent["delivery"]["method"] == "post"
    for child in _children(parent["id"]):
        shown = api_client.get(f"/api/v1/applications/{child.pk}/delivery", **headers).json()
        assert shown["method"] == "post", child.matter_id
        assert child.delivery_address["district"] == "嘉定区"
    for child in _children(parent["id"]):
        _decide_all(api_client, bearer, child)
    # Every result issued and posted: choosing again is refused, nothing changes.
    late = api_client.post(
        f"/api/v1/applications/{parent['id']}/delivery",
        {"method": "pickup"},
        content_type="application/json",
        **headers,
    )
    assert late.status_code in (409, 422), late.json()
    assert {c.delivery_method for c in _children(parent["id"])} == {"post"}
