"""Request and response shapes of the counter API: 批前指导 / 预审, the queue, appointments."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import PlainSerializer, WithJsonSchema


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


# --- the service center: sections, tickets, windows, appointments --------------------------


#: A time of day in Beijing time, "09:00:00". JSON Schema's "time" format wants an RFC 3339
#: offset ("09:00:00+08:00") that a wall-clock opening hour does not have: documented as a
#: pattern instead, so clients validating the answer accept what it says.
ClockTime = Annotated[
    time,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}$", "description": "北京时间 HH:MM:SS"}
    ),
]


class CenterSectionOut(Schema):
    code: str
    name: str
    letter: str
    windows: int = Field(..., description="今日有人值班的窗口数")
    waiting: int = Field(..., description="等候人数")
    average_wait_minutes: int = Field(..., description="今日平均等候（分钟）")
    estimated_wait_minutes: int = Field(..., description="现在取号预计等候（分钟）")
    open_now: bool
    opens_at: ClockTime
    closes_at: ClockTime
    break_start: ClockTime | None
    break_end: ClockTime | None


class TicketIn(Schema):
    section: str = Field(..., max_length=40, description="板块代码")
    matter: str | None = Field(None, max_length=60, description="事项编码")
    appointment: str | None = Field(None, max_length=12, description="预约码（预约签到）")
    source: str | None = Field(None, max_length=12, description="kiosk 现场 | phone 手机")


class TicketOut(Schema):
    number: str
    section: str
    section_name: str
    status: str = Field(
        ..., description="waiting | called | serving | done | no_show | transferred"
    )
    status_label: str
    window: str | None
    window_name: str | None
    ahead: int = Field(..., description="前面等候人数")
    estimated_wait_minutes: int
    priority: bool
    issued_at: datetime
    called_at: datetime | None
    transferred_to: str | None = Field(None, description="转移后的新号码")


class TransferIn(Schema):
    section: str = Field(..., max_length=40, description="转往的板块代码")


class WindowOut(Schema):
    code: str
    section: str
    section_name: str
    name: str
    kind: str


class CalledOut(Schema):
    number: str
    window: str
    window_name: str
    window_name_en: str
    section: str
    status: str
    called_at: datetime
    announced_at: datetime
    recalls: int


class SectionDayOut(Schema):
    code: str
    name: str
    letter: str
    windows: int
    issued: int
    waiting: int
    called: int
    serving: int
    served: int
    no_shows: int
    transferred: int
    median_wait_minutes: float | None
    median_service_minutes: float | None


class SlotOut(Schema):
    start: datetime
    end: datetime
    capacity: int
    left: int


class AppointmentIn(Schema):
    section: str = Field(..., max_length=40, description="板块代码")
    matter: str | None = Field(None, max_length=60, description="事项编码")
    start: datetime = Field(..., description="时段开始时间（Asia/Shanghai）")


class AppointmentOut(Schema):
    id: int
    code: str
    section: str
    section_name: str
    matter: str | None
    matter_name: str | None
    start: datetime
    end: datetime
    status: str = Field(..., description="booked | cancelled | checked_in | no_show")
    status_label: str
    ticket: str | None = Field(None, description="签到后取得的号码")
