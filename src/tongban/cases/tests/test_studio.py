"""The process studio through the cases services: four eyes, and versions of running cases."""

from __future__ import annotations

import pytest

from tongban.cases import services
from tongban.cases.models import Case
from tongban.cases.services.studio import (
    process_version_approve,
    process_version_reject,
    process_version_upload,
)
from tongban.cases.tests.factories import case_submitted, open_task
from tongban.catalog.models import Matter
from tongban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tongban.identity.models import User
from tongban.workflow import engine
from tongban.workflow.choices import DefinitionStatus
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.tests.test_studio import _fail_goes_to_denied

pytestmark = pytest.mark.django_db


def _source(name: str = "standard_approval") -> bytes:
    return (engine.PROCESS_DIR / f"{name}.bpmn").read_bytes()


def _upload(actor: User) -> ProcessDefinition:
    return process_version_upload(
        actor=actor,
        name="standard_approval",
        source=_fail_goes_to_denied().encode(),
        note="审查不通过直接不予许可",
    )


def _definition_of(case: Case) -> ProcessDefinition:
    case.refresh_from_db()
    assert case.process is not None
    return case.process.definition


def _review_fail(case: Case, reviewer: User) -> None:
    services.task_complete(
        actor=reviewer, task=open_task(case, "review"), decision="fail", comment="不符合条件"
    )


def test_a_version_is_published_only_when_a_second_admin_approves_it(
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    center_admin: User,
    second_admin: User,
    drainage: Matter,
) -> None:
    running = case_submitted(applicant=applicant)
    old = _definition_of(running)
    services.task_complete(actor=clerk, task=open_task(running, "accept"), decision="accept")

    candidate = _upload(center_admin)
    assert candidate.status == DefinitionStatus.VALIDATED and candidate.published_at is None
    assert candidate.version == old.version + 1 and candidate.based_on_id == old.pk
    assert candidate.uploaded_by_id == center_admin.pk
    assert candidate.validation_report["ok"] is True
    assert candidate.dry_run_report["replayed"] == 1
    # Not yet published: a new case still starts on the old version.
    assert _definition_of(case_submitted(applicant=applicant)) == old

    with pytest.raises(PermissionDenied, match="不能审批自己上传的版本"):
        process_version_approve(actor=center_admin, name="standard_approval", version=2)
    candidate.refresh_from_db()
    assert candidate.status == DefinitionStatus.VALIDATED and candidate.reviewed_by is None

    published = process_version_approve(
        actor=second_admin, name="standard_approval", version=2, comment="同意"
    )
    assert published.status == DefinitionStatus.PUBLISHED and published.published_at
    assert (published.reviewed_by, published.review_comment) == (second_admin, "同意")
    with pytest.raises(Conflict):
        process_version_approve(actor=second_admin, name="standard_approval", version=2)

    # New cases take the new version; the running one completes on its own.
    new = case_submitted(applicant=applicant)
    assert _definition_of(new) == published
    services.task_complete(actor=clerk, task=open_task(new, "accept"), decision="accept")
    _review_fail(new, reviewer)
    new.refresh_from_db()
    assert new.process is not None and new.process.end_event == "denied"
    assert not new.tasks.filter(kind="decide").exists()

    _review_fail(running, reviewer)
    assert _definition_of(running) == old
    services.task_complete(
        actor=approver, task=open_task(running, "decide"), decision="deny", comment="不符合条件"
    )
    running.refresh_from_db()
    assert running.process is not None and running.process.end_event == "denied"
    assert running.process.definition == old


def test_only_a_center_admin_uploads(clerk: User, drainage: Matter) -> None:
    with pytest.raises(PermissionDenied):
        _upload(clerk)
    assert not ProcessDefinition.objects.filter(uploaded_by__isnull=False).exists()


def test_an_invalid_upload_is_refused_and_nothing_is_stored(
    center_admin: User, drainage: Matter
) -> None:
    before = ProcessDefinition.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        process_version_upload(
            actor=center_admin,
            name="standard_approval",
            source=_source().replace(b'decision == "deny"', b"__import__('os')"),
        )
    assert [e.field for e in caught.value.errors] == ["flow_decide_denied"]
    assert ProcessDefinition.objects.count() == before
    assert not ProcessDefinition.objects.filter(uploaded_by__isnull=False).exists()


def test_an_unknown_process_and_the_same_content_are_refused(center_admin: User) -> None:
    with pytest.raises(NotFound):
        process_version_upload(actor=center_admin, name="nonexistent", source=_source())
    with pytest.raises(Conflict, match="完全相同"):
        process_version_upload(actor=center_admin, name="standard_approval", source=_source())


def test_a_rejected_version_can_never_be_published(
    center_admin: User, second_admin: User, drainage: Matter
) -> None:
    _upload(center_admin)
    with pytest.raises(ValidationFailed):
        process_version_reject(actor=second_admin, name="standard_approval", version=2, comment="")
    rejected = process_version_reject(
        actor=second_admin, name="standard_approval", version=2, comment="分支有误"
    )
    assert rejected.status == DefinitionStatus.REJECTED
    with pytest.raises(Conflict):
        process_version_approve(actor=second_admin, name="standard_approval", version=2)
    assert engine.process_definition_get("standard_approval").version == 1


def test_a_version_checked_against_a_superseded_one_cannot_be_published(
    center_admin: User, second_admin: User, drainage: Matter
) -> None:
    first = _upload(center_admin)
    later = process_version_upload(
        actor=center_admin,
        name="standard_approval",
        source=_source().replace("决定".encode(), "审批决定".encode()),
    )
    process_version_approve(actor=second_admin, name="standard_approval", version=first.version)
    with pytest.raises(Conflict, match="重新上传"):
        process_version_approve(actor=second_admin, name="standard_approval", version=later.version)


def test_a_decision_table_version_takes_over_when_published(
    center_admin: User, second_admin: User
) -> None:
    source = (engine.PROCESS_DIR / "credit_route.dmn").read_bytes()
    changed = source.replace(
        '<outputEntry id="rule_8_reason"><text>"事项不适用告知承诺"</text>'.encode(),
        '<outputEntry id="rule_8_reason"><text>"本事项不适用告知承诺"</text>'.encode(),
    )
    context = {
        "joint_punishment": False,
        "key_supervision": False,
        "red": False,
        "level": "",
        "has_records": False,
        "commitment_eligible": False,
    }
    assert engine.decision_evaluate(name="credit_route", context=context)["reason"] == (
        "事项不适用告知承诺"
    )
    candidate = process_version_upload(actor=center_admin, name="credit_route", source=changed)
    assert candidate.kind == "dmn" and candidate.dry_run_report == {}
    process_version_approve(actor=second_admin, name="credit_route", version=candidate.version)
    assert engine.decision_evaluate(name="credit_route", context=context)["reason"] == (
        "本事项不适用告知承诺"
    )
    unknown = source.replace(b'<text>"normal"</text>', b'<text>"lenient"</text>', 1)
    with pytest.raises(ValidationFailed, match="1"):
        process_version_upload(actor=center_admin, name="credit_route", source=unknown)
