"""Fewer notifications, none lost: a theme tells once per stage, waiting notices go as one.

Issue 10: "one 开办企业 sends 16 SMS". The outbox is drained after each step, as a prompt
worker would, so what is counted is what a phone receives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from tongban.cases.choices import CaseStatus, NotificationChannel, NotificationEvent, TaskState
from tongban.cases.models import Case, Notification, Task
from tongban.cases.services.notifications import (
    notification_send,
    notify_applicant,
    notify_applicant_events,
)
from tongban.cases.tests.test_sla import at, case_make
from tongban.cases.tests.test_themes import (
    _applied,
    _children,
    _decide_all,
    _schema_form,
    _user,
    demo,
)
from tongban.identity.models import User

__all__ = ["demo"]

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]
CITIZEN_PHONE = "13817260431"


def outbox_drain() -> None:
    """Run the send task of every queued notice, oldest first (what the worker does)."""
    queued = Notification.objects.filter(status="queued", attempts=0).order_by("id")
    for pk in list(queued.values_list("pk", flat=True)):
        notification_send.call(pk)


def sms_received(phone: str = CITIZEN_PHONE) -> list[Notification]:
    return list(
        Notification.objects.filter(
            channel=NotificationChannel.SMS, recipient=phone, status="sent"
        ).order_by("id")
    )


def _case_of(applicant: User, **fields: Any) -> Case:
    """An accepted case of ``applicant``, whose phone is known (their SMS are counted)."""
    applicant.phone = "13900001111"
    applicant.save()
    return case_make(
        applicant=applicant, submitted_at=at(2026, 3, 2), accepted_at=at(2026, 3, 2), **fields
    )


def _task_done(client: Client, bearer: Headers, case: Case, kind: str, **body: Any) -> None:
    task = Task.objects.get(case=case, kind=kind, state=TaskState.OPEN)
    user = _user(f"{task.department.code}-{task.role}")
    response = client.post(
        f"/api/v1/tasks/{task.pk}/complete",
        {"comment": "同意", **body},
        content_type="application/json",
        **bearer(user),
    )
    assert response.status_code == 200, response.json()


def test_opening_a_company_tells_acceptance_once_and_the_results_once(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent = _applied(api_client, bearer, "open-company", _schema_form("open-company"))
    outbox_drain()
    children = _children(parent["id"])
    # The three departments accept one after the other: one notice, after the last.
    for child in children:
        _task_done(api_client, bearer, child, "accept", decision="accept")
        outbox_drain()
    accepted = [n for n in sms_received() if "已受理" in n.body]
    assert len(accepted) == 1
    assert "企业设立登记、公章刻制备案、发票申领" in accepted[0].body
    assert parent["case_no"] in accepted[0].body
    for child in children:
        _decide_all(api_client, bearer, child)
        outbox_drain()

    received = sms_received()
    # Before: 15 (each matter's 受理, 准予许可, 出证, 办结, and the theme's own).
    assert len(received) == 3, [n.body for n in received]
    assert not any(child.case_no in n.body for n in received for child in children)
    done = received[-1].body
    assert "已办结" in done and "营业执照" in done and "发票领用核定通知书" in done
    assert done.count("【通办】") == 1
    # Every notice is still on record: the merged ones point at what was sent.
    merged = Notification.objects.filter(status="merged")
    assert all(n.merged_into is not None and n.merged_into.status == "sent" for n in merged)


def test_what_asks_the_applicant_to_act_is_sent_at_once_naming_theme_and_matter(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent = _applied(api_client, bearer, "open-company", _schema_form("open-company"))
    outbox_drain()
    registration = _children(parent["id"])[0]
    assert registration.matter is not None
    assert registration.matter.code == "company-registration"
    before = len(sms_received())
    _task_done(
        api_client,
        bearer,
        registration,
        "accept",
        decision="request_supplement",
        data={"items": [{"kind": "field", "code": "business_scope", "reason": "经营范围不规范"}]},
    )
    outbox_drain()
    received = sms_received()[before:]
    assert len(received) == 1
    assert "开办企业—企业设立登记" in received[0].body
    assert "经营范围不规范" in received[0].body


def test_notices_waiting_for_one_person_go_as_one_message(
    applicant: User, django_assert_num_queries: Any
) -> None:
    case = _case_of(applicant, status=CaseStatus.COMPLETED)
    for event in (
        NotificationEvent.APPROVED,
        NotificationEvent.ISSUED,
        NotificationEvent.COMPLETED,
    ):
        notify_applicant(case=case, event=event)
    first, second, third = Notification.objects.filter(channel="sms").order_by("id")

    assert notification_send.call(first.pk) == "sent"
    # A folded notice's task only reads its status: no lock, no transaction.
    with django_assert_num_queries(1):
        assert notification_send.call(second.pk) == "skipped"
    assert notification_send.call(third.pk) == "skipped"
    assert notification_send.call(first.pk) == "skipped"  # sent already: final
    first.refresh_from_db()
    assert first.body.count("【通办】") == 1
    assert "准予许可" in first.body and "电子证照" in first.body and "已办结" in first.body
    assert first.body.index("准予许可") < first.body.index("已办结")
    assert set(
        Notification.objects.filter(pk__in=[second.pk, third.pk]).values_list(
            "status", "merged_into"
        )
    ) == {("merged", first.pk)}


def test_a_notice_with_a_key_is_queued_once(applicant: User) -> None:
    case = _case_of(applicant)
    assert len(notify_applicant(case=case, event="accepted", key="accepted:1")) == 1
    assert notify_applicant(case=case, event="accepted", key="accepted:1") == []
    assert len(notify_applicant(case=case, event="accepted", key="accepted:2")) == 1
    assert Notification.objects.filter(case=case).count() == 2


def test_a_retried_notice_takes_no_other_in(applicant: User) -> None:
    case = _case_of(applicant)
    [tried] = notify_applicant(case=case, event="accepted")
    Notification.objects.filter(pk=tried.pk).update(attempts=1, error="超时")
    [waiting] = notify_applicant(case=case, event="approved")

    assert notification_send.call(tried.pk) == "sent"
    tried.refresh_from_db()
    assert "准予许可" not in tried.body
    assert notification_send.call(waiting.pk) == "sent"


def test_one_step_s_notices_are_one_insert_and_one_task_a_recipient(applicant: User) -> None:
    applicant.email = "applicant@example.cn"
    case = _case_of(applicant, status=CaseStatus.COMPLETED)
    events = [NotificationEvent.APPROVED, NotificationEvent.ISSUED, NotificationEvent.COMPLETED]
    with CaptureQueriesContext(connection) as queries:
        queued = notify_applicant_events(case=case, events=events)
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 3  # the six notices, then one task for the email and one for the SMS
    assert "cases_notification" in inserts[0]
    # Each event keeps its notices (the record of what the applicant was told).
    assert [(n.event, n.channel) for n in queued] == [
        (event, channel) for event in events for channel in ("email", "sms")
    ]
    tasks = DBTaskResult.objects.filter(
        task_path="tongban.cases.services.notifications.notification_send"
    )
    first_email, first_sms = queued[0], queued[1]
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == [first_email.pk, first_sms.pk]

    for task in tasks:
        assert notification_send.call(task.args_kwargs["args"][0]) == "sent"
    # One message to each: the three events in it, none left waiting.
    [sms] = sms_received("13900001111")
    assert sms.body.count("【通办】") == 1
    assert "准予许可" in sms.body and "电子证照" in sms.body and "已办结" in sms.body
    [email] = mail.outbox
    assert email.to == ["applicant@example.cn"]
    assert "准予许可" in email.body and "已办结" in email.body
    assert not Notification.objects.filter(status="queued").exists()
    assert Notification.objects.filter(status="merged").count() == 4


def _send_tasks() -> list[int]:
    rows = DBTaskResult.objects.filter(
        task_path="tongban.cases.services.notifications.notification_send"
    ).order_by("enqueued_at", "id")
    return [row.args_kwargs["args"][0] for row in rows]


def test_notices_to_one_person_in_one_transaction_share_the_first_ones_task(
    applicant: User,
) -> None:
    case = _case_of(applicant)
    with transaction.atomic():  # a step: its receivers' notice, then the step's own
        [invited] = notify_applicant(case=case, event=NotificationEvent.EVALUATION_INVITED)
        [accepted] = notify_applicant_events(case=case, events=[NotificationEvent.ACCEPTED])
    assert _send_tasks() == [invited.pk]
    assert notification_send.call(invited.pk) == "sent"
    invited.refresh_from_db()
    # The news first, the invitation to rate it after (one message).
    assert invited.body.index("已受理") < invited.body.index("评价")
    accepted.refresh_from_db()
    assert (accepted.status, accepted.merged_into_id) == ("merged", invited.pk)


def test_a_notice_whose_task_was_rolled_back_leaves_the_next_one_its_own_task(
    applicant: User,
) -> None:
    case = _case_of(applicant)
    with transaction.atomic():
        with transaction.atomic():  # a savepoint that fails after queueing
            notify_applicant(case=case, event=NotificationEvent.APPROVED)
            transaction.set_rollback(True)
        [issued] = notify_applicant(case=case, event=NotificationEvent.ISSUED)
    assert list(Notification.objects.values_list("pk", flat=True)) == [issued.pk]
    assert _send_tasks() == [issued.pk]
    assert notification_send.call(issued.pk) == "sent"
    # Another recipient, or a notice without a case, is never left to someone else's task.
    with transaction.atomic():
        applicant.phone = "13900002222"
        applicant.save()
        [other] = notify_applicant(case=case, event=NotificationEvent.COMPLETED)
    assert _send_tasks() == [issued.pk, other.pk]
