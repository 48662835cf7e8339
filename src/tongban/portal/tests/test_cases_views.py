"""The applicant's pages: apply, fill in, upload, submit, 我的办件, supplement and withdraw."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases import services as cases
from tongban.cases.choices import CaseStatus, MaterialStatus, TaskKind, TaskState
from tongban.cases.models import Case
from tongban.identity.models import User
from tongban.portal.tests.cases_fixtures import MATTER_CODE, PDF_BYTES, sign_permit_matter

pytestmark = pytest.mark.django_db

GOOD_FORM = {
    "form.shop_name": "张三面馆",
    "form.phone": "13800001234",
    "form.area": "3.5",
    "form.kind": "wall",
}


@pytest.fixture
def matter(departments: Any) -> Any:
    return sign_permit_matter()


@pytest.fixture
def signed_in(applicant: User) -> Client:
    return _login(applicant)


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf(name: str = "申请书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _draft(user: User) -> Case:
    return cases.case_create(
        actor=user,
        matter_code=MATTER_CODE,
        form={"shop_name": "张三面馆", "phone": "13800001234"},
    )


def _submitted(user: User) -> Case:
    case = _draft(user)
    for code in ("application", "design"):
        cases.material_upload(actor=user, case=case, requirement_code=code, file=_pdf())
    return cases.case_submit(actor=user, case=case)


def _open_task(case: Case, kind: str) -> Any:
    return case.tasks.get(kind=kind, state=TaskState.OPEN)


# --- apply ---------------------------------------------------------------------------------


def test_apply_sends_an_anonymous_visitor_to_sign_in(matter: Any) -> None:
    response = Client().get(f"/apply/{MATTER_CODE}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/apply/{MATTER_CODE}/"


def test_apply_shows_the_form_generated_from_the_schema(matter: Any, signed_in: Client) -> None:
    response = signed_in.get(f"/apply/{MATTER_CODE}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "户外招牌设置许可" in html
    assert 'name="form.shop_name"' in html
    assert 'name="form.phone"' in html and 'pattern="1[3-9][0-9]{9}"' in html
    assert 'type="number"' in html and 'name="form.area"' in html
    assert '<option value="wall">墙面招牌</option>' in html
    assert 'type="checkbox" id="f-lit"' in html
    assert "11 位手机号码" in html
    # A citizen who is nobody's agent is not asked whom they apply for.
    assert 'name="applicant"' not in html


def test_apply_unknown_matter_is_404(departments: Any, signed_in: Client) -> None:
    assert signed_in.get("/apply/no-such-matter/").status_code == 404


def test_apply_creates_a_draft_and_continues_to_the_materials(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    response = signed_in.post(
        f"/apply/{MATTER_CODE}/", {**GOOD_FORM, "form.lit": "on", "action": "continue"}
    )
    case = Case.objects.get(applicant_user=applicant)
    assert response.status_code == 302
    assert response["Location"] == f"/my/cases/{case.pk}/edit/"
    assert case.status == CaseStatus.DRAFT
    assert case.form_data == {
        "shop_name": "张三面馆",
        "phone": "13800001234",
        "area": 3.5,
        "kind": "wall",
        "lit": True,
    }
    assert case.applicant_type == "person"


def test_apply_save_as_draft_goes_to_my_cases(matter: Any, signed_in: Client) -> None:
    response = signed_in.post(
        f"/apply/{MATTER_CODE}/", {"form.shop_name": "面馆", "action": "draft"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/my/cases/"
    assert "草稿已保存" in response.content.decode()


def test_apply_refuses_a_bad_phone_and_saves_nothing(matter: Any, signed_in: Client) -> None:
    response = signed_in.post(
        f"/apply/{MATTER_CODE}/", {**GOOD_FORM, "form.phone": "12345", "action": "continue"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "联系电话：格式不正确" in html
    # The error sits with its input, and what was typed is shown again.
    assert 'data-field="phone"' in html and 'value="12345"' in html
    assert Case.objects.count() == 0


def test_the_error_summary_links_to_each_field_with_an_error(
    matter: Any, signed_in: Client
) -> None:
    response = signed_in.post(
        f"/apply/{MATTER_CODE}/", {**GOOD_FORM, "form.phone": "12345", "action": "continue"}
    )
    html = response.content.decode()
    summary = html[
        html.index('id="form-errors"') : html.index("</div>", html.index('id="form-errors"'))
    ]
    # GOV.UK pattern: never an empty summary; each error a link to its input.
    assert '<a href="#f-phone">' in summary
    assert 'id="f-phone"' in html
    assert Case.objects.count() == 0


def test_apply_refuses_text_in_a_number_field_and_saves_nothing(
    matter: Any, signed_in: Client
) -> None:
    response = signed_in.post(
        f"/apply/{MATTER_CODE}/", {**GOOD_FORM, "form.area": "三平方", "action": "continue"}
    )
    assert response.status_code == 422
    assert "请输入数字" in response.content.decode()
    assert Case.objects.count() == 0


def test_apply_refuses_a_value_outside_the_list(matter: Any, signed_in: Client) -> None:
    response = signed_in.post(
        f"/apply/{MATTER_CODE}/", {**GOOD_FORM, "form.kind": "sky", "action": "continue"}
    )
    assert response.status_code == 422
    assert "请从列表中选择" in response.content.decode()
    assert Case.objects.count() == 0


def test_an_agent_applies_for_the_enterprise(
    matter: Any, agent_user: User, enterprise: Any
) -> None:
    client = _login(agent_user)
    page = client.get(f"/apply/{MATTER_CODE}/").content.decode()
    assert 'name="applicant"' in page and enterprise.name in page
    response = client.post(
        f"/apply/{MATTER_CODE}/", {**GOOD_FORM, "applicant": enterprise.uscc, "action": "continue"}
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.applicant_enterprise == enterprise
    assert case.applicant_name == enterprise.name


def test_apply_refuses_an_enterprise_the_user_is_not_agent_of(
    matter: Any, signed_in: Client, enterprise: Any
) -> None:
    response = signed_in.post(
        f"/apply/{MATTER_CODE}/", {**GOOD_FORM, "applicant": enterprise.uscc, "action": "continue"}
    )
    assert response.status_code == 422
    assert "请选择以本人或您代理的企业名义申请" in response.content.decode()
    assert Case.objects.count() == 0


# --- the draft -----------------------------------------------------------------------------


def test_edit_uploads_a_pdf_and_shows_its_digest(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _draft(applicant)
    response = signed_in.post(
        f"/my/cases/{case.pk}/edit/",
        {**GOOD_FORM, "action": "upload", "file.application": _pdf()},
        follow=True,
    )
    assert response.status_code == 200
    material = case.materials.get(requirement_code="application")
    assert material.status == MaterialStatus.PROVIDED
    assert material.content_type == "application/pdf"
    html = response.content.decode()
    assert "材料已上传" in html
    assert material.sha256[:12] in html and "申请书.pdf" in html


def test_edit_refuses_a_file_that_is_not_really_a_pdf(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _draft(applicant)
    fake = SimpleUploadedFile("合同.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")
    response = signed_in.post(
        f"/my/cases/{case.pk}/edit/", {**GOOD_FORM, "action": "upload", "file.design": fake}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "文件内容不是允许的格式" in html
    # The message is shown under that material's own upload input.
    item = html.split('data-material="design"', 1)[1].split("</li>", 1)[0]
    assert "文件内容不是允许的格式" in item
    assert case.materials.get(requirement_code="design").status == MaterialStatus.MISSING


def test_edit_changes_and_clears_fields(matter: Any, signed_in: Client, applicant: User) -> None:
    case = _draft(applicant)
    cases.case_update_form(actor=applicant, case=case, form={"area": 2})
    response = signed_in.post(
        f"/my/cases/{case.pk}/edit/",
        {"form.shop_name": "张三新面馆", "form.phone": "13900001111", "action": "save"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.form_data == {"shop_name": "张三新面馆", "phone": "13900001111", "lit": False}


def test_edit_refuses_a_bad_value_and_keeps_the_draft(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _draft(applicant)
    response = signed_in.post(
        f"/my/cases/{case.pk}/edit/",
        {**GOOD_FORM, "form.phone": "call me", "action": "check", "file.application": _pdf()},
    )
    assert response.status_code == 422
    assert "联系电话：格式不正确" in response.content.decode()
    case.refresh_from_db()
    assert case.form_data["phone"] == "13800001234"
    assert case.status == CaseStatus.DRAFT
    # Nothing of a refused post is kept, not even the file that came with it.
    assert case.materials.get(requirement_code="application").status == MaterialStatus.MISSING


def test_the_draft_page_submits_nothing_it_leads_to_the_check_page(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _draft(applicant)
    everything = {**GOOD_FORM, "file.application": _pdf(), "file.design": _pdf("效果图.pdf")}
    edit = f"/my/cases/{case.pk}/edit/"
    assert "提交申请" not in signed_in.get(edit).content.decode()
    # The old submit action only saves: the submit button is on the check page only.
    saved = signed_in.post(edit, {**everything, "action": "submit"})
    assert saved.status_code == 302 and saved["Location"] == edit
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    onward = signed_in.post(edit, {**GOOD_FORM, "action": "check"})
    assert onward["Location"] == f"/my/cases/{case.pk}/check/"
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_the_check_page_lists_the_missing_material_with_a_link_and_no_button(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _draft(applicant)
    signed_in.post(
        f"/my/cases/{case.pk}/edit/",
        {**GOOD_FORM, "action": "check", "file.application": _pdf()},
    )
    response = signed_in.get(f"/my/cases/{case.pk}/check/")
    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    assert f'href="/my/cases/{case.pk}/edit/?return=check#file.design"' in summary
    assert "请提供材料“招牌设计效果图”" in summary
    assert 'value="submit"' not in html
    # Posting anyway submits nothing.
    refused = signed_in.post(f"/my/cases/{case.pk}/check/", {})
    assert refused.status_code == 422
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_the_check_page_lists_a_missing_required_field(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = cases.case_create(actor=applicant, matter_code=MATTER_CODE, form={"shop_name": "面馆"})
    signed_in.post(
        f"/my/cases/{case.pk}/edit/",
        {
            "form.shop_name": "面馆",
            "action": "check",
            "file.application": _pdf(),
            "file.design": _pdf("效果图.pdf"),
        },
    )
    response = signed_in.get(f"/my/cases/{case.pk}/check/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "联系电话：必填" in html
    assert f'href="/my/cases/{case.pk}/edit/?return=check#f-phone"' in html
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_the_check_page_shows_every_answer_and_material_with_change_links(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _draft(applicant)
    signed_in.post(
        f"/my/cases/{case.pk}/edit/",
        {
            **GOOD_FORM,
            "action": "check",
            "file.application": _pdf(),
            "file.design": _pdf("效果图.pdf"),
        },
    )
    response = signed_in.get(f"/my/cases/{case.pk}/check/")
    assert response.status_code == 200
    html = response.content.decode()
    phone = html.split('data-answer="phone"', 1)[1].split("</div>", 1)[0]
    assert "13800001234" in phone
    assert f"/my/cases/{case.pk}/edit/?return=check#f-phone" in phone
    design = html.split('data-material="design"', 1)[1].split("</div>", 1)[0]
    assert "效果图.pdf" in design
    assert 'value="submit"' in html
    # A change made through a 修改 link comes back to the check page.
    back = signed_in.post(
        f"/my/cases/{case.pk}/edit/", {**GOOD_FORM, "form.phone": "13900002222", "return": "check"}
    )
    assert back["Location"] == f"/my/cases/{case.pk}/check/"
    assert "13900002222" in signed_in.get(back["Location"]).content.decode()


def test_submit_from_the_check_page_starts_the_case(
    matter: Any, signed_in: Client, applicant: User, outsider: User
) -> None:
    case = _draft(applicant)
    signed_in.post(
        f"/my/cases/{case.pk}/edit/",
        {
            **GOOD_FORM,
            "action": "check",
            "file.application": _pdf(),
            "file.design": _pdf("效果图.pdf"),
        },
    )
    other = Client()
    other.force_login(outsider)
    assert other.get(f"/my/cases/{case.pk}/check/").status_code == 404
    assert other.post(f"/my/cases/{case.pk}/check/", {}).status_code == 404
    response = signed_in.post(f"/my/cases/{case.pk}/check/", {}, follow=True)
    assert response.redirect_chain[-1][0] == f"/my/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    html = response.content.decode()
    assert "申请已提交" in html and case.case_no in html
    assert 'class="step step-current" aria-current="step"' in html
    # A submitted case is no longer edited or checked: both pages lead to the case.
    assert signed_in.get(f"/my/cases/{case.pk}/edit/")["Location"] == f"/my/cases/{case.pk}/"
    assert signed_in.get(f"/my/cases/{case.pk}/check/")["Location"] == f"/my/cases/{case.pk}/"


# --- 我的办件 and the case page ------------------------------------------------------------


def test_my_cases_lists_own_cases_newest_first(
    matter: Any, signed_in: Client, applicant: User, outsider: User
) -> None:
    first = _submitted(applicant)
    second = _draft(applicant)
    _draft(outsider)
    response = signed_in.get("/my/cases/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="case-item sla-') == 2
    assert html.index(f"/my/cases/{second.pk}/edit/") < html.index(f"/my/cases/{first.pk}/")
    assert "已提交" in html and "草稿" in html


def test_my_cases_needs_sign_in() -> None:
    response = Client().get("/my/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_case_page_shows_steps_timeline_form_and_materials(
    matter: Any, signed_in: Client, applicant: User, clerk: User
) -> None:
    case = _submitted(applicant)
    cases.task_complete(actor=clerk, task=_open_task(case, TaskKind.ACCEPT), decision="accept")
    html = signed_in.get(f"/my/cases/{case.pk}/").content.decode()
    assert "审查中" in html
    for title in ("提交", "受理", "审查", "决定", "办结"):
        assert f'<span class="step-title">{title}</span>' in html
    current = html.split('aria-current="step"', 1)[1]
    assert current.split("step-title", 1)[1].startswith('">审查')
    assert "张三面馆" in html and "设置申请书" in html
    assert "市场监管局" in html
    # The applicant sees the department and the step, never the member of staff.
    assert clerk.username not in html
    case.refresh_from_db()
    assert case.due_date is not None and case.due_date.isoformat() in html


def test_another_persons_case_is_404(
    matter: Any, applicant: User, outsider: User, enterprise: Any
) -> None:
    case = _submitted(applicant)
    client = _login(outsider)
    for url in (
        f"/my/cases/{case.pk}/",
        f"/my/cases/{case.pk}/edit/",
        f"/my/cases/{case.pk}/withdraw/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/my/cases/{case.pk}/withdraw/", {"confirm": "on"}).status_code == 404
    assert client.post(f"/my/cases/{case.pk}/supplement/").status_code == 404
    assert client.get("/my/cases/999999/").status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_staff_of_the_department_do_not_see_the_case_in_the_portal(
    matter: Any, applicant: User, clerk: User
) -> None:
    case = _submitted(applicant)
    assert _login(clerk).get(f"/my/cases/{case.pk}/").status_code == 404


# --- withdraw ------------------------------------------------------------------------------


def test_withdraw_asks_for_confirmation_first(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _submitted(applicant)
    assert "撤回申请" in signed_in.get(f"/my/cases/{case.pk}/").content.decode()
    response = signed_in.post(f"/my/cases/{case.pk}/withdraw/", {"reason": "不办了"})
    assert response.status_code == 422
    assert "请勾选确认后再撤回" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_withdraw_with_confirmation(matter: Any, signed_in: Client, applicant: User) -> None:
    case = _submitted(applicant)
    response = signed_in.post(
        f"/my/cases/{case.pk}/withdraw/", {"confirm": "on", "reason": "不办了"}, follow=True
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    html = response.content.decode()
    assert "申请已撤回" in html and "已撤回" in html
    assert "撤回申请</a>" not in html  # no button any more


def test_withdraw_after_a_decision_is_refused(
    matter: Any, signed_in: Client, applicant: User, clerk: User
) -> None:
    case = _submitted(applicant)
    cases.task_complete(
        actor=clerk,
        task=_open_task(case, TaskKind.ACCEPT),
        decision="reject",
        comment="不属于本部门",
    )
    response = signed_in.post(f"/my/cases/{case.pk}/withdraw/", {"confirm": "on"}, follow=True)
    assert "不能撤回" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED


# --- supplement ----------------------------------------------------------------------------


def _supplement_requested(applicant: User, clerk: User) -> Case:
    case = _submitted(applicant)
    cases.task_complete(
        actor=clerk,
        task=_open_task(case, TaskKind.ACCEPT),
        decision="request_supplement",
        comment="请补齐",
        data={
            "items": [
                {"kind": "material", "code": "design", "reason": "效果图不清晰"},
                {"kind": "field", "code": "area", "reason": "请填写面积"},
            ]
        },
    )
    case.refresh_from_db()
    return case


def test_supplement_notice_lists_everything_and_pauses_the_clock(
    matter: Any, signed_in: Client, applicant: User, clerk: User
) -> None:
    case = _supplement_requested(applicant, clerk)
    html = signed_in.get(f"/my/cases/{case.pk}/").content.decode()
    assert "一次性告知" in html and "计时暂停" in html
    assert "招牌设计效果图" in html and "效果图不清晰" in html
    assert "招牌面积（平方米）" in html and "请填写面积" in html
    answer_form = html.split('id="supplement"', 1)[1]
    assert 'name="form.area"' in answer_form and 'name="file.design"' in answer_form
    assert 'name="form.phone"' not in answer_form and 'name="file.application"' not in answer_form


def test_supplement_answer_incomplete_is_refused(
    matter: Any, signed_in: Client, applicant: User, clerk: User
) -> None:
    case = _supplement_requested(applicant, clerk)
    response = signed_in.post(f"/my/cases/{case.pk}/supplement/", {"form.area": "4"})
    assert response.status_code == 422
    item = response.content.decode().split('data-material="design"', 1)[1].split("</li>", 1)[0]
    assert "请补正此材料" in item
    case.refresh_from_db()
    assert case.status == CaseStatus.SUPPLEMENT_REQUIRED
    assert "area" not in case.form_data


def test_supplement_answer_resumes_the_case(
    matter: Any, signed_in: Client, applicant: User, clerk: User
) -> None:
    case = _supplement_requested(applicant, clerk)
    response = signed_in.post(
        f"/my/cases/{case.pk}/supplement/",
        {"form.area": "4", "file.design": _pdf("新效果图.pdf")},
        follow=True,
    )
    assert "补正材料已提交" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.form_data["area"] == 4
    assert case.materials.get(requirement_code="design").original_name == "新效果图.pdf"


def test_supplement_answer_when_none_was_asked_is_refused(
    matter: Any, signed_in: Client, applicant: User
) -> None:
    case = _submitted(applicant)
    response = signed_in.post(f"/my/cases/{case.pk}/supplement/", {"form.area": "4"}, follow=True)
    assert "没有待补正的内容" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and "area" not in case.form_data


# --- the guide page leads here -------------------------------------------------------------


def test_guide_apply_button_leads_a_signed_in_user_to_the_form(
    matter: Any, signed_in: Client
) -> None:
    html = signed_in.get(f"/matters/{MATTER_CODE}/").content.decode()
    assert f'href="/apply/{MATTER_CODE}/"' in html
    assert 'href="/my/cases/"' in html
