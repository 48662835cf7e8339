"""Case services: the clock stopping for a supplement, deemed acceptance, 即办件, files, keys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.cases import selectors, services
from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, IdempotencyRecord, Notification, SupplementRequest
from tongban.cases.services import idempotency
from tongban.cases.services.materials import content_type_sniff, original_name_clean
from tongban.cases.tests.factories import (
    JPEG_BYTES,
    PNG_BYTES,
    case_draft,
    case_submitted,
    ofd_bytes,
    open_task,
)
from tongban.catalog.models import Matter
from tongban.core.errors import InvalidStateChange, PermissionDenied, ValidationFailed
from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.calendar import SHANGHAI
from tongban.workflow.models import ProcessInstance

pytestmark = pytest.mark.django_db


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=SHANGHAI)


def test_a_supplement_request_stops_the_clock_until_it_is_answered(
    applicant: User, clerk: User, reviewer: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    # Accepted on Tuesday 2026-12-01: 6 working days run to Wednesday 2026-12-09.
    services.task_complete(
        actor=clerk, task=open_task(case, "accept"), decision="accept", now=_at(1)
    )
    case.refresh_from_db()
    assert case.due_date == date(2026, 12, 9)
    assert case.status == CaseStatus.UNDER_REVIEW

    items = [{"kind": "field", "code": "project_name", "reason": "名称与立项批复不符"}]
    services.task_complete(
        actor=reviewer,
        task=open_task(case, "review"),
        decision="request_supplement",
        data={"items": items},
        now=_at(2, 9),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUPPLEMENT_REQUIRED
    assert case.sla_state == "suspended"
    assert not case.tasks.filter(state="open").exists()

    services.case_supplement_answer(
        actor=applicant,
        case=case,
        form={"project_name": "示范园区污水纳管（一期）"},
        now=_at(4, 16),
    )
    case.refresh_from_db()
    # 2, 3 and 4 December were spent waiting for the applicant: three working days later.
    assert case.due_date == date(2026, 12, 14)
    assert case.status == CaseStatus.UNDER_REVIEW
    assert case.form_data["project_name"] == "示范园区污水纳管（一期）"
    request = SupplementRequest.objects.get()
    assert (request.state, request.answered_at) == ("answered", _at(4, 16))
    review = open_task(case, "review")
    assert review.due_date == date(2026, 12, 14)
    assert Notification.objects.filter(case=case).exists()


def test_an_unanswered_acceptance_is_deemed_accepted_when_its_timer_fires(
    applicant: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    instance = ProcessInstance.objects.get(pk=case.process_id)
    engine.process_set_data(
        instance=instance, data={"acceptance_deadline": "2020-01-01T23:59:59+08:00"}
    )
    services.case_timers_fire(case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    assert case.accepted_at == case.submitted_at
    assert (
        case.timeline.filter(action="deemed_accepted").get().comment
        == "逾期未作出受理决定，视为受理"
    )
    assert case.tasks.get(kind="accept").state == "cancelled"
    assert case.tasks.get(kind="review").state == "open"
    assert case.due_date is not None


def test_timers_of_a_case_that_is_not_due_change_nothing(applicant: User, drainage: Matter) -> None:
    case = case_submitted(applicant=applicant)
    services.case_timers_fire(case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.tasks.get().state == "open"


def test_an_instant_matter_is_completed_at_acceptance(
    applicant: User, clerk: User, instant_matter: Matter
) -> None:
    case = case_submitted(applicant=applicant, matter_code="instant-filing")
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.accepted_at and case.decided_at and case.completed_at
    assert not case.tasks.filter(state="open").exists()


def test_a_denial_needs_and_keeps_its_reason(
    applicant: User, clerk: User, reviewer: User, approver: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    services.task_complete(
        actor=reviewer, task=open_task(case, "review"), decision="fail", comment="排放口不达标"
    )
    with pytest.raises(ValidationFailed):
        services.task_complete(actor=approver, task=open_task(case, "decide"), decision="deny")
    services.task_complete(
        actor=approver, task=open_task(case, "decide"), decision="deny", comment="排放口不达标"
    )
    case.refresh_from_db()
    assert (case.status, case.outcome_reason) == (CaseStatus.DENIED, "排放口不达标")


def test_a_case_keeps_the_matter_version_it_was_created_under(
    applicant: User, drainage: Matter
) -> None:
    case = case_draft(applicant=applicant)
    assert case.matter_version is not None
    assert case.matter_version.version == drainage.version
    assert case.case_no == f"JD{case.created_at.astimezone(SHANGHAI):%Y%m%d}{case.pk:06d}"


def test_the_materials_of_a_case_follow_its_matter_guide(applicant: User, drainage: Matter) -> None:
    case = case_draft(applicant=applicant)
    assert [(m.requirement_code, m.required, m.status) for m in case.materials.all()] == [
        ("application-form", True, "missing"),
        ("pipe-network-map", True, "missing"),
        ("site-photo", False, "missing"),
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.4 rest", "application/pdf"),
        (JPEG_BYTES, "image/jpeg"),
        (PNG_BYTES, "image/png"),
        (ofd_bytes(), "application/ofd"),
        (ofd_bytes(with_root=False), None),
        (b"GIF89a......", None),
        (b"<html>%PDF-</html>", None),
    ],
)
def test_the_type_is_recognised_from_the_content(content: bytes, expected: str | None) -> None:
    file = SimpleUploadedFile("whatever.pdf", content)
    assert content_type_sniff(file) == expected
    assert file.tell() == 0


def test_the_client_file_name_is_kept_for_display_only() -> None:
    assert original_name_clean("C:\\Users\\张三\\申请表.pdf") == "申请表.pdf"
    assert original_name_clean("../../etc/passwd") == "passwd"
    long_name = original_name_clean("长" * 300 + ".pdf")
    assert len(long_name) == 200 and long_name.endswith(".pdf")


def test_a_material_cannot_be_uploaded_after_submission(applicant: User, drainage: Matter) -> None:
    case = case_submitted(applicant=applicant)
    with pytest.raises(InvalidStateChange):
        services.material_upload(
            actor=applicant,
            case=case,
            requirement_code="site-photo",
            file=SimpleUploadedFile("p.png", PNG_BYTES),
        )


def test_a_lost_idempotency_race_returns_the_winners_case(
    applicant: User, drainage: Matter, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = services.case_create(
        actor=applicant, matter_code="drainage-permit", idempotency_key="race"
    )
    # The loser looked before the winner committed: it saw no record and creates its own case.
    real_lookup = idempotency.idempotent_case
    calls: list[Any] = []

    def first_sees_nothing(**kwargs: Any) -> Case | None:
        calls.append(kwargs)
        return None if len(calls) == 1 else real_lookup(**kwargs)

    monkeypatch.setattr(idempotency, "idempotent_case", first_sees_nothing)
    loser = services.case_create(
        actor=applicant, matter_code="drainage-permit", idempotency_key="race"
    )
    assert loser.pk == winner.pk
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_withdrawing_a_draft_sends_no_notification(applicant: User, drainage: Matter) -> None:
    case = case_draft(applicant=applicant)
    services.case_withdraw(actor=applicant, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert not Notification.objects.filter(case=case).exists()


def test_only_the_applicant_withdraws(applicant: User, outsider: User, drainage: Matter) -> None:
    case = case_submitted(applicant=applicant)
    with pytest.raises(PermissionDenied):
        services.case_withdraw(actor=outsider, case=case)


def test_a_submission_hands_its_rows_to_one_answer_and_later_reads_go_to_the_database(
    applicant: User, clerk: User, drainage: Matter
) -> None:
    case = case_submitted(applicant=applicant)
    services.task_complete(actor=clerk, task=open_task(case, "accept"), decision="accept")
    # Django's related managers hold nothing of the submission's: they read what is now.
    assert sorted(t.kind for t in case.tasks.all()) == ["accept", "review"]
    assert list(case.supplements.all()) == []
    # The answer built from the submission takes its rows once (the accept task it made)…
    handed = selectors.case_tasks_listed(case=case)
    assert [(t.kind, t.state) for t in handed] == [("accept", "open")]
    # … and any later answer reads them.
    fresh = selectors.case_tasks_listed(case=case)
    assert [(t.kind, t.state) for t in fresh] == [("accept", "completed"), ("review", "open")]
