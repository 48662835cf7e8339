"""先证后查: the supervisor's inspection after a certificate was issued at acceptance.

A case approved on commitment (告知承诺) or issued on the spot (即办 with commitment,
e.g. 公共场所卫生许可) gets an inspection task for the supervisors of the matter's
department, due within ``process_params["inspection_days"]`` working days (20 by
default).  A passed inspection is recorded; a failed one revokes the certificates of
the case and puts the applicant on the key-supervision list — in one transaction.
The task is a Task row of kind ``inspection`` without a process task: the process
has ended when it is created, so the row is kept out of the process mirroring in
``cases.services``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import CreditRoute, Decision, TaskKind, TaskState, TimelineAction
from tongban.cases.models import Case, Task
from tongban.cases.services.common import timeline_add
from tongban.cases.services.routes import case_credit_subject
from tongban.cases.services.sla import shanghai_date
from tongban.certificates.choices import CertificateStatus
from tongban.certificates.models import Certificate
from tongban.certificates.services import certificate_revoke
from tongban.core.errors import FieldError, InvalidStateChange, ValidationFailed
from tongban.credit.choices import CreditLevel, CreditList, SubjectType
from tongban.credit.services import credit_record_create
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

#: Working days the supervisor has for the inspection unless the matter sets inspection_days.
INSPECTION_DAYS_DEFAULT = 20
#: How long a failed inspection keeps the applicant on the key-supervision list (years).
KEY_SUPERVISION_YEARS = 1


def _params(case: Case) -> dict[str, Any]:
    guide = case.matter_version.guide if case.matter_version is not None else {}
    params = guide.get("process_params") if isinstance(guide, dict) else None
    return params if isinstance(params, dict) else {}


def _process(case: Case) -> str:
    guide = case.matter_version.guide if case.matter_version is not None else {}
    return str((guide or {}).get("process") or "") if isinstance(guide, dict) else ""


def case_inspection_required(*, case: Case) -> bool:
    """Whether an approved case is inspected afterwards (先证后查).

    Approval on commitment always is; so is an on-the-spot licence (an instant process)
    of a matter that allows commitment, such as 公共场所卫生许可.
    """
    if case.route == CreditRoute.COMMITMENT:
        return True
    eligible = case.matter is not None and case.matter.commitment_eligible
    return eligible and _process(case) == "instant"


def inspection_days(*, case: Case) -> int:
    """Working days allowed for the inspection of ``case``."""
    value = _params(case).get("inspection_days", INSPECTION_DAYS_DEFAULT)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return INSPECTION_DAYS_DEFAULT
    return value


def case_inspection_open(*, case: Case, now: datetime) -> Task | None:
    """Create the inspection task of a case approved just now, when it is to be inspected."""
    if not case_inspection_required(case=case) or case.department is None:
        return None
    if case.tasks.filter(kind=TaskKind.INSPECTION).exists():
        return None
    due = WorkCalendar().add_working_days(shanghai_date(now), inspection_days(case=case))
    task = Task.objects.create(
        case=case,
        kind=TaskKind.INSPECTION,
        name=str(TaskKind.INSPECTION.label),
        department=case.department,
        role=StaffRole.SUPERVISOR,
        due_date=due.due_date,
    )
    timeline_add(
        case,
        at=now,
        action=TimelineAction.INSPECTION_OPENED,
        step=_("先证后查：待事后核查"),
        comment=_("监管人员将于 %(day)s 前核查") % {"day": due.due_date.isoformat()},
        department=case.department,
        public=True,
    )
    return task


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _subject_type(case: Case) -> str:
    return SubjectType.ENTERPRISE if case.applicant_enterprise_id else SubjectType.PERSON


@transaction.atomic
def inspection_complete(
    *, actor: User, task: Task, decision: str, comment: str, now: datetime | None = None
) -> Task:
    """Record the inspection: pass, or fail (revoke the certificates, write a credit record).

    The caller (``task_complete``) has locked the case and the task and checked the
    actor's department and role and the decision.
    """

    if task.kind != TaskKind.INSPECTION or task.state != TaskState.OPEN:
        raise InvalidStateChange(_("该待办不是待办理的事后核查"))
    comment = (comment or "").strip()
    if decision == Decision.FAIL and not comment:
        raise ValidationFailed(
            _("请填写核查不实的情况"),
            errors=[FieldError(field="comment", message=_("核查不通过必须说明理由"))],
        )
    now = now or timezone.now()
    case = task.case
    task.state = TaskState.COMPLETED
    task.completed_by = actor
    task.completed_at = now
    task.decision = decision
    task.comment = comment
    task.save()
    department = task.department
    if decision == Decision.PASS:
        timeline_add(
            case,
            at=now,
            action=TimelineAction.INSPECTION_PASSED,
            step=_("事后核查：核查通过"),
            comment=comment,
            actor=actor,
            department=department,
            public=True,
        )
        return task

    reason = _("告知承诺核查不实：%(comment)s") % {"comment": comment}
    revoked: list[str] = []
    for certificate in Certificate.objects.filter(case=case, status=CertificateStatus.VALID):
        certificate_revoke(actor=actor, certificate=certificate, reason=reason, now=now)
        revoked.append(certificate.number)
    subject = case_credit_subject(case=case)
    if subject:
        # The supervisor writes no credit records by hand (only center admins do); this record
        # is the system's legal consequence of the failed inspection, so no actor is checked.
        credit_record_create(
            actor=None,
            subject_type=_subject_type(case),
            subject=subject,
            subject_name=case.applicant_name,
            list_kind=CreditList.KEY_SUPERVISION,
            level=CreditLevel.C,
            source_code=department.code,
            reason=_("%(reason)s（办件 %(case_no)s）")
            % {"reason": reason, "case_no": case.case_no},
            legal_basis=_("《中华人民共和国行政许可法》第六十九条"),
            valid_from=shanghai_date(now),
            valid_until=_years_later(shanghai_date(now), KEY_SUPERVISION_YEARS),
        )
    timeline_add(
        case,
        at=now,
        action=TimelineAction.INSPECTION_FAILED,
        step=_("事后核查：核查不实，撤销许可"),
        comment=reason
        + (_("；已撤销证照 %(numbers)s") % {"numbers": "、".join(revoked)} if revoked else ""),
        actor=actor,
        department=department,
        public=True,
    )
    return task
