"""容缺受理: deferring a non-key material at submission, holding the licence, reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.cases import services
from tongban.cases.choices import CaseStatus, MaterialStatus, TaskKind, TimelineAction
from tongban.cases.models import Case, CaseMaterial, Notification, TimelineEntry
from tongban.cases.services import deferral, sweep
from tongban.cases.tests.conftest import DRAINAGE_FORM, VALID_FORM
from tongban.cases.tests.factories import open_task, pdf_file
from tongban.catalog.models import Department, Matter
from tongban.catalog.services import certificate_type_upsert, matter_upsert, section_upsert
from tongban.certificates.models import Certificate
from tongban.core.errors import InvalidStateChange, ValidationFailed
from tongban.credit.choices import CreditList
from tongban.credit.tests.factories import make_person_record
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI, WorkCalendar


#: Cases are submitted now (the process timers run on the real clock); the promised date is
#: five working days ahead, and the sweeps are run at chosen days around it.
def _today() -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date()


def _ahead(working_days: int) -> dt.date:
    return WorkCalendar().add_working_days(_today(), working_days).due_date


def _until() -> dt.date:
    return _ahead(5)


MATERIALS = [
    {"code": "application-form", "name": "排水许可申请表", "required": True},
    {"code": "pipe-network-map", "name": "排水管网图", "required": True},
    {"code": "quality-report", "name": "排水水质检测报告", "required": True, "key": False},
]


@pytest.fixture
def permit(departments: dict[str, Department]) -> Matter:
    """A free permit of market that issues a licence and has one non-key material."""
    section_upsert(code="construction", fields={"name": "投资建设"})
    certificate_type_upsert(code="drainage-licence", name="排水许可证", department="market")
    return matter_upsert(
        code="drainage-deferral",
        fields={
            "name": "排水许可（容缺）",
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "construction",
            "legal_limit_days": 20,
            "promised_limit_days": 6,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": DRAINAGE_FORM,
            "process": "standard_approval",
            "certificate_type": "drainage-licence",
        },
        materials=MATERIALS,
    )


def _draft(applicant: User) -> Case:
    case = services.case_create(actor=applicant, matter_code="drainage-deferral", form=VALID_FORM)
    for code in ("application-form", "pipe-network-map"):
        services.material_upload(actor=applicant, case=case, requirement_code=code, file=pdf_file())
    return case


def _submit_deferred(
    applicant: User, until: dt.date | None = None, code: str = "quality-report"
) -> Case:
    case = _draft(applicant)
    return services.case_submit(
        actor=applicant,
        case=case,
        deferred=[{"requirement": code, "until": (until or _until()).isoformat()}],
    )


def _approve(case: Case, clerk: User, reviewer: User, approver: User) -> Case:
    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    services.task_complete(actor=reviewer, task=open_task(case, TaskKind.REVIEW), decision="pass")
    services.task_complete(
        actor=approver, task=open_task(case, TaskKind.DECIDE), decision="approve"
    )
    case.refresh_from_db()
    return case


def _field_messages(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_it_accepts_a_deferred_non_key_material_from_an_applicant_with_good_credit(
    permit: Matter, applicant: User
) -> None:
    case = _submit_deferred(applicant)
    assert case.status == CaseStatus.SUBMITTED
    material = CaseMaterial.objects.get(case=case, requirement_code="quality-report")
    assert material.status == MaterialStatus.DEFERRED
    assert material.deferred_until == _until()
    assert TimelineEntry.objects.filter(case=case, action="deferred").exists()


def test_it_refuses_to_defer_a_key_material(permit: Matter, applicant: User) -> None:
    case = services.case_create(actor=applicant, matter_code="drainage-deferral", form=VALID_FORM)
    services.material_upload(
        actor=applicant, case=case, requirement_code="application-form", file=pdf_file()
    )
    services.material_upload(
        actor=applicant, case=case, requirement_code="quality-report", file=pdf_file()
    )
    with pytest.raises(ValidationFailed) as exc:
        services.case_submit(
            actor=applicant,
            case=case,
            deferred=[{"requirement": "pipe-network-map", "until": _until().isoformat()}],
        )
    assert "关键材料" in _field_messages(exc)["materials.pipe-network-map"]
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_it_refuses_a_date_beyond_the_working_day_limit(permit: Matter, applicant: User) -> None:
    # Ten working days from Monday 1 June 2026 end on Monday 15 June (Dragon Boat is later).
    assert deferral.deferral_latest_date(today=dt.date(2026, 6, 1)) == dt.date(2026, 6, 15)
    latest = deferral.deferral_latest_date(today=_today())
    assert latest == _ahead(10)
    with pytest.raises(ValidationFailed) as exc:
        _submit_deferred(applicant, until=latest + dt.timedelta(days=1))
    assert latest.isoformat() in _field_messages(exc)["materials.quality-report"]
    assert not Case.objects.filter(status=CaseStatus.SUBMITTED).exists()
    material = CaseMaterial.objects.get(requirement_code="quality-report")
    assert material.status == MaterialStatus.MISSING


def test_it_refuses_a_malformed_or_past_date(permit: Matter, applicant: User) -> None:
    case = _draft(applicant)
    for until in ("2026-13-01", _today().isoformat(), ""):
        with pytest.raises(ValidationFailed) as exc:
            services.case_submit(
                actor=applicant,
                case=case,
                deferred=[{"requirement": "quality-report", "until": until}],
            )
        assert "materials.quality-report" in _field_messages(exc)


def test_it_refuses_an_unknown_material(permit: Matter, applicant: User) -> None:
    case = _draft(applicant)
    with pytest.raises(ValidationFailed) as exc:
        services.case_submit(
            actor=applicant,
            case=case,
            deferred=[{"requirement": "nothing-such", "until": _until().isoformat()}],
        )
    assert "materials.nothing-such" in _field_messages(exc)


@pytest.mark.parametrize(
    "record",
    [
        {"list_kind": CreditList.BLACK, "level": "", "legal_basis": "联合惩戒备忘录"},
        {"list_kind": CreditList.KEY_SUPERVISION, "level": ""},
        {"list_kind": CreditList.NONE, "level": "C"},
        {"list_kind": CreditList.NONE, "level": "D"},
    ],
)
def test_it_refuses_deferral_to_an_applicant_with_bad_credit(
    permit: Matter, applicant: User, record: dict[str, Any]
) -> None:
    make_person_record(**record)
    with pytest.raises(ValidationFailed) as exc:
        _submit_deferred(applicant)
    assert "不适用容缺受理" in _field_messages(exc)["materials.quality-report"]
    assert not Case.objects.filter(status=CaseStatus.SUBMITTED).exists()


def test_a_good_credit_level_does_not_stop_deferral(permit: Matter, applicant: User) -> None:
    make_person_record(list_kind=CreditList.NONE, level="B")
    assert _submit_deferred(applicant).status == CaseStatus.SUBMITTED


def test_the_licence_is_held_until_the_deferred_material_arrives_then_issued(
    permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    case = _approve(_submit_deferred(applicant), clerk, reviewer, approver)
    assert case.status == CaseStatus.APPROVED
    assert not Certificate.objects.filter(case=case).exists()
    held = TimelineEntry.objects.get(case=case, action=TimelineAction.DEFERRAL_HELD)
    assert held.step == "证照待容缺材料补齐后发放"

    services.material_upload(
        actor=applicant, case=case, requirement_code="quality-report", file=pdf_file()
    )
    case.refresh_from_db()
    assert Certificate.objects.filter(case=case).count() == 1
    assert case.status == CaseStatus.COMPLETED
    assert TimelineEntry.objects.filter(case=case, action=TimelineAction.DEFERRAL_RECEIVED).exists()


def test_a_deferred_material_can_be_delivered_before_the_decision(
    permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    case = _submit_deferred(applicant)
    services.material_upload(
        actor=applicant, case=case, requirement_code="quality-report", file=pdf_file()
    )
    case = _approve(case, clerk, reviewer, approver)
    assert case.status == CaseStatus.COMPLETED
    assert Certificate.objects.filter(case=case).count() == 1


def test_a_material_that_was_not_deferred_cannot_be_uploaded_after_submission(
    permit: Matter, applicant: User
) -> None:
    case = _submit_deferred(applicant)
    with pytest.raises(InvalidStateChange):
        services.material_upload(
            actor=applicant, case=case, requirement_code="pipe-network-map", file=pdf_file()
        )


def _reminders(case: Case) -> list[str]:
    return list(
        TimelineEntry.objects.filter(case=case, action__startswith="deferral_")
        .exclude(action__in=[TimelineAction.DEFERRAL_HELD, TimelineAction.DEFERRAL_RECEIVED])
        .values_list("action", flat=True)
    )


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=SHANGHAI)


def test_the_applicant_is_reminded_two_working_days_before_and_on_the_date_once_each(
    permit: Matter, applicant: User
) -> None:
    case = _submit_deferred(applicant)
    assert deferral.deferral_sweep(now=_at(_ahead(2))) == 0
    assert deferral.deferral_sweep(now=_at(_ahead(3))) == 1
    assert deferral.deferral_sweep(now=_at(_ahead(3) + dt.timedelta(days=1))) == 0
    assert _reminders(case) == [TimelineAction.DEFERRAL_REMINDER]
    assert deferral.deferral_sweep(now=_at(_until())) == 1
    assert deferral.deferral_sweep(now=_at(_until())) == 0
    assert _reminders(case) == [TimelineAction.DEFERRAL_REMINDER, TimelineAction.DEFERRAL_DUE]
    notices = Notification.objects.filter(case=case, subject__contains="容缺材料补交提醒")
    # One SMS per reminder (the cast applicant has a phone, no e-mail address).
    assert notices.count() == 2 * len({n.channel for n in notices})
    assert "排水水质检测报告" in notices.first().body  # type: ignore[union-attr]


def test_an_overdue_deferred_material_is_notified_once_and_the_licence_stays_held(
    permit: Matter, applicant: User, clerk: User, reviewer: User, approver: User
) -> None:
    case = _approve(_submit_deferred(applicant), clerk, reviewer, approver)
    after = _at(_until() + dt.timedelta(days=1))
    assert deferral.deferral_sweep(now=after) == 1
    assert deferral.deferral_sweep(now=after) == 0
    assert _reminders(case) == [TimelineAction.DEFERRAL_OVERDUE]
    entry = TimelineEntry.objects.get(case=case, action=TimelineAction.DEFERRAL_OVERDUE)
    assert entry.public
    assert Notification.objects.filter(case=case, subject__contains="容缺材料已逾期").exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert not Certificate.objects.filter(case=case).exists()


def test_the_sla_sweep_runs_the_deferral_reminders(permit: Matter, applicant: User) -> None:
    case = _submit_deferred(applicant)
    sweep.sla_sweep(now=_at(_until() + dt.timedelta(days=1)))
    assert _reminders(case) == [TimelineAction.DEFERRAL_OVERDUE]


def test_nothing_is_reminded_once_the_material_has_arrived(permit: Matter, applicant: User) -> None:
    case = _submit_deferred(applicant)
    services.material_upload(
        actor=applicant, case=case, requirement_code="quality-report", file=pdf_file()
    )
    assert deferral.deferral_sweep(now=_at(_until() + dt.timedelta(days=1))) == 0


def test_submit_over_http_takes_deferrals_and_still_works_without_a_body(
    permit: Matter, applicant: User, api_client: Client, bearer: Any
) -> None:
    headers = bearer(applicant)
    case = _draft(applicant)
    url = f"/api/v1/applications/{case.pk}/submit"
    too_far = {"deferred": [{"requirement": "quality-report", "until": "2099-01-01"}]}
    response = api_client.post(url, too_far, content_type="application/json", **headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "materials.quality-report"

    case2 = _draft(applicant)
    CaseMaterial.objects.filter(case=case2, requirement_code="quality-report").update(
        status=MaterialStatus.PROVIDED
    )
    response = api_client.post(f"/api/v1/applications/{case2.pk}/submit", **headers)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert response.json()["materials"][2]["deferred_until"] is None

    case3 = _draft(applicant)
    good = {"deferred": [{"requirement": "quality-report", "until": _until().isoformat()}]}
    response = api_client.post(
        f"/api/v1/applications/{case3.pk}/submit", good, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    material = response.json()["materials"][2]
    assert (material["status"], material["deferred_until"]) == ("deferred", _until().isoformat())
    bad = {"deferred": [{"requirement": "quality-report"}]}
    response = api_client.post(url, bad, content_type="application/json", **headers)
    assert response.status_code == 422


def test_the_draft_page_offers_deferral_and_the_case_page_takes_the_late_material(
    permit: Matter, applicant: User
) -> None:
    client = Client()
    client.force_login(applicant)
    case = _draft(applicant)
    page = client.get(f"/my/cases/{case.pk}/edit/").content.decode()
    assert 'name="defer.quality-report"' in page
    assert 'name="defer.pipe-network-map"' not in page

    too_far = (deferral.deferral_latest_date(today=_today()) + dt.timedelta(days=1)).isoformat()
    # The draft page carries the promised date to the check page, which submits it.
    onward = client.post(
        f"/my/cases/{case.pk}/edit/",
        {"action": "check", "defer.quality-report": too_far, **_form_post()},
    )
    assert onward["Location"] == f"/my/cases/{case.pk}/check/?defer.quality-report={too_far}"
    check = client.get(onward["Location"])
    assert 'name="defer.quality-report"' in check.content.decode()
    refused = client.post(f"/my/cases/{case.pk}/check/", {"defer.quality-report": too_far})
    assert refused.status_code == 422
    assert "补交期限" in refused.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT

    response = client.post(
        f"/my/cases/{case.pk}/check/", {"defer.quality-report": _until().isoformat()}
    )
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    detail = client.get(f"/my/cases/{case.pk}/").content.decode()
    assert "容缺材料待补交" in detail

    empty = client.post(f"/my/cases/{case.pk}/deferred/", {})
    assert empty.status_code == 422
    uploaded = client.post(f"/my/cases/{case.pk}/deferred/", {"file.quality-report": pdf_file()})
    assert uploaded.status_code == 302
    material = CaseMaterial.objects.get(case=case, requirement_code="quality-report")
    assert material.status == MaterialStatus.PROVIDED


def _form_post() -> dict[str, str]:
    return {f"form.{name}": str(value) for name, value in VALID_FORM.items()}
