"""Reads of cases and tasks; access control is part of every query.

An applicant sees their own cases and, as a live agent, their enterprise's;
staff see the cases on which their department has or had a task and the
tasks of their department and roles.  Anything else does not exist (NotFound).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tongban.cases.choices import (
    DECISIONS_BY_KIND,
    TIMELINE_COMMENTS_WITH_VALUES,
    TIMELINE_STEPS_WITH_VALUES,
    ApplicantType,
    CaseStatus,
    SupplementState,
    TaskKind,
    TaskState,
    TimelineAction,
)
from tongban.cases.models import Case, CaseMaterial, SupplementRequest, Task, TimelineEntry
from tongban.cases.rules import acts_for_applicant
from tongban.catalog.models import Department, localized
from tongban.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tongban.core.i18n import stored_parts, stored_text
from tongban.core.prepared import Param, Prepared, PreparedRows
from tongban.counter.models import Ticket
from tongban.counter.selectors import is_center_window_clerk
from tongban.delivery.choices import DeliveryMethod
from tongban.identity import selectors as identity_selectors
from tongban.identity.masking import mask_name
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI

_CASE_RELATED = ("matter", "matter_version", "department", "applicant_enterprise")


@dataclass(frozen=True)
class TimelineView:
    at: datetime
    action: str
    step: str
    department: str
    comment: str
    #: The member of staff (or applicant) who acted; None for the applicant's view.
    actor: str | None


@dataclass(frozen=True)
class StepView:
    code: str
    title: str
    #: done | current | pending | skipped
    state: str
    at: datetime | None


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def _applicant_q(user: User) -> Q:
    enterprises = [e.pk for e in identity_selectors.user_enterprises(user=user)]
    return Q(applicant_user=user) | Q(applicant_enterprise_id__in=enterprises)


def _staff_q(user: User) -> Q | None:
    profile = identity_selectors.user_staff(user=user)
    if profile is None:
        return None
    return Q(tasks__department_id=profile.department_id)


def _status_check(status: str | None) -> None:
    if status and status not in CaseStatus.values:
        raise ValidationFailed(
            _("状态无效"),
            errors=[
                FieldError(
                    field="status",
                    message=_("只能是：%(values)s") % {"values": "、".join(CaseStatus.values)},
                )
            ],
        )


def case_list_for_applicant(*, user: User, status: str | None = None) -> QuerySet[Case]:
    """The caller's own cases and their enterprises' cases, newest first."""
    if not _signed_in(user):
        return Case.objects.none()
    _status_check(status)
    cases = Case.objects.filter(_applicant_q(user)).select_related(*_CASE_RELATED)
    if status:
        cases = cases.filter(status=status)
    return cases.order_by("-created_at", "-id")


def case_get_for_user(*, user: User, case_id: int) -> Case:
    """A case the caller may see (applicant, agent, or staff of a department on it)."""
    if not _signed_in(user):
        raise NotFound(_("办件不存在"))
    # Fetch by key, then check the caller against this one case: a visibility subquery
    # over every case would scan the whole table as it grows.
    case = _CASE_READ.first(pk=case_id)
    if case is None or not user_may_see_case(user=user, case=case):
        raise NotFound(_("办件不存在"))
    return case


#: The columns the access check reads (``acts_for_applicant``, ``user_is_staff_on_case``).
_ACCESS_COLUMNS = (
    "id",
    "applicant_user_id",
    "applicant_type",
    "applicant_enterprise_id",
    "channel",
)


def case_ref_for_user(*, user: User, case_id: int) -> Case:
    """``case_get_for_user`` for a handler whose service locks and reads the case itself.

    The same access check and the same NotFound, on a read of only the columns the check
    needs: the case row with its matter, version and department is read once, under the
    service's lock, instead of twice. Any other field read from it costs a query of its own.
    """
    if not _signed_in(user):
        raise NotFound(_("办件不存在"))
    case = _CASE_ACCESS.first(pk=case_id)
    if case is None or not user_may_see_case(user=user, case=case):
        raise NotFound(_("办件不存在"))
    return case


def user_may_see_case(*, user: User, case: Case) -> bool:
    """Whether the caller applied, is a live agent of the applicant, or is staff on the case."""
    if not _signed_in(user):
        return False
    if case.applicant_user_id == user.pk:
        return True
    # Staff before agents: the answer's timeline asks the staff question again (remembered
    # on the case), while an agent's check would be a query of its own for every clerk.
    return user_is_staff_on_case(user=user, case=case) or acts_for_applicant(user, case)


def case_list_for_staff(*, user: User, q: str = "", status: str | None = None) -> QuerySet[Case]:
    """Cases on which the caller's department has or had a task, searchable by number or name."""
    staff = _staff_q(user) if _signed_in(user) else None
    if staff is None:
        return Case.objects.none()
    _status_check(status)
    ids = Case.objects.filter(staff).values("id")
    cases = Case.objects.filter(id__in=ids).select_related(*_CASE_RELATED)
    if status:
        cases = cases.filter(status=status)
    q = (q or "").strip()
    if q:
        cases = cases.filter(
            Q(case_no__icontains=q) | Q(applicant_name__icontains=q) | Q(matter__name__icontains=q)
        )
    return cases.order_by("-submitted_at", "-id")


def _staff_tasks(user: User) -> QuerySet[Task]:
    profile = identity_selectors.user_staff(user=user) if _signed_in(user) else None
    if profile is None:
        return Task.objects.none()
    return Task.objects.filter(department_id=profile.department_id)


def task_list_for_staff(*, user: User, state: str = TaskState.OPEN) -> QuerySet[Task]:
    """Tasks of the caller's department and roles, earliest due first."""
    if state not in TaskState.values:
        raise ValidationFailed(
            _("待办状态无效"),
            errors=[
                FieldError(
                    field="state",
                    message=_("只能是：%(values)s") % {"values": "、".join(TaskState.values)},
                )
            ],
        )
    roles = identity_selectors.user_roles(user=user) if _signed_in(user) else []
    return (
        _staff_tasks(user)
        .filter(role__in=roles, state=state)
        .select_related("case", "case__matter", "department", "claimed_by")
        .order_by("due_date", "created_at", "id")
    )


def task_get_for_staff(*, user: User, task_id: int) -> Task:
    """A task of the caller's department (the service checks the role)."""
    task = (
        _staff_tasks(user)
        .filter(pk=task_id)
        .select_related("case", "case__matter", "department", "claimed_by")
        .first()
    )
    if task is None:
        raise NotFound(_("待办不存在"))
    return task


def task_ref_for_staff(*, user: User, task_id: int) -> Task:
    """``task_get_for_staff`` for a handler whose service locks and reads the task itself.

    The same department check and the same NotFound, on the task's key columns only (and
    its case's id, for the service's lock): the task and its case are read whole once, under
    the service's locks. Any other field read from it costs a query of its own.
    """
    profile = identity_selectors.user_staff(user=user) if _signed_in(user) else None
    task = None
    if profile is not None:
        task = _TASK_ACCESS.first(pk=task_id, department=profile.department_id)
    if task is None:
        raise NotFound(_("待办不存在"))
    return task


def _timeline_of(*, public_only: bool) -> Prepared[TimelineEntry]:
    def build() -> QuerySet[TimelineEntry]:
        entries = TimelineEntry.objects.filter(case_id=Param("case", Case._meta.pk))
        if public_only:
            entries = entries.filter(public=True)
        return entries.select_related("department", "actor").order_by("at", "id")

    return Prepared(build)


#: Every answer about a case lists its timeline: compiled once (core/prepared.py).
_TIMELINE_ALL, _TIMELINE_PUBLIC = _timeline_of(public_only=False), _timeline_of(public_only=True)

#: The reads of every answer about a case (GET, and what changes answer with).
_CASE_READ: Prepared[Case] = Prepared(
    lambda: Case.objects.filter(pk=Param("pk", Case._meta.pk)).select_related(*_CASE_RELATED)
)
_TASKS_LISTED: Prepared[Task] = Prepared(
    lambda: (
        Task.objects.filter(case_id=Param("case", Case._meta.pk))
        .select_related("department")
        .order_by("created_at", "id")
    )
)
_SUPPLEMENT_OPEN: Prepared[SupplementRequest] = Prepared(
    lambda: SupplementRequest.objects.filter(
        case_id=Param("case", Case._meta.pk), state=SupplementState.OPEN
    ).order_by("-requested_at")[:1]
)
_DEPARTMENT_TASK = PreparedRows(
    lambda: Task.objects.filter(
        case_id=Param("case", Case._meta.pk),
        department_id=Param("department", Department._meta.pk),
    ).values_list("pk")[:1]
)

#: The two access reads of every change to a case or task, compiled once (core/prepared.py).
_CASE_ACCESS: Prepared[Case] = Prepared(
    lambda: Case.objects.filter(pk=Param("pk", Case._meta.pk)).only(*_ACCESS_COLUMNS)
)
_TASK_ACCESS: Prepared[Task] = Prepared(
    lambda: (
        Task.objects.filter(
            pk=Param("pk", Task._meta.pk),
            department_id=Param("department", Department._meta.pk),
        )
        .select_related("case")
        .only("id", "case_id", "department_id", "case__id")
    )
)


def user_is_staff_on_case(*, user: User, case: Case) -> bool:
    """Whether the caller sees ``case`` as staff of a department that has or had a task on it.

    A yes is remembered on the case object (a task is never deleted, so it stays true); the
    answer about a case asks twice, for access and for the timeline.
    """
    profile = identity_selectors.user_staff(user=user) if _signed_in(user) else None
    if profile is None:
        return False
    seen: set[int] = case.__dict__.setdefault(_STAFF_SEEN, set())
    if user.pk in seen:
        return True
    if _DEPARTMENT_TASK.all(case=case.pk, department=profile.department_id):
        seen.add(user.pk)
        return True
    return False


#: The staff users already found to be on a case, kept on the case object (see above).
_STAFF_SEEN = "_tongban_staff_on_case"


def _actor_name(actor: User | None) -> str | None:
    if actor is None:
        return None
    return actor.get_full_name() or actor.first_name or actor.username


def case_timeline_for(*, user: User, case: Case) -> list[TimelineView]:
    """The steps of ``case``: the applicant sees public steps and departments, staff the person."""
    as_staff = case.applicant_user_id != user.pk and user_is_staff_on_case(user=user, case=case)
    entries = (_TIMELINE_ALL if as_staff else _TIMELINE_PUBLIC).all(case=case.pk)
    # The sharing notes name the case's materials; in English, by their English names.
    names = (
        {}
        if (get_language() or "zh").startswith("zh")
        else dict(case.materials.exclude(name_en="").values_list("name", "name_en"))
    )
    return [
        TimelineView(
            at=entry.at,
            action=entry.action,
            step=stored_text(entry.step, TIMELINE_STEPS_WITH_VALUES),
            department=localized(entry.department, "name") if entry.department else "",
            comment=stored_parts(entry.comment, TIMELINE_COMMENTS_WITH_VALUES, names),
            actor=_actor_name(entry.actor) if as_staff else None,
        )
        for entry in entries
    ]


#: Rows an operation read or made of the case it returns, for the answer built from it.
_HANDED = "_tongban_handed_to_answer"


def case_hand_to_answer(case: Case, **rows: list[Any]) -> None:
    """Hand ``rows`` (all of the case's ``tasks``, ``supplements`` or ``materials``) to the answer.

    Kept beside Django's caches, never in them: the answer (``case_out``) takes each list
    once, so a later read of the same object, or of its related managers, goes to the
    database.
    """
    case.__dict__.setdefault(_HANDED, {}).update(rows)


def _handed(case: Case, name: str) -> list[Any] | None:
    rows: list[Any] | None = case.__dict__.get(_HANDED, {}).pop(name, None)
    return rows


def case_tasks_listed(*, case: Case) -> list[Task]:
    """The case's tasks with their departments, oldest first (as the case page lists them).

    The rows the operation holding the case handed over (a process started by this step
    made all of them), else one read.
    """
    handed = _handed(case, "tasks")
    if handed is not None:
        return sorted(handed, key=lambda t: (t.created_at, t.pk))
    return _TASKS_LISTED.all(case=case.pk)


def case_open_supplement(*, case: Case) -> SupplementRequest | None:
    """The supplement request the applicant still has to answer, if any."""
    handed = _handed(case, "supplements")
    if handed is not None:  # read by the operation that holds the case
        open_ones = [s for s in handed if s.state == SupplementState.OPEN]
        return max(open_ones, key=lambda s: s.requested_at, default=None)
    return _SUPPLEMENT_OPEN.first(case=case.pk)


#: Processes decided at the counter by one clerk: no review, no decision step after it.
ONE_STEP_PROCESSES = frozenset({"instant", "filing"})


def _is_instant(case: Case) -> bool:
    guide = case.matter_version.guide if case.matter_version else {}
    return isinstance(guide, dict) and guide.get("process") in ONE_STEP_PROCESSES


def case_steps(*, case: Case, tasks: list[Task] | None = None) -> list[StepView]:
    """The steps done and to come, for the portal (提交 → 受理 → 审查 → 决定 → 办结).

    ``tasks`` are the case's tasks when the caller has read them already (any order).
    """
    if tasks is None:
        done = list(case.tasks.filter(state=TaskState.COMPLETED).order_by("completed_at"))
    else:
        # As the query orders them: by completion, one without a time first (as SQLite does).
        done = sorted(
            (t for t in tasks if t.state == TaskState.COMPLETED),
            key=lambda t: (t.completed_at is not None, t.completed_at or case.created_at),
        )
    completed = {t.kind: t.completed_at for t in done}
    status = case.status
    plan: list[tuple[str, str, datetime | None]] = [
        ("submit", _("提交"), case.submitted_at),
        ("accept", _("受理"), case.accepted_at),
    ]
    if not _is_instant(case):
        plan.append(("review", _("审查"), completed.get(TaskKind.REVIEW)))
        plan.append(("decide", _("决定"), case.decided_at))
    plan.append(("complete", _("办结"), case.completed_at))
    if status == CaseStatus.REJECTED:
        # 不予受理 is the acceptance step's outcome.
        plan[1] = ("accept", _("受理"), case.completed_at)
    ended = status in (CaseStatus.REJECTED, CaseStatus.DENIED, CaseStatus.WITHDRAWN)
    steps: list[StepView] = []
    current_given = False
    for code, title, at in plan:
        if at is not None:
            state = "done"
        elif ended:
            state = "skipped"
        elif status == CaseStatus.DRAFT or current_given:
            state = "pending"
        else:
            state, current_given = "current", True
        steps.append(StepView(code=code, title=title, state=state, at=at))
    return steps


def case_due_date(*, case: Case) -> date | None:
    """The date the applicant waits for: acceptance before it is accepted, then the decision."""
    if case.accepted_at is None and case.status == CaseStatus.SUBMITTED:
        return case.acceptance_due_date
    return case.due_date


def task_decisions(task: Task) -> list[str]:
    """The decisions an open task accepts (``DECISIONS_BY_KIND``); none once it is done."""
    if task.state != TaskState.OPEN:
        return []
    return list(DECISIONS_BY_KIND.get(task.kind, ()))


# --- 统一出件: results waiting at the output window ------------------------------------------

#: States of ``outputs_for_window``: ``ready`` waits for pick-up, ``handed_over`` was collected.
OUTPUT_STATES = ("ready", "handed_over")
#: Longest search text (a case number, a ticket, an ID number or credit code).
OUTPUT_QUERY_MAX = 40


@dataclass(frozen=True)
class OutputView:
    id: int
    case_no: str
    matter: dict[str, str] | None
    #: The holder's name, masked for a person (an enterprise's name is public).
    holder: str
    holder_type: str
    ready_at: datetime | None
    handed_over_at: datetime | None
    status: str


def _output_search(q: str) -> Q:
    today = timezone.now().astimezone(SHANGHAI).date()
    ticket = Ticket.objects.filter(day=today, number=q.upper()).first()
    found = (
        Q(case_no=q.upper())
        | Q(parent__case_no=q.upper())
        | Q(applicant_person__id_number=q.upper())
        | Q(applicant_user__person__id_number=q.upper())
        | Q(applicant_enterprise__uscc=q.upper())
    )
    if ticket is not None:
        found |= Q(ticket=ticket)
        if ticket.user_id is not None:
            found |= Q(applicant_user_id=ticket.user_id)
    return found


def outputs_for_window(*, user: User, state: str = "ready", q: str = "") -> list[OutputView]:
    """Results for pick-up at the output window (center window clerks on duty only).

    ``q`` finds them by case number, today's ticket number, or the ID number / credit code
    of the holder (or of the agent who applied).
    """
    if not _signed_in(user) or not is_center_window_clerk(user=user):
        raise PermissionDenied(_("只有今日在岗的中心窗口工作人员可以查看待出件结果"))
    if state not in OUTPUT_STATES:
        raise ValidationFailed(
            _("状态无效"),
            errors=[
                FieldError(
                    field="state",
                    message=_("只能是：%(values)s") % {"values": "、".join(OUTPUT_STATES)},
                )
            ],
        )
    q = (q or "").strip()
    if len(q) > OUTPUT_QUERY_MAX or any(ord(c) < 32 for c in q):
        raise ValidationFailed(
            _("查询内容无效"),
            errors=[FieldError(field="q", message=_("请输入办件编号、排队号或证件号码"))],
        )
    cases = Case.objects.filter(delivery_method=DeliveryMethod.PICKUP)
    if state == "ready":
        cases = cases.filter(status=CaseStatus.ISSUED)
    else:
        cases = cases.filter(
            status=CaseStatus.COMPLETED, timeline__action=TimelineAction.PICKED_UP
        ).distinct()
    if q:
        cases = cases.filter(_output_search(q))
    ready = TimelineEntry.objects.filter(
        case=OuterRef("pk"), action=TimelineAction.PICKUP_READY
    ).order_by("-at")
    rows = (
        cases.select_related("matter", "theme")
        .annotate(ready_at=Subquery(ready.values("at")[:1]))
        .order_by("ready_at", "id")[:200]
    )
    return [
        OutputView(
            id=case.pk,
            case_no=case.case_no or "",
            matter=(
                {"code": case.matter.code, "name": localized(case.matter, "name")}
                if case.matter is not None
                else None
            ),
            holder=(
                case.applicant_name
                if case.applicant_type == ApplicantType.ENTERPRISE
                else mask_name(case.applicant_name)
            ),
            holder_type=case.applicant_type,
            ready_at=case.ready_at,
            handed_over_at=case.completed_at if case.status == CaseStatus.COMPLETED else None,
            status=case.status,
        )
        for case in rows
    ]


def output_get_for_window(*, user: User, case_id: int) -> Case:
    """One case the output window may act on (any result the center hands out)."""
    if not _signed_in(user) or not is_center_window_clerk(user=user):
        raise PermissionDenied(_("只有今日在岗的中心窗口工作人员可以办理出件"))
    case = (
        Case.objects.filter(pk=case_id, delivery_method=DeliveryMethod.PICKUP)
        .select_related(*_CASE_RELATED)
        .first()
    )
    if case is None:
        raise NotFound(_("办件不存在"))
    return case


#: Longest case number and applicant ID the micro-query reads (case_no is 32, a USCC 18).
MICRO_CASE_NO_MAX = 32
MICRO_ID_MAX = 18


@dataclass(frozen=True)
class MicroCaseView:
    """微查询: what anyone holding the case number and the applicant's ID may see."""

    case_no: str
    matter: str
    status: str
    status_label: str
    due_date: date | None
    steps: list[StepView]


def _micro_clean(value: str, limit: int) -> str:
    value = (value or "").strip().upper()
    # PostgreSQL refuses NUL; an overlong value cannot match and is not looked up.
    if not value or len(value) > limit or "\x00" in value:
        return ""
    return value


def case_micro_query(*, case_no: str, applicant_id: str) -> MicroCaseView:
    """A case's status for 微查询 by its number and the applicant's ID number or credit code.

    An unknown case and a wrong ID give the same NotFound, so the answer never
    tells whether a case number exists; nothing about the applicant is shown.
    """
    number = _micro_clean(case_no, MICRO_CASE_NO_MAX)
    given = _micro_clean(applicant_id, MICRO_ID_MAX)
    case = (
        Case.objects.filter(case_no=number)
        .select_related(*_CASE_RELATED, "theme", "applicant_person")
        .first()
        if number and given
        else None
    )
    expected = ""
    if case is not None:
        if case.applicant_enterprise is not None:
            expected = case.applicant_enterprise.uscc.upper()
        elif case.applicant_person is not None:
            expected = case.applicant_person.id_number.upper()
    if case is None or not expected or not hmac.compare_digest(expected, given):
        raise NotFound(_("未找到该办件，请核对办件编号和证件号码"))
    subject = case.matter if case.matter is not None else case.theme
    return MicroCaseView(
        case_no=case.case_no or "",
        matter=localized(subject, "name") if subject is not None else "",
        status=case.status,
        status_label=str(CaseStatus(case.status).label),
        due_date=case_due_date(case=case),
        steps=case_steps(case=case),
    )


def case_materials_listed(case: Case) -> list[CaseMaterial]:
    """The case's material rows for its answer: those the operation holding the case handed
    over (read under their lock, as it left them), else one read."""
    handed = _handed(case, "materials")
    return handed if handed is not None else case_materials(case)


def case_materials(case: Case) -> list[CaseMaterial]:
    """The case's material rows in their model order (what ``case.materials.all()`` gives).

    Every answer about a case and every submission reads them: compiled once.
    """
    return _MATERIALS.all(case=case.pk)


_MATERIALS: Prepared[CaseMaterial] = Prepared(
    lambda: CaseMaterial.objects.filter(case_id=Param("case", Case._meta.pk))
)


def case_supplements(case: Case) -> list[SupplementRequest]:
    """The case's 补正 requests in their model order (what ``case.supplements.all()`` gives).

    Every step that sets a deadline reads them: compiled once (core/prepared.py).
    """
    return _SUPPLEMENTS.all(case=case.pk)


_SUPPLEMENTS: Prepared[SupplementRequest] = Prepared(
    lambda: SupplementRequest.objects.filter(case_id=Param("case", Case._meta.pk))
)
