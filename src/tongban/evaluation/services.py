"""好差评 operations: invite, rate (online, mobile, counter device), follow up a bad rating, appeal.

Every change runs in one transaction that locks the rated case first, so a rating and its
follow-up task, or two ratings of one stage, are serialised; the unique constraint on
(case, stage) backs that up.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import Decision, NotificationEvent, TaskKind, TaskState
from tongban.cases.hooks import CaseEvent
from tongban.cases.models import Case, Task
from tongban.cases.rules import is_applicant
from tongban.cases.selectors import user_is_staff_on_case, user_may_see_case
from tongban.cases.services import task_complete
from tongban.cases.services.common import case_lock
from tongban.cases.services.notifications import notify_applicant, notify_center_admins
from tongban.cases.services.sla import shanghai_date
from tongban.core.dbcursor import statement_cursor
from tongban.core.errors import (
    Conflict,
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.evaluation import rules
from tongban.evaluation.choices import (
    FOLLOW_UP_WORKING_DAYS,
    RATING_REQUEST_MINUTES,
    AppealKind,
    AppealState,
    Dimension,
    RatingChannel,
    Score,
    Stage,
)
from tongban.evaluation.models import Appeal, Evaluation, Invitation, RatingRequest
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import WorkCalendar

#: The service center's department (CONTRACT.md): its comprehensive windows serve every case.
CENTER_DEPARTMENT = "center"
COMMENT_MAX_LENGTH = 1000
TEXT_MAX_LENGTH = 2000


# --- input checks (the simulator calls the services directly, so they check too) -------------


def _text(value: Any, field: str, errors: list[FieldError], *, required: bool, limit: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(FieldError(field=field, message=_("应为文本")))
        return ""
    value = value.strip()
    if "\x00" in value:
        errors.append(FieldError(field=field, message=_("不能包含空字符")))
    elif len(value) > limit:
        errors.append(FieldError(field=field, message=_("不能超过 %(n)s 个字") % {"n": limit}))
    elif required and not value:
        errors.append(FieldError(field=field, message=_("必须填写")))
    return value


def _grade(value: Any, field: str, errors: list[FieldError]) -> int:
    # bool is an int in Python; PostgreSQL refuses integers beyond its range: check first.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        errors.append(FieldError(field=field, message=_("评分应为 1 到 5 的整数")))
        return 0
    return value


def _dimensions(value: Any, errors: list[FieldError]) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(FieldError(field="dimensions", message=_("应为对象")))
        return {}
    clean: dict[str, int] = {}
    for code, grade in value.items():
        if code not in Dimension.values:
            names = "、".join(f"{Dimension(d).label}（{d}）" for d in Dimension.values)
            errors.append(
                FieldError(
                    field=f"dimensions.{code}"[:100],
                    message=_("分项只能是：%(names)s") % {"names": names},
                )
            )
            continue
        clean[code] = _grade(grade, f"dimensions.{code}", errors)
    return clean


def _stage_field(stage: Any, errors: list[FieldError]) -> str | None:
    if stage in (None, ""):
        return None
    if stage not in Stage.values:
        errors.append(
            FieldError(
                field="stage",
                message=_("只能是：%(values)s") % {"values": "、".join(Stage.values)},
            )
        )
        return None
    return str(stage)


def _not_yet(stage: str | None = None) -> ValidationFailed:
    message = (
        _("“%(stage)s”尚未办理，暂不能评价") % {"stage": Stage(stage).label}
        if stage
        else _("办件尚无可评价的环节（受理或办结后方可评价）")
    )
    return ValidationFailed(message, errors=[FieldError(field="stage", message=message)])


def _stage_resolve(case: Case, stage: str | None) -> str:
    """The stage to rate: the one asked for, or the latest that happened and is unrated."""
    if rules.is_theme_child(case):
        message = _("主题事项请对主题办件整体评价")
        raise ValidationFailed(message, errors=[FieldError(field="case", message=message)])
    happened = rules.stage_times(case)
    rated = set(Evaluation.objects.filter(case=case).values_list("stage", flat=True))
    if stage is not None:
        if stage not in happened:
            raise _not_yet(stage)
        if stage in rated:
            raise Conflict(
                _("您已评价过“%(stage)s”，每个环节只能评价一次") % {"stage": Stage(stage).label}
            )
        return stage
    chosen = rules.stage_to_rate(happened, rated)
    if chosen is None:
        if not happened:
            raise _not_yet()
        raise Conflict(_("本办件已办理的环节均已评价，每个环节只能评价一次"))
    return chosen


def _case_for_rater(actor: User, case: Case) -> Case:
    if not user_may_see_case(user=actor, case=case):
        raise NotFound(_("办件不存在"))
    if not is_applicant(actor, case):
        raise PermissionDenied(_("只有申请人本人可以评价，工作人员不能代为评价"))
    return case_lock(case)


# --- invitation ------------------------------------------------------------------------------


def rating_link(*, case: Case, stage: str) -> str:
    """The rating page of ``case`` for ``stage`` on the portal, as an absolute URL."""
    path = reverse("portal:my_case_evaluate", args=[case.pk])
    return f"{settings.SITE_URL}{path}?stage={stage}"


def invitation_send(*, case: Case, stage: str, at: datetime) -> Invitation | None:
    """Invite the applicant to rate ``stage`` of ``case``, once per case and stage."""
    invitation = _invitation_insert(case=case, stage=stage, at=at)
    if invitation is None:
        return None
    notify_applicant(
        case=case,
        event=NotificationEvent.EVALUATION_INVITED,
        detail=rating_link(case=case, stage=stage),
    )
    return invitation


def _invitation_insert(*, case: Case, stage: str, at: datetime) -> Invitation | None:
    """The new invitation, or None when the case has one for ``stage`` already.

    One statement, ``INSERT … ON CONFLICT (case, stage) DO NOTHING RETURNING id`` (SQLite and
    PostgreSQL), where ``get_or_create`` made four (a read, a savepoint pair and the insert)
    on every acceptance and result; the unique constraint decides between two at once.
    """
    meta = Invitation._meta
    quote = connection.ops.quote_name
    column = {f.name: quote(f.column) for f in meta.concrete_fields}
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({column['case']}, {column['stage']},"  # noqa: S608
        f" {column['invited_at']}) VALUES (%s, %s, %s)"
        f" ON CONFLICT ({column['case']}, {column['stage']}) DO NOTHING RETURNING {column['id']}"
    )
    when = meta.get_field("invited_at").get_db_prep_value(at, connection, prepared=False)
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, [case.pk, stage, when])
        row = cursor.fetchone()
    if row is None:
        return None
    invitation = Invitation(pk=row[0], case=case, stage=stage, invited_at=at)
    invitation._state.adding = False
    return invitation


def case_event_received(event: CaseEvent) -> None:
    """``cases.hooks.case_event``: a stage that counts happened → invite the applicant."""
    stage = rules.stage_of_action(event.entry.action)
    if stage is None:
        return
    case = event.entry.case
    if rules.is_theme_child(case):
        # A theme is rated as a whole: a matter's acceptance opens the theme's acceptance;
        # the matters' results are not rated one by one (the parent's own result is).
        if stage != Stage.ACCEPTANCE or case.parent_id is None:
            return
        case = Case.objects.get(pk=case.parent_id)
    invitation_send(case=case, stage=stage, at=event.entry.at)


# --- rating ----------------------------------------------------------------------------------


def _rate(
    *,
    actor: User,
    case: Case,
    score: Any,
    stage: Any,
    comment: Any,
    dimensions: Any,
    channel: str,
    now: datetime | None,
    handed_by: User | None = None,
) -> Evaluation:
    errors: list[FieldError] = []
    score = _grade(score, "score", errors)
    clean_dimensions = _dimensions(dimensions, errors)
    clean_comment = _text(comment, "comment", errors, required=False, limit=COMMENT_MAX_LENGTH)
    asked_stage = _stage_field(stage, errors)
    if channel not in RatingChannel.values:
        errors.append(
            FieldError(
                field="channel",
                message=_("只能是：%(values)s") % {"values": "、".join(RatingChannel.values)},
            )
        )
    if errors:
        raise ValidationFailed(_("评价内容有误"), errors=errors)
    stage = _stage_resolve(case, asked_stage)
    if case.department is None:
        raise _not_yet()
    now = now or timezone.now()
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                case=case,
                stage=stage,
                score=score,
                dimensions=clean_dimensions,
                comment=clean_comment,
                channel=channel,
                rated_by=actor,
                rated_at=now,
                department=case.department,
                matter=case.matter,
                theme=case.theme,
                handed_by=handed_by,
            )
    except IntegrityError as exc:
        raise Conflict(_("该环节已评价，每个环节只能评价一次")) from exc
    if rules.is_bad_score(score):
        _follow_up_open(evaluation, now=now)
    return evaluation


@transaction.atomic
def evaluation_create(
    *,
    actor: User,
    case: Case,
    score: int,
    stage: str | None = None,
    comment: str = "",
    dimensions: dict[str, int] | None = None,
    channel: str = "online",
    now: datetime | None = None,
) -> Evaluation:
    """The applicant rates a stage of their case (1–5); a bad rating opens its follow-up."""
    case = _case_for_rater(actor, case)
    return _rate(
        actor=actor,
        case=case,
        score=score,
        stage=stage,
        comment=comment,
        dimensions=dimensions,
        channel=channel,
        now=now,
    )


# --- window device flow (评价器) -------------------------------------------------------------


def _window_clerk_check(actor: User, case: Case) -> None:
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or StaffRole.CLERK not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("只有窗口工作人员可以发起窗口评价"))
    serves = (
        profile.department_id == case.department_id
        or profile.department.code == CENTER_DEPARTMENT
        or user_is_staff_on_case(user=actor, case=case)
    )
    if not serves:
        raise NotFound(_("办件不存在"))


@transaction.atomic
def rating_request_open(
    *, actor: User, case: Case, stage: str | None = None, now: datetime | None = None
) -> RatingRequest:
    """The window clerk hands a stage's rating to the applicant: a single-use device link."""
    _window_clerk_check(actor, case)
    case = case_lock(case)
    errors: list[FieldError] = []
    asked = _stage_field(stage, errors)
    if errors:
        raise ValidationFailed(_("评价环节有误"), errors=errors)
    chosen = _stage_resolve(case, asked)
    now = now or timezone.now()
    return RatingRequest.objects.create(
        token=secrets.token_urlsafe(24),
        case=case,
        stage=chosen,
        opened_by=actor,
        opened_at=now,
        expires_at=now + timedelta(minutes=RATING_REQUEST_MINUTES),
    )


def rating_request_get(*, token: str, now: datetime | None = None) -> RatingRequest:
    """A usable window rating request (unused, not expired); otherwise 404."""
    now = now or timezone.now()
    request = (
        RatingRequest.objects.select_related("case", "case__matter", "case__theme")
        .filter(token=str(token)[:43])
        .first()
    )
    if request is None or request.used_at is not None or request.expires_at <= now:
        raise NotFound(_("评价链接不存在或已失效，请向窗口工作人员重新获取"))
    return request


@transaction.atomic
def rating_request_rate(
    *,
    token: str,
    score: Any,
    comment: Any = "",
    dimensions: Any = None,
    now: datetime | None = None,
) -> Evaluation:
    """The applicant rates on the counter device; the rating is theirs, channel ``window``."""
    now = now or timezone.now()
    found = rating_request_get(token=token, now=now)
    case = case_lock(found.case)
    request = RatingRequest.objects.select_for_update(of=("self",)).get(pk=found.pk)
    if request.used_at is not None:
        raise NotFound(_("评价链接不存在或已失效，请向窗口工作人员重新获取"))
    evaluation = _rate(
        actor=case.applicant_user,
        case=case,
        score=score,
        stage=request.stage,
        comment=comment,
        dimensions=dimensions,
        channel=RatingChannel.WINDOW,
        now=now,
        handed_by=request.opened_by,
    )
    request.used_at = now
    request.save(update_fields=["used_at"])
    return evaluation


# --- bad rating follow-up (差评回访整改) -------------------------------------------------------


def follow_up_due_date(rated_at: datetime) -> Any:
    """The last day to answer a bad rating: 5 working days after the day it was given."""
    return WorkCalendar().add_working_days(shanghai_date(rated_at), FOLLOW_UP_WORKING_DAYS).due_date


def _follow_up_open(evaluation: Evaluation, *, now: datetime) -> Task:
    due = follow_up_due_date(now)
    task = Task.objects.create(
        case=evaluation.case,
        kind=TaskKind.EVALUATION_FOLLOW_UP,
        name=str(TaskKind.EVALUATION_FOLLOW_UP.label),
        department=evaluation.department,
        role=StaffRole.SUPERVISOR,
        due_date=due,
        data={"evaluation": evaluation.pk, "stage": evaluation.stage, "score": evaluation.score},
    )
    evaluation.follow_up_task = task
    evaluation.follow_up_due_date = due
    evaluation.save(update_fields=["follow_up_task", "follow_up_due_date", "updated_at"])
    return task


def follow_up_complete(
    *,
    actor: User,
    task: Task,
    decision: str,
    comment: str,
    data: dict[str, Any],
    now: datetime,
) -> Task:
    """``task_complete`` for ``evaluation_follow_up``: verified, rectified, answered.

    Registered in ``cases.services.decide.OUT_OF_PROCESS_HANDLERS``; ``task_complete`` has
    locked the case and the task and checked the department, the role and the decision.
    """
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",)).filter(follow_up_task=task).first()
    )
    if evaluation is None or task.state != TaskState.OPEN:
        raise InvalidStateChange(_("该待办不是待办理的差评整改"))
    errors: list[FieldError] = []
    verified = data.get("verified")
    if not isinstance(verified, bool):
        errors.append(
            FieldError(
                field="data.verified", message=_("请填写核实结果（true 属实 / false 不属实）")
            )
        )
    rectification = _text(
        data.get("rectification"),
        "data.rectification",
        errors,
        required=True,
        limit=TEXT_MAX_LENGTH,
    )
    answer = _text(comment, "comment", errors, required=True, limit=TEXT_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("请填写核实结果、整改情况和给申请人的答复"), errors=errors)
    task.state = TaskState.COMPLETED
    task.completed_by = actor
    task.completed_at = now
    task.decision = decision
    task.comment = answer
    task.data = {**(task.data or {}), "verified": verified, "rectification": rectification}
    task.save()
    evaluation.verified = verified
    evaluation.rectification = rectification
    evaluation.answer = answer
    evaluation.answered_at = now
    evaluation.answered_by = actor
    evaluation.save(
        update_fields=[
            "verified",
            "rectification",
            "answer",
            "answered_at",
            "answered_by",
            "updated_at",
        ]
    )
    notify_applicant(case=task.case, event=NotificationEvent.EVALUATION_ANSWERED, detail=answer)
    return task


def _department_staff_check(actor: User, department_id: int, role: str, message: str) -> None:
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != department_id:
        raise PermissionDenied(message)
    if role not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(message)


@transaction.atomic
def follow_up_answer(
    *,
    actor: User,
    task: Task,
    verified: bool,
    rectification: str,
    answer: str,
    now: datetime | None = None,
) -> Evaluation:
    """The supervisor answers a bad rating (the same path as ``POST /tasks/{id}/complete``)."""
    _department_staff_check(
        actor, task.department_id, StaffRole.SUPERVISOR, _("只有承办部门的监管岗位可以答复此差评")
    )
    if task.kind != TaskKind.EVALUATION_FOLLOW_UP:
        raise InvalidStateChange(_("该待办不是待办理的差评整改"))
    task_complete(
        actor=actor,
        task=task,
        decision=Decision.ANSWER,
        comment=answer,
        data={"verified": verified, "rectification": rectification},
        now=now,
    )
    return Evaluation.objects.get(follow_up_task=task)


# --- appeal (申诉复核) -----------------------------------------------------------------------


@transaction.atomic
def appeal_open(
    *,
    actor: User,
    evaluation: Evaluation,
    kind: str,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """The department's supervisor appeals a bad rating as mistaken or abusive (申诉)."""
    _department_staff_check(
        actor,
        evaluation.department_id,
        StaffRole.SUPERVISOR,
        _("只有被评价部门的监管岗位可以申诉"),
    )
    evaluation = Evaluation.objects.select_for_update(of=("self",)).get(pk=evaluation.pk)
    errors: list[FieldError] = []
    if kind not in AppealKind.values:
        errors.append(
            FieldError(
                field="kind",
                message=_("只能是：%(values)s") % {"values": "、".join(AppealKind.values)},
            )
        )
    clean_reason = _text(reason, "reason", errors, required=True, limit=TEXT_MAX_LENGTH)
    if not evaluation.is_bad:
        errors.append(FieldError(field="evaluation", message=_("只能对差评申诉复核")))
    if errors:
        raise ValidationFailed(_("申诉内容有误"), errors=errors)
    if Appeal.objects.filter(evaluation=evaluation).exists():
        raise Conflict(_("该差评已申诉，不能重复申诉"))
    now = now or timezone.now()
    appeal = Appeal.objects.create(
        evaluation=evaluation,
        kind=kind,
        reason=clean_reason,
        opened_by=actor,
        opened_at=now,
    )
    values = {
        "case_no": evaluation.case.case_no or "",
        "department": evaluation.department.name,
        "score": Score(evaluation.score).label,
    }
    notify_center_admins(
        subject=_("差评申诉待复核：办件%(case_no)s") % values,
        body=_("%(department)s对办件%(case_no)s的评价（%(score)s）提出申诉，请复核。") % values,
    )
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    actor: User,
    appeal: Appeal,
    uphold: bool,
    comment: str,
    now: datetime | None = None,
) -> Appeal:
    """The center admin upholds (the rating no longer counts) or refuses an appeal."""
    if StaffRole.CENTER_ADMIN not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("只有中心管理员可以复核申诉"))
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("evaluation")
        .get(pk=appeal.pk)
    )
    errors: list[FieldError] = []
    if not isinstance(uphold, bool):
        errors.append(FieldError(field="uphold", message=_("请选择申诉是否成立")))
    clean_comment = _text(comment, "comment", errors, required=True, limit=TEXT_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("复核意见有误"), errors=errors)
    if appeal.state != AppealState.OPEN:
        raise InvalidStateChange(
            _("该申诉已复核（%(state)s）") % {"state": AppealState(appeal.state).label}
        )
    now = now or timezone.now()
    appeal.state = AppealState.UPHELD if uphold else AppealState.REFUSED
    appeal.decided_by = actor
    appeal.decided_at = now
    appeal.decision_comment = clean_comment
    appeal.save()
    if uphold:
        evaluation = appeal.evaluation
        evaluation.excluded_at = now
        evaluation.save(update_fields=["excluded_at", "updated_at"])
        if evaluation.follow_up_task_id is not None:
            # The rating is set aside, and with it the duty to answer it.
            Task.objects.filter(pk=evaluation.follow_up_task_id, state=TaskState.OPEN).update(
                state=TaskState.CANCELLED, updated_at=now
            )
    return appeal
