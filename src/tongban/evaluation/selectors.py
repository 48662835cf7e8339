"""好差评 reads: scores per department and matter, a case's rating state, the staff's lists.

Ratings set aside on appeal (``excluded_at``) stay on record but count in no score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.models import Case
from tongban.cases.rules import is_applicant
from tongban.cases.services.sla import shanghai_date
from tongban.catalog.models import Department
from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.evaluation import rules
from tongban.evaluation.choices import BAD_SCORE_MAX, SATISFIED_SCORE_MIN, AppealState, Stage
from tongban.evaluation.models import Appeal, Evaluation, RatingRequest
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI


@dataclass(frozen=True)
class Satisfaction:
    """The ratings of one department in a period (upheld appeals excluded)."""

    ratings: int
    average_score: float | None
    satisfied: int  # score >= 4
    bad: int  # score <= 2
    bad_answered: int
    bad_open: int
    #: Bad ratings still unanswered after their due date (count against the department).
    bad_overdue: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: satisfied / ratings (None without ratings)."""
        return self.satisfied / self.ratings if self.ratings else None


def _period_check(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        message = _("开始日期不能晚于结束日期")
        raise ValidationFailed(message, errors=[FieldError(field="from", message=message)])


def counted_evaluations(
    *, start: date | None = None, end: date | None = None
) -> QuerySet[Evaluation]:
    """Ratings that count, given between ``start`` and ``end`` (Asia/Shanghai days, inclusive)."""
    _period_check(start, end)
    rows = Evaluation.objects.filter(excluded_at__isnull=True)
    if start is not None:
        rows = rows.filter(rated_at__gte=datetime.combine(start, time.min, tzinfo=SHANGHAI))
    if end is not None:
        after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=SHANGHAI)
        rows = rows.filter(rated_at__lt=after)
    return rows


def _aggregates(today: date) -> dict[str, Any]:
    bad = Q(score__lte=BAD_SCORE_MAX)
    return {
        "ratings": Count("id"),
        "average_score": Avg("score"),
        "satisfied": Count("id", filter=Q(score__gte=SATISFIED_SCORE_MIN)),
        "bad": Count("id", filter=bad),
        "bad_answered": Count("id", filter=bad & Q(answered_at__isnull=False)),
        "bad_open": Count("id", filter=bad & Q(answered_at__isnull=True)),
        "bad_overdue": Count(
            "id", filter=bad & Q(answered_at__isnull=True, follow_up_due_date__lt=today)
        ),
    }


def _satisfaction(row: dict[str, Any]) -> Satisfaction:
    average = row["average_score"]
    return Satisfaction(
        ratings=row["ratings"],
        average_score=round(float(average), 2) if average is not None else None,
        satisfied=row["satisfied"],
        bad=row["bad"],
        bad_answered=row["bad_answered"],
        bad_open=row["bad_open"],
        bad_overdue=row["bad_overdue"],
    )


def satisfaction_by_department(
    *, start: date | None = None, end: date | None = None
) -> dict[int, Satisfaction]:
    """Satisfaction per department id, over ratings given in the period."""
    today = shanghai_date(timezone.now())
    rows = (
        counted_evaluations(start=start, end=end)
        .order_by()
        .values("department_id")
        .annotate(**_aggregates(today))
    )
    return {row["department_id"]: _satisfaction(row) for row in rows}


def satisfaction_by_matter(
    *, start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """Public per-matter (and per-theme) scores: [{matter|theme, department, satisfaction}]."""
    today = shanghai_date(timezone.now())
    rows = (
        counted_evaluations(start=start, end=end)
        .order_by()
        .values(
            "matter__code",
            "matter__name",
            "matter__name_en",
            "theme__code",
            "theme__name",
            "theme__name_en",
            "department__code",
        )
        .annotate(**_aggregates(today))
        .order_by("department__code", "matter__code", "theme__code")
    )
    return [{**row, "satisfaction": _satisfaction(row)} for row in rows]


def evaluation_summary(
    *, start: date | None = None, end: date | None = None
) -> list[tuple[Department, Satisfaction]]:
    """Every department that has ratings, in the catalogue's order, with its satisfaction."""
    by_department = satisfaction_by_department(start=start, end=end)
    departments = Department.objects.filter(pk__in=list(by_department)).order_by("order", "code")
    return [(department, by_department[department.pk]) for department in departments]


@dataclass(frozen=True)
class StageView:
    """One stage of a case as its applicant sees it in the 评价 panel."""

    stage: str
    label: str
    happened_at: datetime | None
    evaluation: Evaluation | None

    @property
    def open(self) -> bool:
        """The stage happened and is not rated yet."""
        return self.happened_at is not None and self.evaluation is None


def case_rating_stages(*, user: User, case: Case) -> list[StageView]:
    """The rateable stages of the caller's case (empty for a theme child or another's case)."""
    if rules.is_theme_child(case) or not is_applicant(user, case):
        return []
    stages = _stages(case)
    # The panel appears once a stage has happened (rated or open for rating).
    return stages if any(s.happened_at is not None for s in stages) else []


def _stages(case: Case) -> list[StageView]:
    happened = rules.stage_times(case)
    rated = {e.stage: e for e in Evaluation.objects.filter(case=case)}
    return [
        StageView(
            stage=stage,
            label=str(Stage(stage).label),
            happened_at=happened.get(stage),
            evaluation=rated.get(stage),
        )
        for stage in rules.STAGE_ORDER
    ]


def case_rating_stages_for_staff(*, case: Case) -> list[StageView]:
    """The stages of a case as the window clerk sees them (to hand a rating to the applicant)."""
    if rules.is_theme_child(case):
        return []
    return _stages(case)


def case_evaluations(*, case: Case) -> QuerySet[Evaluation]:
    """The ratings of one case (the caller was checked by the case selector)."""
    return Evaluation.objects.filter(case=case).select_related("appeal").order_by("rated_at", "id")


def _staff_department(user: User, role: str) -> int | None:
    profile = identity_selectors.user_staff(user=user)
    if profile is None or role not in identity_selectors.user_roles(user=user):
        return None
    return profile.department_id


def bad_ratings_for_supervisor(*, user: User, state: str = "") -> QuerySet[Evaluation]:
    """The supervisor's department's bad ratings: ``open``, ``answered``, ``appealed`` or all."""
    department_id = _staff_department(user, StaffRole.SUPERVISOR)
    if department_id is None:
        return Evaluation.objects.none()
    rows = Evaluation.objects.filter(department_id=department_id, score__lte=BAD_SCORE_MAX)
    if state == "open":
        rows = rows.filter(answered_at__isnull=True, excluded_at__isnull=True)
    elif state == "answered":
        rows = rows.filter(answered_at__isnull=False)
    elif state == "appealed":
        rows = rows.filter(appeal__isnull=False)
    return rows.select_related(
        "case", "matter", "theme", "follow_up_task", "appeal", "department"
    ).order_by("answered_at", "follow_up_due_date", "-rated_at", "-id")


def evaluation_get_for_staff(*, user: User, evaluation_id: int) -> Evaluation:
    """A rating of the caller's department, or one a center admin reviews."""
    evaluation = (
        Evaluation.objects.select_related("case", "department", "follow_up_task")
        .filter(pk=evaluation_id)
        .first()
    )
    profile = identity_selectors.user_staff(user=user)
    roles = identity_selectors.user_roles(user=user)
    visible = (
        evaluation is not None
        and profile is not None
        and (profile.department_id == evaluation.department_id or StaffRole.CENTER_ADMIN in roles)
    )
    if not visible:
        raise NotFound(_("评价不存在"))
    assert evaluation is not None
    return evaluation


def appeals_for_admin(*, user: User, state: str = "") -> QuerySet[Appeal]:
    """Appeals for the center admin (``open`` first), every department's."""
    if StaffRole.CENTER_ADMIN not in identity_selectors.user_roles(user=user):
        return Appeal.objects.none()
    rows = Appeal.objects.all()
    if state in AppealState.values:
        rows = rows.filter(state=state)
    return rows.select_related(
        "evaluation",
        "evaluation__case",
        "evaluation__department",
        "evaluation__matter",
        "evaluation__theme",
        "opened_by",
    ).order_by("-opened_at", "-id")


def appeal_get_for_admin(*, user: User, appeal_id: int) -> Appeal:
    """One appeal, for a center admin (404 for anyone else)."""
    appeal = appeals_for_admin(user=user).filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound(_("申诉不存在"))
    return appeal


def case_for_window_clerk(*, user: User, case_id: int) -> Case:
    """A case for a window rating request: staff only (the service checks which clerk may)."""
    case = Case.objects.select_related("matter", "theme", "department").filter(pk=case_id).first()
    if case is None or identity_selectors.user_staff(user=user) is None:
        raise NotFound(_("办件不存在"))
    return case


def rating_request_for_staff(*, user: User, request_id: int) -> RatingRequest:
    """A window rating request the caller opened."""
    request = (
        RatingRequest.objects.select_related("case").filter(pk=request_id, opened_by=user).first()
    )
    if request is None:
        raise NotFound(_("评价请求不存在"))
    return request
