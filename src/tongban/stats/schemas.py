"""Response shapes of the indicators API (definitions: docs/indicators.md).

A rate is a number from 0 to 1, or null when nothing was there to count (no decided case,
no completed case …) in the period.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class PeriodOut(Schema):
    from_: str = Field(alias="from", description="YYYY-MM-DD，含")
    to: str = Field(description="YYYY-MM-DD，含")


class ChannelCountsOut(Schema):
    online: int
    window: int
    mobile: int


class OverviewOut(Schema):
    as_of: datetime
    period: PeriodOut
    department: str | None
    section: str | None
    matters_total: int = Field(description="在线（有效）事项数")
    matters_on_platform: int
    access_rate: float | None = Field(description="接入率")
    matters_online: int
    online_rate: float | None = Field(description="网上申报率")
    enterprise_matters: int
    enterprise_one_visit: int
    one_visit_rate: float | None = Field(description="只跑一次率（法人事项，按办事指南）")
    personal_matters: int
    personal_citywide: int
    citywide_rate: float | None = Field(description="全市通办率（个人事项）")
    themes: int
    cases_total: int = Field(description="期间内提交的办件（单事项，含主题服务中的事项）")
    cases_by_channel: ChannelCountsOut
    accepted: int
    rejected: int
    approved: int
    denied: int
    decided: int
    completed: int
    withdrawn: int
    overdue_rate: float | None = Field(description="超期率：决定晚于期限的办件 / 作出决定的办件")
    extension_rate: float | None
    first_pass_rate: float | None = Field(description="一次通过率：未经补正办结 / 办结")
    supplement_rate: float | None
    one_visit_share: float | None
    theme_applications: int
    delivery_share: float | None = Field(description="寄递占比：寄送 / （寄送 + 窗口领取）")
    shipped: int
    picked_up: int
    combined_licences_issued: int
    enterprise_cases_completed: int
    enterprise_one_visit_share: float | None
    visits: int
    median_working_days: float | None
    p90_working_days: int | None
    shared_materials: int
    shared_materials_per_case: float | None
    data_lookups: int
    data_lookups_per_case: float | None
    went_overdue: int
    extended: int
    satisfaction_rate: float | None
    bad_ratings_open: int


class DepartmentStatsOut(Schema):
    code: str
    name: str
    cases: int
    accepted: int
    rejected: int
    approved: int
    denied: int
    decided: int
    completed: int
    withdrawn: int
    median_working_days: float | None
    p90_working_days: int | None
    overdue_rate: float | None
    extension_rate: float | None
    first_pass_rate: float | None
    supplement_rate: float | None
    one_visit_share: float | None
    satisfaction_rate: float | None
    bad_ratings_open: int


# --- the heat map of a process version (docs/heatmap.md) -------------------------------------


class HeatmapNodeOut(Schema):
    node: str = Field(description="BPMN 元素 id")
    name: str = Field(description="环节名称（按界面语言）")
    type: str = Field(description="BPMN 类型，如 UserTask、ExclusiveGateway")
    lane: str
    passed_cases: int | None = Field(
        description="期间内离开该环节的办件数（去重；期间超过92天时不去重统计，为 null）"
    )
    passed_visits: int = Field(description="期间内离开该环节的次数（回退重入各计一次）")
    waiting_cases: int = Field(description="当前停留在该环节的办件数")
    waiting_visits: int
    waiting_since: datetime | None = Field(description="停留最久的一件到达的时间")
    median_working_days: float | None = Field(description="停留时长中位数（工作日）")
    p90_working_days: int | None = Field(description="停留时长90分位（工作日）")


class HeatmapFlowOut(Schema):
    flow: str | None = Field(description="BPMN sequenceFlow id（无对应连线时为 null）")
    from_node: str
    to_node: str
    visits: int = Field(description="期间内经过该连线的次数")
    cases: int | None = Field(description="经过该连线的办件数（去重；期间超过92天时为 null）")


class HeatmapSupplementOut(Schema):
    nodes: list[str] = Field(description="申请人泳道（补正）的环节")
    visits: int = Field(description="期间内补正次数")
    repeat_cases: int | None = Field(
        description="期间内补正两次及以上的办件数（期间超过92天时为 null）"
    )


class HeatmapVersionOut(Schema):
    version: int
    published_at: datetime | None
    nodes: list[HeatmapNodeOut]
    flows: list[HeatmapFlowOut]
    supplement: HeatmapSupplementOut


class HeatmapOut(Schema):
    process: str
    from_: date = Field(alias="from")
    to: date
    department: str | None
    available_versions: list[int] = Field(description="期间内有办件经过（或现在停留）的版本")
    versions: list[HeatmapVersionOut]


class WaitingCaseOut(Schema):
    case_id: int
    case_no: str | None
    matter: dict[str, str] | None
    department: str
    department_name: str
    version: int
    waiting_since: datetime
    task_due_date: date | None = Field(description="环节期限")
    due_date: date | None = Field(description="办结期限")
    sla_state: str = Field(description="normal / warning / overdue / suspended")
    sla_label: str
    overdue: bool


class WaitingCasesOut(Schema):
    process: str
    node: str
    department: str | None
    cases: list[WaitingCaseOut]
