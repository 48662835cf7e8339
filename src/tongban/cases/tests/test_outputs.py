"""Results of an approved case: certificate, payment, delivery, pick-up, visits (只跑一次)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases import services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Notification, Visit
from tongban.cases.services import outputs
from tongban.cases.tests.factories import case_submitted, pdf_file
from tongban.cases.tests.outputs_helpers import (
    ADDRESS,
    decide,
    step_texts,
)
from tongban.catalog.models import Matter
from tongban.certificates.models import Certificate
from tongban.core.errors import InvalidStateChange, NotFound, PermissionDenied, ValidationFailed
from tongban.delivery.choices import DeliveryMethod, DeliveryStatus
from tongban.delivery.models import DeliveryOrder
from tongban.identity.models import User

# --- free matter, e-certificate only ---------------------------------------------------------


def test_a_free_electronic_case_is_completed_at_approval_with_a_certificate(
    free_permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    case = decide(case, clerk, reviewer, approver)
    assert case.status == CaseStatus.COMPLETED
    assert case.completed_at is not None
    certificate = Certificate.objects.get(case=case)
    assert certificate.holder_name == "张三"
    steps = step_texts(case)
    assert steps.index("已出证") < steps.index("办结")
    assert "待缴费" not in steps
    # Online and electronic: the applicant never came (最多跑一次 → zero).
    assert case.visit_count == 0
    assert not Visit.objects.filter(case=case).exists()
    subjects = list(Notification.objects.filter(case=case).values_list("subject", flat=True))
    assert any("已出证" in s for s in subjects)
    assert any("已办结" in s for s in subjects)


def test_the_api_shows_the_certificate_with_its_links_and_zero_visits(
    free_permit: Matter,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = decide(
        case_submitted(applicant=applicant, matter_code=free_permit.code), clerk, reviewer, approver
    )
    response = api_client.get(f"/api/v1/applications/{case.pk}", **bearer(applicant))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed"
    assert body["visit_count"] == 0
    assert body["payment"] is None
    assert body["delivery"]["method"] == "electronic"
    [certificate] = body["certificates"]
    number = Certificate.objects.get(case=case).number
    assert certificate["number"] == number
    assert certificate["status"] == "valid"
    assert certificate["verify_url"].endswith(f"/verify/{number}/")
    assert certificate["pdf_url"] == f"/api/v1/certificates/{number}/pdf"


def test_a_matter_without_a_certificate_type_is_still_completed_at_approval(
    drainage: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    case = decide(case_submitted(applicant=applicant), clerk, reviewer, approver)
    assert case.status == CaseStatus.COMPLETED
    assert not Certificate.objects.filter(case=case).exists()


# --- post ------------------------------------------------------------------------------------


def test_post_creates_the_delivery_order_at_issue_and_delivered_completes_the_case(
    free_permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    from tongban.delivery.services import delivery_advance

    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="post", address=ADDRESS)
    assert not DeliveryOrder.objects.filter(case=case).exists()
    case = decide(case, clerk, reviewer, approver)
    assert case.status == CaseStatus.ISSUED
    order = DeliveryOrder.objects.get(case=case)
    assert order.recipient == "张三"
    assert order.tracking_no
    assert any(s.startswith("已寄出（运单号" + order.tracking_no) for s in step_texts(case))
    while order.status != DeliveryStatus.DELIVERED:
        order = delivery_advance(order=order)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.visit_count == 0
    steps = step_texts(case)
    assert steps.index("已签收") < steps.index("办结")


def test_a_bad_address_gets_field_errors_and_nothing_is_saved(
    free_permit: Matter, applicant: User
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    bad = {**ADDRESS, "phone": "12345", "district": ""}
    with pytest.raises(ValidationFailed) as caught:
        outputs.case_delivery_choose(actor=applicant, case=case, method="post", address=bad)
    fields = {e.field for e in caught.value.errors}
    assert {"address.phone", "address.district"} <= fields
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC
    assert case.delivery_address == {}
    assert "选择领证方式" not in step_texts(case)


def test_an_unknown_delivery_method_is_refused(free_permit: Matter, applicant: User) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    with pytest.raises(ValidationFailed) as caught:
        outputs.case_delivery_choose(actor=applicant, case=case, method="drone")
    assert [e.field for e in caught.value.errors] == ["method"]


def test_choosing_delivery_after_issue_is_refused(
    free_permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    assert case.status == CaseStatus.ISSUED
    # Only a switch from the output window to post stays open (cases.output_window tests).
    with pytest.raises(InvalidStateChange):
        outputs.case_delivery_choose(actor=applicant, case=case, method="electronic")
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.PICKUP


def test_only_the_applicant_chooses_the_delivery(
    free_permit: Matter, applicant: User, outsider: User, clerk: User
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    for other in (outsider, clerk):
        with pytest.raises(PermissionDenied):
            outputs.case_delivery_choose(actor=other, case=case, method="pickup")
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC


# --- pick-up and visits ----------------------------------------------------------------------


def test_pickup_waits_for_the_clerk_who_confirms_one_visit(
    free_permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    assert case.status == CaseStatus.ISSUED
    assert "待领取" in step_texts(case)
    case = outputs.case_pickup_confirm(actor=clerk, case=case)
    assert case.status == CaseStatus.COMPLETED
    case.refresh_from_db()
    assert case.visit_count == 1
    assert Visit.objects.get(case=case).kind == "pickup"
    steps = step_texts(case)
    assert steps.index("已领取") < steps.index("办结")
    # A second confirmation is refused, and counts nothing.
    with pytest.raises(InvalidStateChange):
        outputs.case_pickup_confirm(actor=clerk, case=case)
    case.refresh_from_db()
    assert case.visit_count == 1


def test_pickup_is_confirmed_only_by_a_clerk_of_the_department(
    free_permit: Matter,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    police_clerk: User,
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    with pytest.raises(NotFound):
        outputs.case_pickup_confirm(actor=police_clerk, case=case)
    with pytest.raises(NotFound):
        outputs.case_pickup_confirm(actor=applicant, case=case)
    with pytest.raises(PermissionDenied):
        outputs.case_pickup_confirm(actor=reviewer, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.ISSUED
    assert case.visit_count == 0


def test_pickup_of_an_electronic_case_is_refused(
    free_permit: Matter, applicant: User, clerk: User
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    with pytest.raises(InvalidStateChange):
        outputs.case_pickup_confirm(actor=clerk, case=case)


def _walk_in(applicant: User) -> dict[str, str]:
    """The applicant as the center window clerk identifies them at the counter."""
    return {
        "type": "person",
        "id_number": applicant.person.id_number,
        "name": applicant.person.name,
        "mobile": "13800001234",
    }


def test_a_window_submission_records_one_visit(
    free_permit: Matter, applicant: User, center_clerk: User
) -> None:
    case = services.case_create(
        actor=center_clerk,
        matter_code=free_permit.code,
        applicant=_walk_in(applicant),
        form={"project_name": "窗口递交", "discharge_volume": 1},
        channel="window",
    )
    assert case.applicant_user == applicant
    for code in ("application-form", "pipe-network-map"):
        services.material_upload(
            actor=center_clerk, case=case, requirement_code=code, file=pdf_file()
        )
    case = services.case_submit(actor=center_clerk, case=case)
    case.refresh_from_db()
    assert case.visit_count == 1
    assert Visit.objects.get(case=case).kind == "window_submission"


def test_an_online_submission_records_no_visit(free_permit: Matter, applicant: User) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    case.refresh_from_db()
    assert case.visit_count == 0


# --- HTTP ------------------------------------------------------------------------------------


def test_the_pickup_api_completes_the_case_for_the_clerk(
    free_permit: Matter,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    response = api_client.post(f"/api/v1/applications/{case.pk}/pickup", **bearer(clerk))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["visit_count"] == 1
    again = api_client.post(f"/api/v1/applications/{case.pk}/pickup", **bearer(clerk))
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")


def test_an_outsider_gets_404_on_the_case_its_results_and_the_pickup(
    free_permit: Matter,
    applicant: User,
    outsider: User,
    police_clerk: User,
    clerk: User,
    reviewer: User,
    approver: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    for user in (outsider, police_clerk):
        headers = bearer(user)
        assert api_client.get(f"/api/v1/applications/{case.pk}", **headers).status_code == 404
        response = api_client.post(f"/api/v1/applications/{case.pk}/pickup", **headers)
        assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.ISSUED
    assert case.visit_count == 0


# --- the delivery API and the pages ----------------------------------------------------------


def test_the_delivery_api_refuses_a_bad_address_with_field_errors_and_saves_nothing(
    free_permit: Matter,
    applicant: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    response = api_client.post(
        f"/api/v1/applications/{case.pk}/delivery",
        data={"method": "post", "address": {**ADDRESS, "phone": "110"}},
        content_type="application/json",
        **bearer(applicant),
    )
    assert response.status_code == 422
    assert "address.phone" in {e["field"] for e in response.json()["errors"]}
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC
    good = api_client.post(
        f"/api/v1/applications/{case.pk}/delivery",
        data={"method": "post", "address": ADDRESS},
        content_type="application/json",
        **bearer(applicant),
    )
    assert good.status_code == 200, good.content
    body = api_client.get(f"/api/v1/applications/{case.pk}", **bearer(applicant)).json()
    assert body["delivery"]["method"] == "post"
    assert body["delivery"]["address"]["district"] == "嘉定区"


def test_the_delivery_api_is_404_for_an_outsider(
    free_permit: Matter,
    applicant: User,
    outsider: User,
    api_client: Client,
    bearer: Callable[[User], dict[str, str]],
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    response = api_client.post(
        f"/api/v1/applications/{case.pk}/delivery",
        data={"method": "pickup"},
        content_type="application/json",
        **bearer(outsider),
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC


def test_the_case_page_shows_address_errors_next_to_their_inputs(
    free_permit: Matter, applicant: User, client: Client
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    client.force_login(applicant)
    response = client.post(
        f"/my/cases/{case.pk}/delivery/", {"method": "post", **ADDRESS, "phone": "12345"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="delivery-errors"' in page
    assert 'id="delivery-phone-error"' in page
    assert "请填写有效的中国大陆手机号" in page
    # What was typed is kept, so only the wrong input needs changing.
    assert 'value="示范路1号2幢301室"' in page
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC

    response = client.post(f"/my/cases/{case.pk}/delivery/", {"method": "post", **ADDRESS})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.POST
    assert case.delivery_address["recipient"] == "张三"


def test_the_case_page_refuses_delivery_changes_after_issue(
    free_permit: Matter,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    client: Client,
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    client.force_login(applicant)
    page = client.get(f"/my/cases/{case.pk}/")
    assert page.status_code == 200
    # Waiting at the output window, only the switch to post is offered (统一出件).
    html = page.content.decode()
    assert 'id="delivery-switch-note"' in html
    assert 'value="electronic"' not in html
    assert Certificate.objects.get(case=case).number in html
    response = client.post(f"/my/cases/{case.pk}/delivery/", {"method": "electronic"})
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.PICKUP


def test_the_pages_are_404_for_an_outsider(
    free_permit: Matter, applicant: User, outsider: User, client: Client
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    client.force_login(outsider)
    assert client.get(f"/my/cases/{case.pk}/").status_code == 404
    assert client.post(f"/my/cases/{case.pk}/pay/").status_code == 404
    response = client.post(f"/my/cases/{case.pk}/delivery/", {"method": "pickup"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.ELECTRONIC


def test_the_workbench_pickup_button_completes_the_case_for_the_departments_clerk(
    free_permit: Matter,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    police_clerk: User,
    client: Client,
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="pickup")
    case = decide(case, clerk, reviewer, approver)
    client.force_login(police_clerk)
    assert client.post(f"/workbench/cases/{case.pk}/pickup/").status_code == 404
    client.force_login(reviewer)
    page = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert 'id="pickup-confirm"' not in page
    assert client.post(f"/workbench/cases/{case.pk}/pickup/").status_code == 403
    client.force_login(clerk)
    page = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert 'id="pickup-confirm"' in page
    assert client.post(f"/workbench/cases/{case.pk}/pickup/").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.visit_count == 1


def test_the_sandbox_parcel_button_exists_only_in_development(
    free_permit: Matter,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    client: Client,
    settings: Any,
) -> None:
    case = case_submitted(applicant=applicant, matter_code=free_permit.code)
    outputs.case_delivery_choose(actor=applicant, case=case, method="post", address=ADDRESS)
    case = decide(case, clerk, reviewer, approver)
    client.force_login(clerk)
    settings.DEBUG = False
    settings.DEMO_MODE = False
    assert 'id="parcel-advance"' not in client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert client.post(f"/workbench/cases/{case.pk}/parcel-advance/").status_code == 404
    assert DeliveryOrder.objects.get(case=case).status == DeliveryStatus.CREATED
    settings.DEBUG = True
    assert 'id="parcel-advance"' in client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert client.post(f"/workbench/cases/{case.pk}/parcel-advance/").status_code == 302
    assert DeliveryOrder.objects.get(case=case).status == DeliveryStatus.COLLECTED


# --- the "at most one visit" share -----------------------------------------------------------


def test_the_visit_share_counts_completed_cases_with_at_most_one_visit(
    free_permit: Matter,
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    center_clerk: User,
) -> None:
    from tongban.cases.services.visits import matter_visit_shares

    online = decide(
        case_submitted(applicant=applicant, matter_code=free_permit.code), clerk, reviewer, approver
    )
    # A window submission (one visit) and a pick-up (a second one): two visits.
    window = services.case_create(
        actor=center_clerk,
        matter_code=free_permit.code,
        applicant=_walk_in(applicant),
        form={"project_name": "窗口递交", "discharge_volume": 1},
        channel="window",
    )
    for code in ("application-form", "pipe-network-map"):
        services.material_upload(
            actor=center_clerk, case=window, requirement_code=code, file=pdf_file()
        )
    window = services.case_submit(actor=center_clerk, case=window)
    outputs.case_delivery_choose(actor=applicant, case=window, method="pickup")
    window = decide(window, clerk, reviewer, approver)
    outputs.case_pickup_confirm(actor=clerk, case=window)
    # Not completed yet: not counted.
    case_submitted(applicant=applicant, matter_code=free_permit.code)

    [row] = [s for s in matter_visit_shares() if s.code == free_permit.code]
    assert (row.cases, row.at_most_one, row.source) == (2, 1, "cases")
    assert row.share == 0.5
    assert online.visit_count == 0
