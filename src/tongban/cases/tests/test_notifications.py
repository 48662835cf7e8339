"""Notifications: outbox rows in Chinese, sent by a task, retried, then marked failed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tongban.cases.choices import CaseStatus, NotificationChannel, NotificationStatus
from tongban.cases.models import Case, CaseMaterial, Notification
from tongban.cases.services.notifications import (
    APPLICANT_EVENTS,
    notification_send,
    notify_applicant,
    notify_center_admins,
)
from tongban.cases.tests.test_sla import at, case_make, supplement_make
from tongban.core.sms import LogSmsProvider, OutboxOnlySmsProvider, SmsError, sms_provider
from tongban.identity.models import User

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class FailingSmsProvider:
    """A gateway that is down."""

    def send(self, *, phone: str, text: str) -> str:
        raise SmsError("网关不可用")


class FlakySmsProvider:
    """A gateway that fails once, then works."""

    calls = 0

    def send(self, *, phone: str, text: str) -> str:
        FlakySmsProvider.calls += 1
        if FlakySmsProvider.calls == 1:
            raise SmsError("超时")
        return "flaky-42"


class NotAProvider:
    pass


@pytest.fixture
def case(applicant: User) -> Case:
    applicant.email = "zhangsan@example.cn"
    applicant.save()
    return case_make(
        applicant=applicant,
        submitted_at=at(2026, 3, 2),
        accepted_at=at(2026, 3, 2),
        due_date=at(2026, 3, 9).date(),
        case_no="JD2026000777",
    )


@pytest.mark.parametrize("event", APPLICANT_EVENTS)
def test_every_event_writes_an_email_and_an_sms_in_chinese(case: Case, event: str) -> None:
    rows = notify_applicant(case=case, event=event)
    assert [r.channel for r in rows] == [NotificationChannel.EMAIL, NotificationChannel.SMS]
    email, sms = rows
    assert email.recipient == "zhangsan@example.cn"
    assert sms.recipient == "13800001234"  # the applicant's person record
    for row in rows:
        assert row.status == NotificationStatus.QUEUED
        assert "JD2026000777" in row.body
        assert "食品经营许可" in row.body
        assert "JD2026000777" in row.subject
    assert sms.body.startswith("【通办】")


def test_the_texts_say_what_happened(case: Case) -> None:
    case.outcome_reason = "申请材料不齐全"
    bodies = {event: notify_applicant(case=case, event=event)[0].body for event in APPLICANT_EVENTS}
    assert "已受理" in bodies["accepted"]
    assert "2026-03-09" in bodies["accepted"]
    assert "不予受理" in bodies["rejected"]
    assert "申请材料不齐全" in bodies["rejected"]
    assert "准予许可" in bodies["approved"]
    assert "不予许可" in bodies["denied"]
    assert "已办结" in bodies["completed"]
    assert "已撤回" in bodies["withdrawn"]


def test_a_supplement_notice_lists_every_item_at_once(case: Case) -> None:
    CaseMaterial.objects.create(case=case, requirement_code="application-form", name="申请书")
    supplement = supplement_make(case=case, requested_at=at(2026, 3, 3))
    supplement.items = [
        {"kind": "material", "code": "application-form", "reason": "缺少法定代表人签字"},
        {"kind": "field", "code": "shop_name", "reason": "与营业执照不一致"},
    ]
    supplement.save()
    body = notify_applicant(case=case, event="supplement_required")[0].body
    assert "1. 申请书：缺少法定代表人签字" in body
    assert "2. shop_name：与营业执照不一致" in body
    assert "暂停计算" in body


def test_no_email_address_means_sms_only(case: Case) -> None:
    case.applicant_user.email = ""
    case.applicant_user.save()
    rows = notify_applicant(case=case, event="accepted")
    assert [r.channel for r in rows] == [NotificationChannel.SMS]


def test_it_refuses_an_unknown_event(case: Case) -> None:
    with pytest.raises(ValueError):
        notify_applicant(case=case, event="exploded")
    assert Notification.objects.count() == 0


def test_sending_is_queued_in_the_same_transaction(case: Case) -> None:
    rows = notify_applicant(case=case, event="accepted")
    queued = DBTaskResult.objects.filter(
        task_path="tongban.cases.services.notifications.notification_send"
    )
    assert sorted(r.args_kwargs["args"][0] for r in queued) == sorted(r.pk for r in rows)


def test_the_send_task_sends_the_email_and_marks_it_sent(case: Case) -> None:
    email, sms = notify_applicant(case=case, event="accepted")
    assert notification_send.call(email.pk) == "sent"
    assert notification_send.call(sms.pk) == "sent"
    email.refresh_from_db()
    sms.refresh_from_db()
    assert email.status == NotificationStatus.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhangsan@example.cn"]
    assert "已受理" in mail.outbox[0].body
    assert sms.status == NotificationStatus.SENT
    assert sms.provider_message_id.startswith("log-")


def test_a_sent_notification_is_not_sent_again(case: Case) -> None:
    email, _sms = notify_applicant(case=case, event="accepted")
    notification_send.call(email.pk)
    assert notification_send.call(email.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_a_failing_provider_is_retried_then_the_notification_fails(
    case: Case, settings: Any
) -> None:
    settings.TASKS = IMMEDIATE_TASKS
    settings.SMS_PROVIDER = f"{__name__}.FailingSmsProvider"
    case.applicant_user.email = ""
    case.applicant_user.save()
    (sms,) = notify_applicant(case=case, event="accepted")
    notification_send.enqueue(sms.pk)
    sms.refresh_from_db()
    assert sms.status == NotificationStatus.FAILED
    assert sms.attempts == 3
    assert "网关不可用" in sms.error
    assert sms.sent_at is None


def test_a_provider_that_recovers_is_sent_on_the_retry(case: Case, settings: Any) -> None:
    settings.TASKS = IMMEDIATE_TASKS
    settings.SMS_PROVIDER = f"{__name__}.FlakySmsProvider"
    FlakySmsProvider.calls = 0
    case.applicant_user.email = ""
    case.applicant_user.save()
    (sms,) = notify_applicant(case=case, event="accepted")
    notification_send.enqueue(sms.pk)
    sms.refresh_from_db()
    assert sms.status == NotificationStatus.SENT
    assert sms.attempts == 2
    assert sms.provider_message_id == "flaky-42"


def test_a_retry_is_deferred_when_the_backend_can_defer(case: Case, settings: Any) -> None:
    settings.SMS_PROVIDER = f"{__name__}.FailingSmsProvider"
    case.applicant_user.email = ""
    case.applicant_user.save()
    (sms,) = notify_applicant(case=case, event="accepted")
    assert notification_send.call(sms.pk) == "retry"
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (NotificationStatus.QUEUED, 1)
    # (django-tasks-db stores "no run_after" as the largest date)
    deferred = DBTaskResult.objects.filter(
        run_after__gt=timezone.now() + timedelta(seconds=30),
        run_after__lt=timezone.now() + timedelta(days=1),
    )
    assert [r.args_kwargs["args"] for r in deferred] == [[sms.pk]]


def test_center_admins_get_an_email(center_admin: User, case: Case) -> None:
    center_admin.email = "admin@tongban.example"
    center_admin.save()
    rows = notify_center_admins(subject="测试主题", body="测试内容")
    assert [r.recipient for r in rows] == ["admin@tongban.example"]
    assert rows[0].case is None


def test_the_sms_provider_comes_from_settings(settings: Any) -> None:
    assert isinstance(sms_provider(), LogSmsProvider)
    settings.SMS_PROVIDER = "tongban.cases.sms.OutboxOnlySmsProvider"
    provider = sms_provider()
    assert isinstance(provider, OutboxOnlySmsProvider)
    assert provider.send(phone="13800001234", text="测试").startswith("outbox-")


@pytest.mark.parametrize("path", ["tongban.cases.sms.NoSuchProvider", f"{__name__}.NotAProvider"])
def test_it_refuses_a_bad_sms_provider_setting(settings: Any, path: str) -> None:
    settings.SMS_PROVIDER = path
    with pytest.raises(ImproperlyConfigured):
        sms_provider()


def test_a_withdrawn_draft_without_number_still_gets_a_readable_text(applicant: User) -> None:
    draft = case_make(applicant=applicant, status=CaseStatus.WITHDRAWN, case_no=None)
    (sms,) = notify_applicant(case=draft, event="withdrawn")
    assert "已撤回" in sms.body
