"""The workbench pages for staff, and every refusal (django test Client)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tongban.cases import services as case_services
from tongban.cases.choices import CaseStatus, TaskKind, TaskState
from tongban.cases.models import Case, SupplementRequest, Task
from tongban.identity.models import User
from tongban.workbench.tests.conftest import PDF_BYTES, signed_in

pytestmark = pytest.mark.django_db


def _open_task(case: Case, kind: str) -> Task:
    return case.tasks.get(kind=kind, state=TaskState.OPEN)


def _accepted(case: Case, clerk: User) -> Case:
    case_services.task_complete(
        actor=clerk, task=_open_task(case, TaskKind.ACCEPT), decision="accept"
    )
    case.refresh_from_db()
    return case


def _html(response: Any) -> str:
    return response.content.decode()


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/workbench/", "/workbench/cases/", "/workbench/cases/1/"])
def test_it_sends_an_anonymous_visitor_to_sign_in(path: str, db: None) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("path", ["/workbench/", "/workbench/cases/"])
def test_it_refuses_a_citizen_with_a_403_page(path: str, outsider: User) -> None:
    response = signed_in(outsider).get(path)
    assert response.status_code == 403
    assert "工作台仅供工作人员使用" in _html(response)


def test_it_refuses_the_applicant_the_staff_view_of_their_own_case(
    submitted_case: Case, applicant: User
) -> None:
    client = signed_in(applicant)
    assert client.get(f"/workbench/cases/{submitted_case.pk}/").status_code == 403
    material = submitted_case.materials.get(requirement_code="application")
    url = f"/workbench/cases/{submitted_case.pk}/materials/{material.pk}/"
    assert client.get(url).status_code == 403


def test_it_refuses_a_citizen_acting_on_a_task(submitted_case: Case, outsider: User) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    client = signed_in(outsider)
    assert client.post(f"/workbench/tasks/{task.pk}/claim/").status_code == 403
    response = client.post(f"/workbench/tasks/{task.pk}/decide/", {"decision": "accept"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.state == TaskState.OPEN and task.claimed_by is None


def test_it_hides_a_market_case_from_a_police_clerk(
    submitted_case: Case, police_clerk: User
) -> None:
    client = signed_in(police_clerk)
    assert client.get(f"/workbench/cases/{submitted_case.pk}/").status_code == 404
    material = submitted_case.materials.get(requirement_code="application")
    url = f"/workbench/cases/{submitted_case.pk}/materials/{material.pk}/"
    assert client.get(url).status_code == 404
    assert submitted_case.case_no not in _html(client.get("/workbench/"))
    assert submitted_case.case_no not in _html(client.get("/workbench/cases/?q=张"))


def test_it_refuses_a_police_clerk_acting_on_a_market_task(
    submitted_case: Case, police_clerk: User
) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    client = signed_in(police_clerk)
    response = client.post(f"/workbench/tasks/{task.pk}/decide/", {"decision": "accept"})
    assert response.status_code == 404
    assert client.post(f"/workbench/tasks/{task.pk}/claim/").status_code == 404
    task.refresh_from_db()
    assert task.state == TaskState.OPEN and task.claimed_by is None


def test_it_refuses_a_get_on_an_action(submitted_case: Case, clerk: User) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    assert signed_in(clerk).get(f"/workbench/tasks/{task.pk}/decide/").status_code == 405


# --- 待办 ----------------------------------------------------------------------------------


def test_the_clerk_sees_the_submitted_case_in_the_to_do_list(
    submitted_case: Case, clerk: User
) -> None:
    response = signed_in(clerk).get("/workbench/")
    html = _html(response)
    assert response.status_code == 200
    assert submitted_case.case_no in html
    assert "食品经营许可" in html and "张三" in html and "受理" in html
    assert "市场监管局" in html and "窗口受理" in html
    assert "row-normal" in html and "个工作日" in html
    assert 'id="open-count">1<' in html


def test_the_to_do_list_of_a_reviewer_does_not_show_the_clerk_s_task(
    submitted_case: Case, reviewer: User
) -> None:
    html = _html(signed_in(reviewer).get("/workbench/"))
    assert submitted_case.case_no not in html
    assert "暂无待办" in html


def test_the_completed_filter_lists_what_the_clerk_has_done(
    submitted_case: Case, clerk: User
) -> None:
    _accepted(submitted_case, clerk)
    client = signed_in(clerk)
    assert submitted_case.case_no not in _html(client.get("/workbench/"))
    html = _html(client.get("/workbench/?state=completed"))
    assert submitted_case.case_no in html


def test_an_unknown_state_filter_falls_back_to_open(submitted_case: Case, clerk: User) -> None:
    response = signed_in(clerk).get("/workbench/?state=bogus")
    assert response.status_code == 200
    assert submitted_case.case_no in _html(response)


# --- case detail ---------------------------------------------------------------------------


def test_the_case_page_shows_header_applicant_form_materials_and_timeline(
    submitted_case: Case, clerk: User
) -> None:
    response = signed_in(clerk).get(f"/workbench/cases/{submitted_case.pk}/")
    html = _html(response)
    assert response.status_code == 200
    assert submitted_case.case_no in html and "已提交" in html
    # The applicant's ID is masked; the form shows the titles of the version's schema.
    assert "310***********" in html
    assert "店铺名称" in html and "张记小吃" in html and "经营场所" in html
    material = submitted_case.materials.get(requirement_code="application")
    assert f"/workbench/cases/{submitted_case.pk}/materials/{material.pk}/" in html
    assert "<iframe" in html
    assert "数据共享" in html and "张记小吃店" in html
    assert "提交申请" in html
    for label in ("受理", "不予受理"):
        assert f">{label}</button>" in html
    assert "一次性告知补正" in html and "认领" in html


def test_the_material_is_streamed_inline_with_its_sniffed_type(
    submitted_case: Case, clerk: User
) -> None:
    material = submitted_case.materials.get(requirement_code="application")
    response = signed_in(clerk).get(
        f"/workbench/cases/{submitted_case.pk}/materials/{material.pk}/"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_an_unknown_or_missing_material_is_404(submitted_case: Case, clerk: User) -> None:
    client = signed_in(clerk)
    shared = submitted_case.materials.get(requirement_code="business-licence")
    assert client.get(f"/workbench/cases/{submitted_case.pk}/materials/999999/").status_code == 404
    # A shared-data material has no file to stream.
    url = f"/workbench/cases/{submitted_case.pk}/materials/{shared.pk}/"
    assert client.get(url).status_code == 404


def test_an_unknown_case_is_404(clerk: User) -> None:
    assert signed_in(clerk).get("/workbench/cases/999999/").status_code == 404


# --- decisions -----------------------------------------------------------------------------


def test_the_clerk_claims_a_task(submitted_case: Case, clerk: User) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    client = signed_in(clerk)
    response = client.post(f"/workbench/tasks/{task.pk}/claim/", follow=True)
    task.refresh_from_db()
    assert task.claimed_by == clerk
    assert response.redirect_chain[-1][0] == f"/workbench/cases/{submitted_case.pk}/"
    assert "已认领" in _html(response) and "由您办理" in _html(response)


def test_a_task_claimed_by_a_colleague_cannot_be_decided(
    submitted_case: Case, clerk: User, departments: Any
) -> None:
    from tongban.identity import services as identity_services

    colleague = identity_services.staff_create(
        username="market-clerk-2",
        password="cast-pass-2026",
        department_code="market",
        roles=["clerk"],
        name="钱七",
    )
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    case_services.task_claim(actor=colleague, task=task)
    response = signed_in(clerk).post(f"/workbench/tasks/{task.pk}/decide/", {"decision": "accept"})
    assert response.status_code == 409
    assert "办件已被他人处理，请刷新" in _html(response)
    assert "已由 钱七 认领" in _html(response)
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.SUBMITTED


def test_rejecting_without_a_comment_shows_the_error_and_changes_nothing(
    submitted_case: Case, clerk: User
) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    response = signed_in(clerk).post(
        f"/workbench/tasks/{task.pk}/decide/", {"decision": "reject", "comment": "  "}
    )
    assert response.status_code == 400
    html = _html(response)
    assert "作出此决定必须说明理由" in html and 'id="comment-error"' in html
    submitted_case.refresh_from_db()
    task.refresh_from_db()
    assert submitted_case.status == CaseStatus.SUBMITTED
    assert task.state == TaskState.OPEN


def test_a_decision_the_task_does_not_allow_is_refused(submitted_case: Case, clerk: User) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    response = signed_in(clerk).post(f"/workbench/tasks/{task.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 400
    assert "此环节不能作出该决定" in _html(response)
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_accepting_moves_the_case_to_review_with_a_flash_message(
    submitted_case: Case, clerk: User, reviewer: User
) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    response = signed_in(clerk).post(
        f"/workbench/tasks/{task.pk}/decide/", {"decision": "accept"}, follow=True
    )
    assert response.status_code == 200
    assert "已办理：受理" in _html(response)
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.UNDER_REVIEW
    assert submitted_case.case_no in _html(signed_in(reviewer).get("/workbench/"))


def test_deciding_a_task_twice_is_a_clear_conflict(submitted_case: Case, clerk: User) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    client = signed_in(clerk)
    assert (
        client.post(f"/workbench/tasks/{task.pk}/decide/", {"decision": "accept"}).status_code
        == 302
    )
    response = client.post(
        f"/workbench/tasks/{task.pk}/decide/", {"decision": "reject", "comment": "x"}
    )
    assert response.status_code == 409
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.UNDER_REVIEW


def test_the_supplement_form_sends_one_notice_listing_everything(
    submitted_case: Case, clerk: User
) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    response = signed_in(clerk).post(
        f"/workbench/tasks/{task.pk}/supplement/",
        {
            "items": ["material:application", "field:address"],
            "reason:material:application": "申请书未签字",
            "reason:field:address": "请填写门牌号",
            "message": "请在十日内补正",
        },
    )
    assert response.status_code == 302
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.SUPPLEMENT_REQUIRED
    request = SupplementRequest.objects.get(case=submitted_case)
    assert [(i["kind"], i["code"], i["reason"]) for i in request.items] == [
        ("material", "application", "申请书未签字"),
        ("field", "address", "请填写门牌号"),
    ]
    assert "请在十日内补正" in request.message


def test_the_supplement_form_refuses_nothing_ticked_or_a_missing_reason(
    submitted_case: Case, clerk: User
) -> None:
    task = _open_task(submitted_case, TaskKind.ACCEPT)
    client = signed_in(clerk)
    url = f"/workbench/tasks/{task.pk}/supplement/"
    response = client.post(url, {"message": "x"})
    assert response.status_code == 400
    assert "请至少选择一项" in _html(response)
    response = client.post(url, {"items": ["material:application"]})
    assert response.status_code == 400
    assert "请填写需要补正的原因" in _html(response)
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.SUBMITTED
    assert not SupplementRequest.objects.filter(case=submitted_case).exists()


def test_the_approver_extends_once_with_a_reason(
    submitted_case: Case, clerk: User, approver: User
) -> None:
    _accepted(submitted_case, clerk)
    client = signed_in(approver)
    url = f"/workbench/cases/{submitted_case.pk}/extend/"
    assert "延期天数" in _html(client.get(f"/workbench/cases/{submitted_case.pk}/"))
    response = client.post(url, {"days": "5", "reason": ""})
    assert response.status_code == 400
    submitted_case.refresh_from_db()
    assert submitted_case.extension_days == 0
    response = client.post(url, {"days": "5", "reason": "需要现场核查"})
    assert response.status_code == 302
    submitted_case.refresh_from_db()
    assert submitted_case.extension_days == 5
    response = client.post(url, {"days": "3", "reason": "再次"})
    assert response.status_code == 409
    assert "不能再次延期" in _html(response)
    submitted_case.refresh_from_db()
    assert submitted_case.extension_days == 5


def test_a_clerk_cannot_extend(submitted_case: Case, clerk: User) -> None:
    _accepted(submitted_case, clerk)
    response = signed_in(clerk).post(
        f"/workbench/cases/{submitted_case.pk}/extend/", {"days": "5", "reason": "x"}
    )
    assert response.status_code == 403
    submitted_case.refresh_from_db()
    assert submitted_case.extension_days == 0


# --- 办件查询 ------------------------------------------------------------------------------


def test_the_search_finds_a_case_by_number_applicant_or_matter(
    submitted_case: Case, clerk: User
) -> None:
    client = signed_in(clerk)
    for q in (submitted_case.case_no, "张三", "食品经营"):
        html = _html(client.get("/workbench/cases/", {"q": q}))
        assert submitted_case.case_no in html, q
    html = _html(client.get("/workbench/cases/", {"q": "不存在的办件"}))
    assert "没有找到符合条件的办件" in html
    html = _html(client.get("/workbench/cases/", {"status": "completed"}))
    assert submitted_case.case_no not in html


def test_the_search_refuses_an_unknown_status_or_a_huge_query(
    submitted_case: Case, clerk: User
) -> None:
    client = signed_in(clerk)
    response = client.get("/workbench/cases/", {"status": "bogus"})
    assert response.status_code == 400
    assert "状态无效" in _html(response)
    response = client.get("/workbench/cases/", {"q": "张" * 101})
    assert response.status_code == 400
    assert "搜索内容不能超过 100 个字" in _html(response)
    assert submitted_case.case_no not in _html(response)


def test_the_search_is_paginated(
    submitted_case: Case, clerk: User, applicant: User, monkeypatch: Any
) -> None:
    from tongban.workbench import views
    from tongban.workbench.tests.conftest import pdf

    second = case_services.case_create(
        actor=applicant, matter_code=submitted_case.matter.code, form={"shop_name": "第二家"}
    )
    case_services.material_upload(
        actor=applicant, case=second, requirement_code="application", file=pdf()
    )
    second = case_services.case_submit(actor=applicant, case=second)
    monkeypatch.setattr(views, "CASES_PER_PAGE", 1)
    client = signed_in(clerk)
    first_page = _html(client.get("/workbench/cases/"))
    assert "共 2 件办件" in first_page and "第 1 / 2 页" in first_page
    assert "page=2" in first_page
    second_page = _html(client.get("/workbench/cases/", {"page": "2"}))
    assert "第 2 / 2 页" in second_page
    shown = [c.case_no for c in (submitted_case, second)]
    assert sum(no in first_page for no in shown) == 1
    assert sum(no in second_page for no in shown) == 1
