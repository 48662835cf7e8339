"""Notifications to applicants and center admins, through an outbox (the Notification table).

A service writes the outbox rows in its own transaction; a background task
(``notification_send`` below) sends each row and retries a failing one.

Fewer messages, none lost:

- the notices still waiting for one person about one application (a theme and its matters
  count as one) go out as one message: an approval, its licence and the case's end, made in
  one step, are one SMS (``_pending_merge``);
- a theme's matter does not report its own acceptance or result: the theme tells once per
  stage (``theme_progress``), so 开办企业 is one "accepted" and one "done", not three of
  each. What asks the applicant to act (补正, 缴费, 容缺) or a matter that failed is told at once,
  naming the theme and the matter;
- a notice with a ``key`` is queued once per case and recipient (a repeated event, a retried
  step send nothing again).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from tongban.cases.choices import NotificationChannel, NotificationEvent, NotificationStatus
from tongban.cases.models import Case, Notification, SupplementRequest
from tongban.cases.rules import case_deferred_materials
from tongban.core.prepared import Param, Prepared, PreparedRows, PreparedSave
from tongban.core.sms import sms_provider
from tongban.core.tasks import enqueue_with_transaction
from tongban.identity.choices import StaffRole
from tongban.identity.models import User

logger = logging.getLogger(__name__)

#: Seconds before the n-th retry of a failed notification (n = attempts so far).
RETRY_DELAY_SECONDS = 60

#: Events the applicant is told about (every ``NotificationEvent``).
APPLICANT_EVENTS = tuple(NotificationEvent.values)
#: A theme's matter does not report these itself: its theme tells once per stage and at the end.
THEME_FOLDED_EVENTS = frozenset(
    {
        NotificationEvent.ACCEPTED,
        NotificationEvent.APPROVED,
        NotificationEvent.ISSUED,
        NotificationEvent.COMPLETED,
    }
)


def sms_signature() -> str:
    """What starts an SMS: the district's signature (one merged message carries it once)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("【通办】")


def matter_name(case: Case) -> str:
    """What a message calls the case: its matter's or theme's name (the district's language).

    A theme's matter is named with its theme ("开办企业—企业设立登记"): the applicant applied
    for the theme.
    """
    if case.matter is not None:
        if case.parent_id is not None:
            theme = Case.objects.filter(pk=case.parent_id).values_list("theme__name", flat=True)
            name = theme.first()
            if name:
                return f"{name}—{case.matter.name}"
        return case.matter.name
    if case.theme is not None:
        return case.theme.name
    return _("政务服务事项")


def _item_name(case: Case, item: dict[str, Any]) -> str:
    code = str(item.get("code", ""))
    if item.get("kind") == "material":
        material = case.materials.filter(requirement_code=code).first()
        return material.name if material is not None else code
    guide = case.matter_version.guide if case.matter_version is not None else {}
    properties = (guide.get("form_schema") or {}).get("properties") or {}
    title = (properties.get(code) or {}).get("title")
    return str(title) if title else code


def _supplement_lines(case: Case) -> str:
    supplement = (
        SupplementRequest.objects.filter(case=case).order_by("-requested_at", "-pk").first()
    )
    if supplement is None:
        return ""
    lines = []
    for number, item in enumerate(supplement.items or [], start=1):
        reason = str(item.get("reason", "")).strip()
        name = _item_name(case, item)
        lines.append(f"{number}. {name}：{reason}" if reason else f"{number}. {name}")
    return "\n".join(lines)


def _subjects() -> dict[str, str]:
    return {
        NotificationEvent.ACCEPTED: _("办件%(case_no)s已受理"),
        NotificationEvent.REJECTED: _("办件%(case_no)s不予受理"),
        NotificationEvent.SUPPLEMENT_REQUIRED: _("办件%(case_no)s需要补正材料"),
        NotificationEvent.APPROVED: _("办件%(case_no)s准予许可"),
        NotificationEvent.DENIED: _("办件%(case_no)s不予许可"),
        NotificationEvent.COMPLETED: _("办件%(case_no)s已办结"),
        NotificationEvent.WITHDRAWN: _("办件%(case_no)s已撤回"),
        NotificationEvent.PAYMENT_REQUIRED: _("办件%(case_no)s待缴费"),
        NotificationEvent.PAYMENT_FAILED: _("办件%(case_no)s缴费未成功"),
        NotificationEvent.ISSUED: _("办件%(case_no)s已出证"),
        NotificationEvent.DEFERRAL_REMINDER: _("办件%(case_no)s容缺材料补交提醒"),
        NotificationEvent.DEFERRAL_OVERDUE: _("办件%(case_no)s容缺材料已逾期"),
        NotificationEvent.EVALUATION_INVITED: _("请评价办件%(case_no)s的办理服务"),
        NotificationEvent.EVALUATION_ANSWERED: _("办件%(case_no)s差评的核实整改答复"),
    }


def _body(case: Case, event: str, values: dict[str, str]) -> str:
    if event == NotificationEvent.ACCEPTED:
        body = _("您申请的“%(matter)s”（办件编号%(case_no)s）已受理。") % values
        if case.due_date:
            body += _("办结期限为%(due)s。") % values
        return body
    if event == NotificationEvent.SUPPLEMENT_REQUIRED:
        body = (
            _(
                "您申请的“%(matter)s”（办件编号%(case_no)s）需要补正，"
                "请一次性补齐以下内容（补正期间办理时限暂停计算）："
            )
            % values
        )
        items = _supplement_lines(case)
        return body + "\n" + items if items else body
    if event in (NotificationEvent.DEFERRAL_REMINDER, NotificationEvent.DEFERRAL_OVERDUE):
        return _deferral_body(case, event, values)
    bodies: dict[str, str] = {
        NotificationEvent.REJECTED: _(
            "您申请的“%(matter)s”（办件编号%(case_no)s）不予受理。理由：%(reason)s"
        ),
        NotificationEvent.APPROVED: _("您申请的“%(matter)s”（办件编号%(case_no)s）已准予许可。"),
        NotificationEvent.DENIED: _(
            "您申请的“%(matter)s”（办件编号%(case_no)s）不予许可。理由：%(reason)s"
        ),
        NotificationEvent.PAYMENT_REQUIRED: _(
            "您申请的“%(matter)s”（办件编号%(case_no)s）需缴纳费用，请登录“我的办件”在线缴费。"
        ),
        NotificationEvent.PAYMENT_FAILED: _(
            "您申请的“%(matter)s”（办件编号%(case_no)s）缴费未成功，未扣款。"
            "请登录“我的办件”重新缴费。"
        ),
        NotificationEvent.ISSUED: _(
            "您申请的“%(matter)s”（办件编号%(case_no)s）已出具电子证照，可在“我的办件”中下载。"
        ),
        NotificationEvent.COMPLETED: _("您申请的“%(matter)s”（办件编号%(case_no)s）已办结。"),
        NotificationEvent.WITHDRAWN: _("您申请的“%(matter)s”（办件编号%(case_no)s）已撤回。"),
        NotificationEvent.EVALUATION_INVITED: _(
            "您申请的“%(matter)s”（办件编号%(case_no)s）有一个办理环节可以评价，"
            "欢迎对本次服务作出评价（好差评）："
        ),
        NotificationEvent.EVALUATION_ANSWERED: _(
            "您对“%(matter)s”（办件编号%(case_no)s）的评价已由承办部门核实整改，答复如下："
        ),
    }
    return bodies[event] % values


def _texts(case: Case, event: str) -> tuple[str, str]:
    """(subject, body) of ``event`` in the primary language."""
    values = {
        "case_no": case.case_no or str(case),
        "matter": matter_name(case),
        "due": case.due_date.isoformat() if case.due_date else "",
        "reason": case.outcome_reason or _("详见办件详情"),
    }
    return _subjects()[event] % values, _body(case, event, values)


def _deferral_body(case: Case, event: str, values: dict[str, str]) -> str:
    items = "、".join(
        _("“%(name)s”（%(until)s前）")
        % {"name": m.name, "until": m.deferred_until.isoformat() if m.deferred_until else "—"}
        for m in case_deferred_materials(case=case)
    )
    if event == "deferral_overdue":
        return _(
            "您申请的“%(matter)s”（办件编号%(case_no)s）容缺材料已超过补交期限：%(items)s。"
            "证照暂缓发放，请尽快补交。"
        ) % {**values, "items": items}
    return _(
        "您申请的“%(matter)s”（办件编号%(case_no)s）有容缺材料待补交：%(items)s。"
        "请按期在“我的办件”中上传，补齐后即发放证照。"
    ) % {**values, "items": items}


def _applicant_phone(case: Case) -> str:
    user = case.applicant_user
    if user.phone:
        return user.phone
    person = case.applicant_person or getattr(user, "person", None)
    return person.phone if person is not None else ""


def notify_applicant(
    *, case: Case, event: str, detail: str = "", key: str = ""
) -> list[Notification]:
    """Queue the applicant's email and SMS about ``event``; they are sent after commit.

    ``detail`` (a link to a page, an answer) is added to the message on a line of its own.
    With a ``key``, the notice is queued once per case and recipient: a second call with the
    same key queues nothing. A theme's matter does not report ``THEME_FOLDED_EVENTS``.
    """
    if not _told(case, event) or (key and Notification.objects.filter(case=case, key=key).exists()):
        return []
    return _queue(_applicant_rows(case, event, detail=detail, key=key))


def notify_applicant_events(*, case: Case, events: list[str]) -> list[Notification]:
    """Queue the applicant's notices about each of ``events``, which one step caused.

    Each event keeps its own notices (as ``notify_applicant``), written in one statement;
    a recipient's notices share one outbox task (``_queue``), so one step is one message to
    each person.
    """
    told = [event for event in events if _told(case, event)]
    return _queue([row for event in told for row in _applicant_rows(case, event)])


def _told(case: Case, event: str) -> bool:
    """Whether the applicant is told of ``event`` of ``case`` (a theme's matter does not report
    ``THEME_FOLDED_EVENTS``); an unknown event is refused."""
    if event not in APPLICANT_EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    return case.parent_id is None or event not in THEME_FOLDED_EVENTS


def _applicant_rows(
    case: Case, event: str, *, detail: str = "", key: str = ""
) -> list[Notification]:
    """The applicant's notices about ``event``, not saved: an email and an SMS (if known)."""
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _texts(case, event)
        if detail:
            body = f"{body}\n{detail}"
        sms_text = sms_signature() + body
    rows: list[Notification] = []
    email = case.applicant_user.email
    if email:
        rows.append(
            Notification(
                case=case,
                channel=NotificationChannel.EMAIL,
                recipient=email,
                subject=subject,
                body=body,
                event=event,
                key=key,
            )
        )
    phone = _applicant_phone(case)
    if phone:
        rows.append(
            Notification(
                case=case,
                channel=NotificationChannel.SMS,
                recipient=phone,
                subject=subject,
                body=sms_text,
                event=event,
                key=key,
            )
        )
    return rows


def notify_phone(*, case: Case, phone: str, subject: str, body: str) -> list[Notification]:
    """Queue one SMS about ``case`` to someone other than its applicant (another party of a
    multi-party application); texts already in the district's language."""
    if not phone:
        return []
    return _queue(
        [
            Notification(
                case=case,
                channel=NotificationChannel.SMS,
                recipient=phone,
                subject=subject,
                body=sms_signature() + body,
            )
        ]
    )


def notify_center_admins(*, subject: str, body: str) -> list[Notification]:
    """Queue an email to every active center admin (中心管理员) who has an address."""
    group = Group.objects.filter(name=StaffRole.CENTER_ADMIN).first()
    admins = (
        User.objects.filter(groups=group, is_active=True).exclude(email="").order_by("pk")
        if group is not None
        else User.objects.none()
    )
    rows = [
        Notification(
            channel=NotificationChannel.EMAIL, recipient=admin.email, subject=subject, body=body
        )
        for admin in admins
    ]
    if not rows:
        # Kept anyway, so the admin site shows it and the message is not produced again.
        with translation.override(settings.LANGUAGE_CODE):
            error = _("没有设置电子邮箱的中心管理员")
        Notification.objects.create(
            channel=NotificationChannel.EMAIL,
            recipient="",
            subject=subject,
            body=body,
            status=NotificationStatus.FAILED,
            error=error,
        )
        return []
    return _queue(rows)


#: A queued notification's INSERT, compiled once (core/prepared.py).
_NOTIFICATION_SAVE = PreparedSave(Notification)


def _queue(rows: list[Notification]) -> list[Notification]:
    """Save ``rows`` (those without a key in one statement) and enqueue their sending.

    The notices about one case to one recipient that one transaction queues share one task,
    that of the first: they commit together, and that task folds the others into its message
    (``_pending_merge`` folds every queued notice to the same person about the same
    application). A notice without a case is not folded, so it has a task of its own.
    """
    queued: list[Notification] = []
    for row in rows:
        if row.key:
            try:
                with transaction.atomic():
                    _NOTIFICATION_SAVE.save(row)
            except IntegrityError:
                continue  # queued once already (notification_once_per_key)
            queued.append(row)
    plain = [row for row in rows if not row.key]
    queued.extend(_NOTIFICATION_SAVE.bulk_create(plain))
    sending = _groups_sending()
    for row in queued:
        group = (row.case_id, row.channel, row.recipient) if row.case_id else (row.pk,)
        if group in sending:
            continue
        sending.add(group)
        enqueue_with_transaction(notification_send, row.pk)
        transaction.on_commit(_Sending(group))
    return queued


class _Sending:
    """Marks, among the transaction's commit callbacks, a group whose first notice has its
    task queued in this transaction.

    Django keeps these callbacks per transaction and drops those of a savepoint rolled back:
    a marker present means the notice with the task is still part of the transaction (a
    later notice of the group commits or rolls back with it). It does nothing at commit.
    """

    __slots__ = ("group",)

    def __init__(self, group: tuple[object, ...]) -> None:
        self.group = group

    def __call__(self) -> None:
        return None


def _groups_sending() -> set[tuple[object, ...]]:
    """The groups whose sending this transaction has queued already (see ``_Sending``)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return set()
    return {
        func.group
        for _sids, func, _robust in connection.run_on_commit
        if isinstance(func, _Sending)
    }


# --- sending (the outbox's task) ------------------------------------------------------------


def _send(notification: Notification) -> str:
    if notification.channel == NotificationChannel.EMAIL:
        send_mail(
            notification.subject,
            notification.body,
            None,
            [notification.recipient],
            fail_silently=False,
        )
        return ""
    return sms_provider().send(phone=notification.recipient, text=notification.body)


def _merged_text(first: str, rest: list[str], *, signature: str) -> str:
    parts = [first, *(text.removeprefix(signature) for text in rest)]
    return "\n".join(parts)


def _merged_subject(subjects: list[str]) -> str:
    unique = list(dict.fromkeys(s for s in subjects if s))
    subject = "；".join(unique)
    return subject if len(subject) <= 200 else subject[:199] + "…"


# The outbox task's reads, compiled once (core/prepared.py): every notice queued runs one
# task, also the many that another's task has folded in by then.
_NOTICE_PK = Param("pk", Notification._meta.pk)
_NOTICE_STATUS = PreparedRows(
    lambda: Notification.objects.filter(pk=_NOTICE_PK).values_list("status")
)
_NOTICE_LOCKED = Prepared(lambda: Notification.objects.select_for_update().filter(pk=_NOTICE_PK))
_CASE_PARENT = PreparedRows(
    lambda: Case.objects.filter(pk=Param("pk", Case._meta.pk)).values_list("parent_id")
)
_NOTICES_TO_FOLD = Prepared(
    lambda: (
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            Q(case_id=Param("root", Case._meta.pk))
            | Q(case__parent_id=Param("root", Case._meta.pk))
        )
        .filter(
            channel=Param("channel"),
            recipient=Param("recipient"),
            status=NotificationStatus.QUEUED,
            attempts=0,
        )
        .exclude(pk=_NOTICE_PK)
        .order_by("id")
    )
)


def _pending_merge(notification_id: int) -> Notification | None:
    """Lock the notice and fold into it the others still waiting for the same person about
    the same application (a theme with its matters is one); ``None`` if it is not to be sent.

    Only notices never tried are folded, and each is locked first (a notice another worker
    holds is left to it), so no text is sent twice or lost. A notice no longer queued (sent,
    failed for good, folded into another) is left after one read without a transaction:
    nothing puts a notice back in the queue.
    """
    status = _NOTICE_STATUS.all(pk=notification_id)
    if not status or status[0][0] != NotificationStatus.QUEUED:
        return None
    with transaction.atomic():
        notification = _NOTICE_LOCKED.first(pk=notification_id)
        if notification is None or notification.status != NotificationStatus.QUEUED:
            return None
        if notification.attempts or notification.case_id is None:
            return notification
        parent = _CASE_PARENT.all(pk=notification.case_id)
        root_id = (parent[0][0] if parent else None) or notification.case_id
        others = _NOTICES_TO_FOLD.all(
            root=root_id,
            channel=notification.channel,
            recipient=notification.recipient,
            pk=notification.pk,
        )
        if not others:
            return notification
        # An invitation to rate (好差评) comes after the news it asks about.
        rows = sorted(
            [notification, *others],
            key=lambda row: (row.event == NotificationEvent.EVALUATION_INVITED, row.pk),
        )
        signature = sms_signature() if notification.channel == NotificationChannel.SMS else ""
        notification.body = _merged_text(
            rows[0].body, [row.body for row in rows[1:]], signature=signature
        )
        notification.subject = _merged_subject([row.subject for row in rows])
        notification.save(update_fields=["body", "subject", "updated_at"])
        Notification.objects.filter(pk__in=[row.pk for row in others]).update(
            status=NotificationStatus.MERGED, merged_into=notification, updated_at=timezone.now()
        )
        return notification


@task()
def notification_send(notification_id: int) -> str:
    """Send one queued notification; retry a failure up to NOTIFICATION_MAX_ATTEMPTS in all.

    The other notices waiting for the same person about the same application go with it.
    """
    notification = _pending_merge(notification_id)
    if notification is None:
        return "skipped"
    notification.attempts += 1
    try:
        notification.provider_message_id = _send(notification)[:100]
    except Exception as exc:
        notification.error = f"{type(exc).__name__}: {exc}"[:300]
        retry = notification.attempts < settings.NOTIFICATION_MAX_ATTEMPTS
        if not retry:
            notification.status = NotificationStatus.FAILED
        notification.save(update_fields=["attempts", "error", "status", "updated_at"])
        logger.warning(
            "notification %s attempt %s failed: %s",
            notification.pk,
            notification.attempts,
            notification.error,
        )
        if retry:
            later = notification_send
            if later.get_backend().supports_defer:
                delay = RETRY_DELAY_SECONDS * notification.attempts
                later = later.using(run_after=timezone.now() + timedelta(seconds=delay))
            later.enqueue(notification.pk)
            return "retry"
        return "failed"
    notification.status = NotificationStatus.SENT
    notification.sent_at = timezone.now()
    notification.error = ""
    notification.save(
        update_fields=[
            "attempts",
            "status",
            "sent_at",
            "provider_message_id",
            "error",
            "updated_at",
        ]
    )
    return "sent"
