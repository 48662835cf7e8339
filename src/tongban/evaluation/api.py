"""好差评 over HTTP: rate a case, the public summary, the follow-up, appeals, the counter device."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field as NinjaField
from ninja import Query, Router, Schema
from ninja.responses import Status

from tongban.cases.selectors import case_get_for_user
from tongban.catalog.models import localized
from tongban.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tongban.evaluation import selectors, services
from tongban.evaluation.choices import RatingChannel, Score, Stage
from tongban.evaluation.models import Appeal, Evaluation, RatingRequest
from tongban.evaluation.schemas import (
    AnswerIn,
    AppealDecideIn,
    AppealIn,
    AppealOut,
    CaseEvaluationsOut,
    DeviceRatingIn,
    EvaluationIn,
    EvaluationOut,
    MatterScoreOut,
    RatingRequestIn,
    RatingRequestOut,
    SummaryOut,
)
from tongban.identity import selectors as identity_selectors
from tongban.identity.auth import signed_in
from tongban.identity.models import User

router = Router(tags=["evaluation"])


class PeriodQuery(Schema):
    start: date | None = NinjaField(None, alias="from")
    end: date | None = NinjaField(None, alias="to")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def evaluation_out(evaluation: Evaluation) -> dict[str, Any]:
    # The reverse one-to-one raises when there is no appeal; hasattr says so without raising.
    appeal = evaluation.appeal if hasattr(evaluation, "appeal") else None
    return {
        "id": evaluation.pk,
        "case_id": evaluation.case_id,
        "case_no": evaluation.case.case_no,
        "stage": evaluation.stage,
        "score": evaluation.score,
        "score_label": str(Score(evaluation.score).label),
        "dimensions": evaluation.dimensions or {},
        "comment": evaluation.comment,
        "channel": evaluation.channel,
        "rated_at": evaluation.rated_at,
        "department": evaluation.department.code,
        "matter": evaluation.matter.code if evaluation.matter else None,
        "theme": evaluation.theme.code if evaluation.theme else None,
        "bad": evaluation.is_bad,
        "follow_up_task": evaluation.follow_up_task_id,
        "follow_up_due_date": evaluation.follow_up_due_date,
        "answered_at": evaluation.answered_at,
        "verified": evaluation.verified,
        "rectification": evaluation.rectification,
        "answer": evaluation.answer,
        "counted": evaluation.excluded_at is None,
        "appeal": appeal.state if appeal is not None else None,
    }


def _appeal_out(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": appeal.pk,
        "evaluation": evaluation_out(appeal.evaluation),
        "kind": appeal.kind,
        "reason": appeal.reason,
        "state": appeal.state,
        "opened_at": appeal.opened_at,
        "decided_at": appeal.decided_at,
        "decision_comment": appeal.decision_comment,
    }


def _fresh(evaluation_id: int) -> dict[str, Any]:
    evaluation = Evaluation.objects.select_related(
        "case", "department", "matter", "theme", "appeal"
    ).get(pk=evaluation_id)
    return evaluation_out(evaluation)


# --- the applicant -------------------------------------------------------------------------


@router.post(
    "/applications/{case_id}/evaluations",
    response={201: EvaluationOut},
    auth=signed_in,
    summary="评价办件（好差评）",
)
def evaluation_create(
    request: HttpRequest, case_id: int, payload: EvaluationIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = case_get_for_user(user=user, case_id=case_id)
    if payload.channel not in (RatingChannel.ONLINE, RatingChannel.MOBILE):
        message = _("只能是：online、mobile（窗口评价请使用窗口评价器）")
        raise ValidationFailed(message, errors=[FieldError(field="channel", message=message)])
    evaluation = services.evaluation_create(
        actor=user,
        case=case,
        score=payload.score,
        stage=payload.stage,
        comment=payload.comment,
        dimensions=payload.dimensions,
        channel=payload.channel,
    )
    return Status(201, _fresh(evaluation.pk))


@router.get(
    "/applications/{case_id}/evaluations",
    response=CaseEvaluationsOut,
    auth=signed_in,
    summary="办件的评价环节和评价",
)
def case_evaluations(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = case_get_for_user(user=_user(request), case_id=case_id)
    stages = selectors.case_rating_stages_for_staff(case=case)
    return {
        "stages": [
            {
                "stage": s.stage,
                "label": s.label,
                "happened_at": s.happened_at,
                "rated": s.evaluation is not None,
                "open": s.open,
            }
            for s in stages
        ],
        "evaluations": [evaluation_out(e) for e in selectors.case_evaluations(case=case)],
    }


# --- anyone --------------------------------------------------------------------------------


@router.get("/evaluations/summary", response=list[SummaryOut], summary="各部门好差评汇总")
def evaluation_summary(request: HttpRequest, period: Query[PeriodQuery]) -> list[dict[str, Any]]:
    return [
        {
            "department": department.code,
            "department_name": localized(department, "name"),
            "ratings": s.ratings,
            "average_score": s.average_score,
            "bad_ratings": s.bad,
            "bad_ratings_answered": s.bad_answered,
            "bad_ratings_open": s.bad_open,
            "bad_ratings_overdue": s.bad_overdue,
            "satisfied": s.satisfied,
            "satisfaction_rate": s.satisfaction_rate,
        }
        for department, s in selectors.evaluation_summary(start=period.start, end=period.end)
    ]


@router.get("/evaluations/matters", response=list[MatterScoreOut], summary="各事项好差评")
def evaluation_matters(request: HttpRequest, period: Query[PeriodQuery]) -> list[dict[str, Any]]:
    english = getattr(request, "LANGUAGE_CODE", "") == "en"
    out = []
    for row in selectors.satisfaction_by_matter(start=period.start, end=period.end):
        prefix = "matter__" if row["matter__code"] else "theme__"
        s = row["satisfaction"]
        out.append(
            {
                "matter": row["matter__code"],
                "theme": row["theme__code"],
                "name": (english and row[prefix + "name_en"]) or row[prefix + "name"],
                "department": row["department__code"],
                "ratings": s.ratings,
                "average_score": s.average_score,
                "bad_ratings": s.bad,
                "satisfaction_rate": s.satisfaction_rate,
            }
        )
    return out


# --- the department's supervisor and the center admin ------------------------------------


@router.get(
    "/evaluations",
    response=list[EvaluationOut],
    auth=signed_in,
    summary="本部门差评（监管岗位）",
)
def bad_ratings(request: HttpRequest, state: str = "") -> list[dict[str, Any]]:
    rows = selectors.bad_ratings_for_supervisor(user=_user(request), state=state)
    return [evaluation_out(e) for e in rows[:500]]


def _evaluation_for_staff_action(evaluation_id: int) -> Evaluation:
    # The services refuse anyone but the department's supervisor with 403 (an applicant or
    # another department asking to answer or appeal is told that they may not).
    found = (
        Evaluation.objects.select_related("case", "department", "follow_up_task")
        .filter(pk=evaluation_id)
        .first()
    )
    if found is None:
        raise NotFound(_("评价不存在"))
    return found


@router.post(
    "/evaluations/{evaluation_id}/answer",
    response=EvaluationOut,
    auth=signed_in,
    summary="差评核实整改并答复（监管岗位）",
)
def evaluation_answer(
    request: HttpRequest, evaluation_id: int, payload: AnswerIn
) -> dict[str, Any]:
    user = _user(request)
    evaluation = _evaluation_for_staff_action(evaluation_id)
    if identity_selectors.user_staff(user=user) is None:
        raise PermissionDenied(_("只有承办部门的监管岗位可以答复此差评"))
    if evaluation.follow_up_task is None:
        message = _("只有差评需要核实整改答复")
        raise ValidationFailed(message, errors=[FieldError(field="evaluation", message=message)])
    services.follow_up_answer(
        actor=user,
        task=evaluation.follow_up_task,
        verified=payload.verified,
        rectification=payload.rectification,
        answer=payload.answer,
    )
    return _fresh(evaluation.pk)


@router.post(
    "/evaluations/{evaluation_id}/appeal",
    response={201: AppealOut},
    auth=signed_in,
    summary="差评申诉（监管岗位）",
)
def evaluation_appeal(
    request: HttpRequest, evaluation_id: int, payload: AppealIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    evaluation = _evaluation_for_staff_action(evaluation_id)
    appeal = services.appeal_open(
        actor=user, evaluation=evaluation, kind=payload.kind, reason=payload.reason
    )
    return Status(201, _appeal_out(Appeal.objects.select_related("evaluation").get(pk=appeal.pk)))


@router.get(
    "/evaluation-appeals",
    response=list[AppealOut],
    auth=signed_in,
    summary="差评申诉（中心管理员）",
)
def appeal_list(request: HttpRequest, state: str = "") -> list[dict[str, Any]]:
    user = _user(request)
    _admin_required(user)
    return [_appeal_out(a) for a in selectors.appeals_for_admin(user=user, state=state)[:500]]


def _admin_required(user: User) -> None:
    if "center_admin" not in identity_selectors.user_roles(user=user):
        raise PermissionDenied(_("只有中心管理员可以复核申诉"))


@router.post(
    "/evaluation-appeals/{appeal_id}/decide",
    response=AppealOut,
    auth=signed_in,
    summary="复核差评申诉（中心管理员）",
)
def appeal_decide(request: HttpRequest, appeal_id: int, payload: AppealDecideIn) -> dict[str, Any]:
    user = _user(request)
    _admin_required(user)
    appeal = selectors.appeal_get_for_admin(user=user, appeal_id=appeal_id)
    services.appeal_decide(
        actor=user, appeal=appeal, uphold=payload.uphold, comment=payload.comment
    )
    return _appeal_out(selectors.appeal_get_for_admin(user=user, appeal_id=appeal_id))


# --- the window device (评价器) -----------------------------------------------------------


def _request_out(request: HttpRequest, rating_request: RatingRequest) -> dict[str, Any]:
    case = rating_request.case
    subject = case.matter or case.theme
    path = reverse("portal:device_rate", args=[rating_request.token])
    return {
        "token": rating_request.token,
        "url": request.build_absolute_uri(path),
        "case_no": case.case_no,
        "matter": localized(subject, "name") if subject is not None else "",
        "stage": rating_request.stage,
        "stage_label": str(Stage(rating_request.stage).label),
        "expires_at": rating_request.expires_at,
    }


@router.post(
    "/applications/{case_id}/evaluation-requests",
    response={201: RatingRequestOut},
    auth=signed_in,
    summary="发起窗口评价（窗口工作人员）",
)
def rating_request_open(
    request: HttpRequest, case_id: int, payload: RatingRequestIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = selectors.case_for_window_clerk(user=user, case_id=case_id)
    rating_request = services.rating_request_open(actor=user, case=case, stage=payload.stage)
    return Status(201, _request_out(request, rating_request))


@router.get(
    "/evaluation-requests/{token}",
    response=RatingRequestOut,
    summary="窗口评价器：待评价的办件",
)
def rating_request_get(request: HttpRequest, token: str) -> dict[str, Any]:
    return _request_out(request, services.rating_request_get(token=token))


@router.post(
    "/evaluation-requests/{token}",
    response={201: EvaluationOut},
    summary="窗口评价器：申请人评价",
)
def rating_request_rate(
    request: HttpRequest, token: str, payload: DeviceRatingIn
) -> Status[dict[str, Any]]:
    evaluation = services.rating_request_rate(
        token=token, score=payload.score, comment=payload.comment, dimensions=payload.dimensions
    )
    return Status(201, _fresh(evaluation.pk))
