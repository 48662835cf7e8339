"""Request and response shapes of the 批前指导 / 预审 API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class GuidanceApplicantIn(Schema):
    type: str = Field("person", max_length=12, description="person | enterprise")
    uscc: str | None = Field(None, max_length=18, description="统一社会信用代码（企业时）")


class GuidanceIn(Schema):
    matter: str = Field(..., max_length=60, description="事项编码")
    kind: str = Field(..., max_length=16, description="pre_approval 批前指导 | pre_review 预约预审")
    description: str = Field(..., max_length=4000, description="项目情况和需要指导的问题")
    draft_form: dict[str, Any] = Field(default_factory=dict, description="申请表草稿")
    appointment_at: datetime | None = Field(None, description="预约时间（预约预审必填）")
    applicant: GuidanceApplicantIn | None = None


class GuidanceAnswerIn(Schema):
    answer: str = Field(..., max_length=4000, description="指导意见")
    checked_items: list[str] = Field(default_factory=list, description="已预审内容")


class GuidanceOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    matter: dict[str, str]
    department: dict[str, str]
    applicant_name: str
    description: str
    draft_form: dict[str, Any]
    appointment_at: datetime | None
    answer: str
    checked_items: list[str]
    answered_at: datetime | None
    created_at: datetime
    #: Where the applicant applies on the strength of this guidance.
    apply_url: str | None
