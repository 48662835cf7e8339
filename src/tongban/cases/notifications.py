"""Notifications to applicants and center admins, through an outbox (the Notification table).

A service writes the outbox rows in its own transaction; a background task
(``tongban.cases.tasks.notification_send``) sends each row and retries a failing one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import translation
from django.utils.translation import gettext as _

from tongban.cases.choices import NotificationChannel, NotificationStatus
from tongban.cases.models import Case, Notification, SupplementRequest
from tongban.identity.choices import StaffRole
from tongban.identity.models import User

#: Events the applicant is told about.
APPLICANT_EVENTS = (
    "accepted",
    "rejected",
    "supplement_required",
    "approved",
    "denied",
    "completed",
    "withdrawn",
    "payment_required",
    "issued",
    # 容缺受理: a deferred material is due soon (or today), or overdue.
    "deferral_reminder",
    "deferral_overdue",
)


def _matter_name(case: Case) -> str:
    if case.matter is not None:
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


def _texts(case: Case, event: str) -> tuple[str, str]:
    """(subject, body) of ``event`` in the primary language."""
    values = {
        "case_no": case.case_no or str(case),
        "matter": _matter_name(case),
        "due": case.due_date.isoformat() if case.due_date else "",
        "reason": case.outcome_reason or _("详见办件详情"),
    }
    subjects = {
        "accepted": _("办件%(case_no)s已受理"),
        "rejected": _("办件%(case_no)s不予受理"),
        "supplement_required": _("办件%(case_no)s需要补正材料"),
        "approved": _("办件%(case_no)s准予许可"),
        "denied": _("办件%(case_no)s不予许可"),
        "completed": _("办件%(case_no)s已办结"),
        "withdrawn": _("办件%(case_no)s已撤回"),
        "payment_required": _("办件%(case_no)s待缴费"),
        "issued": _("办件%(case_no)s已出证"),
        "deferral_reminder": _("办件%(case_no)s容缺材料补交提醒"),
        "deferral_overdue": _("办件%(case_no)s容缺材料已逾期"),
    }
    if event == "accepted":
        body = _("您申请的“%(matter)s”（办件编号%(case_no)s）已受理。") % values
        if case.due_date:
            body += _("办结期限为%(due)s。") % values
    elif event == "rejected":
        body = _("您申请的“%(matter)s”（办件编号%(case_no)s）不予受理。理由：%(reason)s") % values
    elif event == "supplement_required":
        body = (
            _(
                "您申请的“%(matter)s”（办件编号%(case_no)s）需要补正，"
                "请一次性补齐以下内容（补正期间办理时限暂停计算）："
            )
            % values
        )
        items = _supplement_lines(case)
        if items:
            body += "\n" + items
    elif event == "approved":
        body = _("您申请的“%(matter)s”（办件编号%(case_no)s）已准予许可。") % values
    elif event == "denied":
        body = _("您申请的“%(matter)s”（办件编号%(case_no)s）不予许可。理由：%(reason)s") % values
    elif event == "payment_required":
        body = (
            _("您申请的“%(matter)s”（办件编号%(case_no)s）需缴纳费用，请登录“我的办件”在线缴费。")
            % values
        )
    elif event == "issued":
        body = (
            _("您申请的“%(matter)s”（办件编号%(case_no)s）已出具电子证照，可在“我的办件”中下载。")
            % values
        )
    elif event in ("deferral_reminder", "deferral_overdue"):
        body = _deferral_body(case, event, values)
    elif event == "completed":
        body = _("您申请的“%(matter)s”（办件编号%(case_no)s）已办结。") % values
    else:
        body = _("您申请的“%(matter)s”（办件编号%(case_no)s）已撤回。") % values
    return subjects[event] % values, body


def _deferral_body(case: Case, event: str, values: dict[str, str]) -> str:
    from tongban.cases.deferral import case_deferred_materials

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


def notify_applicant(*, case: Case, event: str) -> list[Notification]:
    """Queue the applicant's email and SMS about ``event``; they are sent after commit."""
    if event not in APPLICANT_EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _texts(case, event)
        sms_text = _("【通办】") + body
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
            )
        )
    return _queue(rows)


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


def _queue(rows: list[Notification]) -> list[Notification]:
    from tongban.cases.tasks import enqueue_with_transaction, notification_send

    for row in rows:
        row.save()
        enqueue_with_transaction(notification_send, row.pk)
    return rows
