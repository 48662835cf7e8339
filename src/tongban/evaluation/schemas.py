"""Request and response shapes of the 好差评 API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt


class EvaluationIn(Schema):
    score: StrictInt = Field(..., description="1 非常不满意 … 5 非常满意")
    stage: str | None = Field(
        None, max_length=12, description="acceptance | result；省略则为最近一个已办理且未评价的环节"
    )
    comment: str = Field("", max_length=4000)
    dimensions: dict[str, Any] | None = Field(
        None, description="分项评价 {efficiency, attitude, convenience}: 1..5"
    )
    channel: str = Field("online", max_length=10, description="online | mobile")


class DeviceRatingIn(Schema):
    score: StrictInt = Field(..., description="1..5")
    comment: str = Field("", max_length=4000)
    dimensions: dict[str, Any] | None = None


class EvaluationOut(Schema):
    id: int
    case_id: int
    case_no: str | None
    stage: str
    score: int
    score_label: str
    dimensions: dict[str, int]
    comment: str
    channel: str
    rated_at: datetime
    department: str
    matter: str | None
    theme: str | None
    bad: bool
    follow_up_task: int | None
    follow_up_due_date: date | None
    answered_at: datetime | None
    verified: bool | None
    rectification: str
    answer: str
    counted: bool
    appeal: str | None = Field(None, description="申诉状态 open | upheld | refused")


class StageOut(Schema):
    stage: str
    label: str
    happened_at: datetime | None
    rated: bool
    open: bool


class CaseEvaluationsOut(Schema):
    stages: list[StageOut]
    evaluations: list[EvaluationOut]


class SummaryOut(Schema):
    department: str
    department_name: str
    ratings: int
    average_score: float | None
    bad_ratings: int
    bad_ratings_answered: int
    bad_ratings_open: int
    bad_ratings_overdue: int
    satisfied: int
    satisfaction_rate: float | None


class MatterScoreOut(Schema):
    matter: str | None
    theme: str | None
    name: str
    department: str
    ratings: int
    average_score: float | None
    bad_ratings: int
    satisfaction_rate: float | None


class AnswerIn(Schema):
    verified: StrictBool = Field(..., description="核实结果：true 属实，false 不属实")
    rectification: str = Field(..., max_length=4000, description="整改情况")
    answer: str = Field(..., max_length=4000, description="给申请人的答复")


class AppealIn(Schema):
    kind: str = Field(..., max_length=10, description="mistaken 误评 | abusive 恶意差评")
    reason: str = Field(..., max_length=4000)


class AppealDecideIn(Schema):
    uphold: StrictBool = Field(..., description="true 申诉成立（评价不计入） | false 不成立")
    comment: str = Field(..., max_length=4000)


class AppealOut(Schema):
    id: int
    evaluation: EvaluationOut
    kind: str
    reason: str
    state: str
    opened_at: datetime
    decided_at: datetime | None
    decision_comment: str


class RatingRequestIn(Schema):
    stage: str | None = Field(None, max_length=12)


class RatingRequestOut(Schema):
    token: str
    url: str
    case_no: str | None
    matter: str
    stage: str
    stage_label: str
    expires_at: datetime
