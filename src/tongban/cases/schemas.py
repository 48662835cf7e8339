"""Request and response shapes of the applications and tasks API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    """A shape of the case's answer, validated by pydantic alone.

    The answer is a plain dict built by ``case_out``: ninja's ``Schema`` would wrap every
    nested object of it in its ``DjangoGetter`` (for reading model attributes), ~0.4 ms of a
    case request for a case's 20-odd nested objects; the JSON and the OpenAPI shape are the
    same.
    """

    model_config = ConfigDict(from_attributes=True)


class WalkInPersonIn(Schema):
    """A person identified at the counter (前台综合受理)."""

    id_number: str | None = Field(None, max_length=18, description="公民身份号码")
    name: str | None = Field(None, max_length=50, description="姓名")
    mobile: str | None = Field(None, max_length=11, description="手机号码")


class ApplicantIn(Schema):
    type: str = Field("person", description="person | enterprise")
    uscc: str | None = Field(None, max_length=18, description="统一社会信用代码（企业申请时）")
    # channel "window" (a center window clerk for a walk-in):
    id_number: str | None = Field(None, max_length=18, description="窗口受理：申请人身份证号")
    name: str | None = Field(None, max_length=200, description="窗口受理：姓名或企业名称")
    mobile: str | None = Field(None, max_length=11, description="窗口受理：手机号码")
    agent: WalkInPersonIn | None = Field(None, description="窗口受理：企业的经办人")


class ApplicationIn(Schema):
    matter: str | None = Field(None, max_length=60, description="事项编码")
    theme: str | None = Field(None, max_length=60, description="主题编码（一件事）")
    applicant: ApplicantIn | None = None
    form: dict[str, Any] | None = None
    channel: str = Field("online", max_length=10)
    guidance: int | None = Field(None, description="批前指导/预审编号：据此申请，预填申请表")
    window: str | None = Field(None, max_length=20, description="窗口受理：受理窗口编号（选填）")
    ticket: str | None = Field(None, max_length=8, description="窗口受理：今日排队号，如 A012")


class DeferralIn(Schema):
    requirement: str = Field(..., max_length=60, description="容缺的非关键材料编码")
    until: str = Field(..., max_length=10, description="承诺补交日期 YYYY-MM-DD")


class CommitmentIn(Schema):
    #: 告知承诺: true when the applicant signs the matter's commitment text.
    signed: bool = False


class SubmitIn(Schema):
    #: 容缺受理: non-key materials delivered later, each with its promised date.
    deferred: list[DeferralIn] = Field(default_factory=list, max_length=50)
    #: 告知承诺书: {"signed": true}; required when the credit route is "commitment".
    commitment: CommitmentIn | None = None


class FormPatchIn(Schema):
    form: dict[str, Any]


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


class ExtendIn(Schema):
    days: int
    reason: str = Field(..., max_length=1000)


class SupplementItemIn(Schema):
    kind: str
    code: str
    reason: str = ""


class TaskCompleteIn(Schema):
    decision: str = Field(..., max_length=24)
    comment: str = Field("", max_length=4000)
    data: dict[str, Any] | None = None


class CodeName(_Out):
    code: str
    name: str


class ApplicantOut(_Out):
    type: str
    name: str


class MaterialOut(_Out):
    requirement: str
    name: str
    required: bool
    status: str
    status_label: str
    origin: str
    content_type: str
    size: int | None
    sha256: str
    original_name: str
    shared_resource: str | None
    #: When data sharing supplied the material (数据共享).
    shared_at: datetime | None = None
    #: The shared record (field code → value); staff only.
    shared_record: dict[str, Any] | None = None
    review_note: str = ""
    #: 容缺受理: the date the applicant promised a deferred material by.
    deferred_until: date | None = None
    #: Where the caller downloads the uploaded file (access-checked); None without a file.
    file_url: str | None = None


class TimelineOut(_Out):
    at: datetime
    action: str
    step: str
    department: str
    comment: str
    actor: str | None = None


class StepOut(_Out):
    code: str
    title: str
    state: str
    at: datetime | None


class TaskBrief(_Out):
    id: int
    kind: str
    name: str
    department: str
    role: str
    state: str
    due_date: date | None
    #: The decisions this task accepts (empty once it is done).
    decisions: list[str] = []


class SupplementOut(_Out):
    id: int
    items: list[dict[str, Any]]
    message: str
    requested_at: datetime


class CertificateBrief(_Out):
    number: str
    type: str
    status: str
    status_label: str
    issued_at: datetime
    valid_until: date | None
    pdf_url: str
    verify_url: str


class PaymentBrief(_Out):
    order_no: str
    amount: str
    status: str
    status_label: str
    pay_url: str
    paid_at: datetime | None


class DeliveryEventOut(_Out):
    at: datetime
    status: str
    status_label: str
    location: str
    note: str


class DeliveryBrief(_Out):
    method: str
    method_label: str
    status: str | None
    status_label: str | None
    carrier: str | None
    carrier_name: str | None = None
    tracking_no: str | None
    address: dict[str, Any]
    events: list[DeliveryEventOut]


class CaseOut(_Out):
    id: int
    case_no: str | None
    status: str
    status_label: str
    matter: CodeName | None
    matter_version: int | None
    theme: CodeName | None
    children: list[dict[str, Any]]
    applicant: ApplicantOut
    channel: str
    form: dict[str, Any]
    #: Form fields prefilled from shared data.
    prefilled_fields: list[str] = []
    materials: list[MaterialOut]
    submitted_at: datetime | None
    accepted_at: datetime | None
    decided_at: datetime | None
    completed_at: datetime | None
    due_date: date | None
    due_provisional: bool
    acceptance_due_date: date | None
    limit_days: int | None
    extension_days: int
    sla_state: str
    outcome_reason: str
    #: 信用分级分类审批: commitment | normal | strict | refused ("" before submission).
    route: str = ""
    route_label: str = ""
    route_reason: str = ""
    #: Whether the matter may be approved on commitment (告知承诺).
    commitment_eligible: bool = False
    #: The signed commitment text, or (a draft of an eligible matter) the text to sign.
    commitment_text: str = ""
    commitment_signed_at: datetime | None = None
    timeline: list[TimelineOut]
    steps: list[StepOut]
    tasks: list[TaskBrief]
    supplement: SupplementOut | None
    #: [{number, type, status, pdf_url, verify_url, …}]
    certificates: list[CertificateBrief]
    #: {order_no, amount, status, pay_url, …}; None when nothing is to be paid yet.
    payment: PaymentBrief | None
    #: {method, status, tracking_no, events, …}
    delivery: DeliveryBrief | None
    #: The matter version's fee in yuan ("0.00" when free).
    fee: str = "0.00"
    #: In-person visits so far (最多跑一次).
    visit_count: int = 0
    #: 联审: each reviewing department's opinion (construction-permit), else null.
    joint_review: dict[str, Any] | None = None


class CaseSummaryOut(_Out):
    id: int
    case_no: str | None
    status: str
    status_label: str
    matter: CodeName | None
    applicant: ApplicantOut
    created_at: datetime
    submitted_at: datetime | None
    due_date: date | None
    sla_state: str


class TaskOut(_Out):
    id: int
    kind: str
    name: str
    department: str
    role: str
    state: str
    due_date: date | None
    case_id: int
    case_no: str | None
    case_status: str
    matter: CodeName | None
    applicant_name: str
    sla_state: str
    claimed_by: str | None
    #: The decisions this task accepts in POST /tasks/{id}/complete (empty once it is done).
    decisions: list[str]
    decision: str
    comment: str


class OutputOut(_Out):
    """统一出件: a result waiting at (or collected from) the output window."""

    id: int
    case_no: str
    matter: CodeName | None
    holder: str
    holder_type: str
    ready_at: datetime | None
    handed_over_at: datetime | None
    status: str


class HandOverIn(Schema):
    id_number: str = Field(..., max_length=18, description="领取人的公民身份号码")
    signed: bool = Field(False, description="领取人已签字确认")
    agent_authorisation: str | None = Field(
        None, max_length=200, description="他人代领时：持证人书面授权委托书的说明（编号等）"
    )


class MicroCaseOut(_Out):
    """微查询: a case's status for whoever holds its number and the applicant's ID."""

    case_no: str
    matter: str
    status: str
    status_label: str
    due_date: date | None
    steps: list[StepOut]
