"""A theme's progress: each child's status on the parent, the stages, the failure policy, the end.

Every function runs inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import (
    FINAL_STATUSES,
    CaseStatus,
    NotificationEvent,
    SupplementState,
    TaskState,
    TimelineAction,
)
from tongban.cases.hooks import CaseEvent, case_event
from tongban.cases.models import Case, TimelineEntry
from tongban.cases.rules import (
    is_theme_parent,
    theme_has_combined_licence,
)
from tongban.cases.services.common import timeline_add
from tongban.cases.services.notifications import notify_applicant
from tongban.cases.services.theme_parts import (
    FAILURE_STATUSES,
    SUCCESS_STATUSES,
    child_matter_name,
    child_submit,
    theme_children,
)
from tongban.catalog.choices import ThemeChildFailure
from tongban.catalog.models import localized
from tongban.certificates.combined import combined_licence_issue
from tongban.certificates.hooks import CertificateReissued
from tongban.certificates.models import Certificate
from tongban.certificates.pdf import verify_url
from tongban.workflow.models import ProcessInstance

# --- progress --------------------------------------------------------------------------------


def _ended_well(child: Case, combined: bool) -> bool:
    if child.status in SUCCESS_STATUSES:
        return True
    return combined and child.status == CaseStatus.APPROVED


def _ended(child: Case, combined: bool) -> bool:
    return child.status in FINAL_STATUSES or _ended_well(child, combined)


def _child_stop(child: Case, *, reason: str, now: datetime) -> None:
    """End a child that can no longer go on (a sibling failed, or the theme was withdrawn)."""
    child.tasks.filter(state=TaskState.OPEN).update(state=TaskState.CANCELLED, updated_at=now)
    child.supplements.filter(state=SupplementState.OPEN).update(
        state=SupplementState.CANCELLED, updated_at=now
    )
    child.status = CaseStatus.WITHDRAWN
    child.withdrawn_at = now
    child.outcome_reason = reason
    child.save()
    if child.process_id is not None:
        # The process is abandoned where it stands; its timers must not fire any more.
        ProcessInstance.objects.filter(pk=child.process_id).update(next_timer_at=None)
    timeline_add(child, at=now, action=TimelineAction.WITHDRAWN, step=_("停止办理"), comment=reason)


def _progress_record(parent: Case, child: Case, now: datetime) -> None:
    prefix = f"{child_matter_name(child)}："
    recorded = parent.timeline.filter(action=TimelineAction.CHILD_STATUS, step__startswith=prefix)
    status = CaseStatus(child.status)
    accepted = f"{prefix}{CaseStatus.ACCEPTED.label}"
    if status == CaseStatus.UNDER_REVIEW and not recorded.filter(step=accepted).exists():
        # Acceptance moves a case straight on to review: the applicant is told it was accepted.
        status = CaseStatus.ACCEPTED
    step = f"{prefix}{status.label}"
    last = recorded.order_by("-at", "-id").first()
    if last is not None and last.step == step:
        return
    timeline_add(
        parent,
        at=now,
        action=TimelineAction.CHILD_STATUS,
        step=step,
        comment=child.outcome_reason if child.status in FAILURE_STATUSES else "",
        department=child.department,
    )


def theme_child_refresh(*, child: Case, now: datetime | None = None) -> None:
    """A child's status changed: record it on the parent, apply the stages and the failure policy.

    Called by every service that changes a child's status, after it saved the child.
    """
    if child.parent_id is None:
        return
    now = now or timezone.now()
    parent = (
        Case.objects.select_for_update(of=("self",)).select_related("theme").get(pk=child.parent_id)
    )
    if parent.status in FINAL_STATUSES:
        return
    assert parent.theme is not None
    theme = parent.theme
    combined = theme_has_combined_licence(parent)
    _progress_record(parent, child, now)

    failed = child.status in (CaseStatus.REJECTED, CaseStatus.DENIED)
    if failed and theme.on_child_failure == ThemeChildFailure.STOP:
        reason = _("因“%(matter)s”%(status)s（%(reason)s），本事项停止办理") % {
            "matter": child_matter_name(child),
            "status": CaseStatus(child.status).label,
            "reason": child.outcome_reason or _("未说明理由"),
        }
        for sibling in theme_children(parent):
            if sibling.pk != child.pk and not _ended(sibling, combined):
                _child_stop(sibling, reason=reason, now=now)
                _progress_record(parent, sibling, now)

    children = theme_children(parent)
    _next_stage_start(parent, children, combined, now)
    children = theme_children(parent)
    if parent.status == CaseStatus.SUBMITTED and any(c.accepted_at for c in children):
        parent.status = CaseStatus.UNDER_REVIEW
        parent.accepted_at = min(c.accepted_at for c in children if c.accepted_at)
        parent.save(update_fields=["status", "accepted_at", "updated_at"])
    if parent.status != CaseStatus.DRAFT:
        _stages_accepted_tell(parent, children)
    if all(_ended(c, combined) for c in children):
        _parent_end(parent, children, combined, now)


def _stages_accepted_tell(parent: Case, children: list[Case]) -> None:
    """Tell the applicant once per stage that its matters were accepted.

    A stage is told when each of its started matters has been accepted or has ended (a
    rejection was told at once); its matters do not tell their own acceptance.
    """
    started = [c for c in children if c.status != CaseStatus.DRAFT]
    for stage in sorted({c.stage for c in started}):
        matters = [c for c in started if c.stage == stage]
        if any(c.accepted_at is None and c.status not in FINAL_STATUSES for c in matters):
            continue
        accepted = [child_matter_name(c) for c in matters if c.accepted_at is not None]
        if accepted:
            notify_applicant(
                case=parent,
                event=NotificationEvent.ACCEPTED,
                detail=_("已受理的事项：%(matters)s") % {"matters": "、".join(accepted)},
                key=f"accepted:{stage}",
            )


def _results_line(parent: Case) -> str:
    """The results a theme's applicant is told about at its end: the licences issued."""
    names = (
        Certificate.objects.filter(Q(case=parent) | Q(case__parent=parent))
        .order_by("id")
        .values_list("certificate_type__name", flat=True)
    )
    if not names:
        return ""
    return _("办理结果：%(results)s，可在“我的证照”中查看和下载。") % {"results": "、".join(names)}


def _next_stage_start(parent: Case, children: list[Case], combined: bool, now: datetime) -> None:
    waiting = [c for c in children if c.status == CaseStatus.DRAFT]
    if not waiting:
        return
    stage = min(c.stage for c in waiting)
    earlier = [c for c in children if c.stage < stage]
    if not all(_ended(c, combined) for c in earlier):
        return
    failed = [c for c in earlier if not _ended_well(c, combined)]
    commitment = {"signed": True} if parent.commitment_signed_at else None
    for child in waiting:
        if child.stage != stage:
            continue
        if failed:
            # The law orders these matters: without the earlier result this one cannot go on.
            _child_stop(
                child,
                reason=_("前序事项“%(matter)s”未办结，本事项不再办理")
                % {"matter": "、".join(child_matter_name(c) for c in failed)},
                now=now,
            )
        else:
            child_submit(child, parent.applicant_user, now, commitment)
        _progress_record(parent, child, now)
    if failed:
        # Later stages cannot start either.
        _next_stage_start(parent, theme_children(parent), combined, now)


def _parent_end(parent: Case, children: list[Case], combined: bool, now: datetime) -> None:
    reasons = [
        f"{child_matter_name(c)}：{c.outcome_reason}"
        for c in children
        if c.status in FAILURE_STATUSES and c.outcome_reason
    ]
    approved = [c for c in children if _ended_well(c, combined)]
    if combined and approved:
        certificate = combined_licence_issue(parent=parent, children=approved, now=now)
        parent.status = CaseStatus.ISSUED
        timeline_add(
            parent,
            at=now,
            action=TimelineAction.ISSUED,
            step=_("已出证"),
            comment=_("综合许可证编号 %(no)s，载明 %(n)s 个许可项目")
            % {"no": certificate.number, "n": len(approved)},
            department=certificate.issuer,
        )
        for child in approved:
            child.status = CaseStatus.COMPLETED
            child.completed_at = now
            child.save(update_fields=["status", "completed_at", "updated_at"])
            timeline_add(
                child,
                at=now,
                action=TimelineAction.COMPLETED,
                step=_("办结"),
                comment=_("已载入综合许可证 %(no)s") % {"no": certificate.number},
            )
            _progress_record(parent, child, now)
    parent.decided_at = now
    parent.completed_at = now
    parent.outcome_reason = "；".join(reasons)
    if approved:
        parent.status = CaseStatus.COMPLETED
        event = "completed"
        summary = _("%(ok)s 个事项已办结") % {"ok": len(approved)}
        if reasons:
            summary += _("，%(n)s 个事项未办成") % {"n": len(reasons)}
    else:
        statuses = {c.status for c in children}
        parent.status = next(
            (s for s in (CaseStatus.DENIED, CaseStatus.REJECTED) if s in statuses),
            CaseStatus.WITHDRAWN,
        )
        event = str(parent.status)
        summary = _("所有事项均未办成")
    parent.save()
    timeline_add(parent, at=now, action=event, step=_("办结"), comment=summary)
    results = _results_line(parent)
    notify_applicant(
        case=parent, event=event, detail=f"{summary}。{results}" if results else f"{summary}。"
    )


def theme_case_withdrawn(*, case: Case, now: datetime, reason: str = "") -> None:
    """After a withdrawal: a withdrawn parent ends its children; a withdrawn child is progress."""
    if is_theme_parent(case):
        stop_reason = _("主题申请已撤回") + (f"：{reason}" if reason else "")
        for child in theme_children(case):
            if child.status not in FINAL_STATUSES:
                _child_stop(child, reason=stop_reason, now=now)
        return
    theme_child_refresh(child=case, now=now)


# --- what the pages and the API show ---------------------------------------------------------


def theme_children_view(*, case: Case) -> list[dict[str, Any]]:
    """The children of a theme parent with their departments, statuses and certificates."""
    if not is_theme_parent(case):
        return []
    return [
        {
            "id": child.pk,
            "case_no": child.case_no,
            "matter": {"code": child.matter.code, "name": localized(child.matter, "name")}
            if child.matter
            else None,
            "department": {
                "code": child.department.code,
                "name": localized(child.department, "name"),
            }
            if child.department
            else None,
            "stage": child.stage,
            "status": child.status,
            "status_label": str(CaseStatus(child.status).label),
            "outcome_reason": child.outcome_reason,
            "due_date": child.due_date,
            "certificates": [
                {
                    "number": c.number,
                    "type": localized(c.certificate_type, "name"),
                    "status": c.status,
                    "verify_url": verify_url(c.number),
                }
                for c in child.certificates.select_related("certificate_type").order_by("id")
            ],
        }
        for child in theme_children(case)
    ]


def theme_certificate_reissued(event: CertificateReissued) -> None:
    """A combined licence was reissued (one item changed): its theme case's timeline says so.

    The receiver of ``certificates.hooks.certificate_reissued``.
    """
    if event.old.case_id is None:
        return
    entry = TimelineEntry.objects.create(
        case_id=event.old.case_id,
        at=event.at,
        action=TimelineAction.CERTIFICATE_REISSUED,
        step=_("综合许可证变更"),
        actor=event.actor,
        department=event.old.issuer,
        comment=event.summary,
    )
    case_event.send(CaseEvent(case_id=event.old.case_id, entry=entry))
