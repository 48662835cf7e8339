"""What every case operation does: lock the case, refuse a wrong state, write the timeline.

Every operation is one transaction that locks the case row first, so two changes
of one case are serialised; the process state additionally carries a version
(optimistic lock in ``tongban.workflow.engine``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from tongban.cases.choices import CaseStatus
from tongban.cases.hooks import CaseEvent, case_event
from tongban.cases.models import Case, CaseMaterial, Task, TimelineEntry
from tongban.cases.rules import acts_for_applicant
from tongban.catalog.models import Department
from tongban.core.errors import InvalidStateChange, PermissionDenied
from tongban.core.prepared import Param, Prepared, PreparedSave
from tongban.identity.models import User

#: ``case.save()`` / ``task.save()`` / ``material.save()`` of every step, and its timeline
#: entry, compiled once (core/prepared.py).
CASE_SAVE = PreparedSave(Case)
TASK_SAVE = PreparedSave(Task)
MATERIAL_SAVE = PreparedSave(CaseMaterial)
_ENTRY_SAVE = PreparedSave(TimelineEntry)


def status_refused(case: Case, action: str) -> InvalidStateChange:
    """The error for ``action`` asked of a case in a status that does not allow it."""
    return InvalidStateChange(
        _("办件当前状态为“%(status)s”，不能%(action)s")
        % {"status": CaseStatus(case.status).label, "action": action}
    )


def case_lock(case: Case) -> Case:
    """The case re-read under a row lock (PostgreSQL; SQLite writes serially).

    Its matter, matter version and department come in the same query: nearly every change
    reads them (the timeline names the department, notifications the matter, the guide of
    the version gives the form, the process and the limits). So do the applicant's account,
    person and enterprise (notifications write to them, the credit route checks them): with
    the query compiled once, three more joined rows cost less than one look-up of them.
    """
    return _CASE_LOCKED.get(pk=case.pk)


#: Compiled once (core/prepared.py): every change to a case makes this read.
_CASE_LOCKED: Prepared[Case] = Prepared(
    lambda: (
        Case.objects.select_for_update(of=("self",))
        .select_related(
            "matter",
            "matter_version",
            "department",
            "applicant_user",
            "applicant_person",
            "applicant_enterprise",
        )
        .filter(pk=Param("pk", Case._meta.pk))
    )
)


def timeline_add(
    case: Case,
    *,
    at: datetime,
    action: str,
    step: str = "",
    actor: User | None = None,
    department: Department | None = None,
    comment: str = "",
    public: bool = True,
) -> TimelineEntry:
    """One timeline entry (``action`` is a ``TimelineAction``); sends ``case_event``."""
    entry = _ENTRY_SAVE.create(
        case=case,
        at=at,
        action=action,
        step=step,
        actor=actor,
        department=department,
        comment=comment,
        public=public,
    )
    case_event.send(CaseEvent(case_id=case.pk, entry=entry, case=case))
    return entry


def applicant_required(actor: User, case: Case) -> None:
    """Refuse anyone but the applicant (or a live agent of the applying enterprise); a
    walk-in's case (channel ``window``) also lets a center window clerk on duty act."""
    if not acts_for_applicant(actor, case):
        raise PermissionDenied(_("只有申请人本人（或企业经办人）可以办理此操作"))
