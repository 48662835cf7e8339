"""API shapes of the exchange: the public catalogue, share grants, the caller's data accesses."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class DepartmentRefOut(Schema):
    code: str
    name: str
    name_en: str = ""


class ResourceOut(Schema):
    code: str
    name: str
    name_en: str
    provider: DepartmentRefOut
    description: str
    share_type: str
    share_type_label: str
    share_condition: str
    open_type: str
    update_cycle: str
    format: str
    subject_kind: str
    field_count: int


class ResourcePageOut(Schema):
    items: list[ResourceOut]
    total: int
    page: int
    pages: int
    page_size: int


class DataFieldOut(Schema):
    code: str
    name: str
    name_en: str
    data_type: str
    description: str
    sensitive: bool


class ResourceDetailOut(ResourceOut):
    fields: list[DataFieldOut]


class GrantIn(Schema):
    #: Code of the conditional data resource asked for.
    resource: str = Field(..., min_length=1, max_length=80)
    #: Only for this matter (empty: every matter of the department).
    matter: str | None = Field(None, max_length=80)
    reason: str = Field(..., max_length=2000)


class GrantDecideIn(Schema):
    approve: bool
    note: str = Field("", max_length=2000)
    valid_until: dt.date | None = None


class GrantOut(Schema):
    id: int
    resource: str
    department: str
    matter: str | None
    reason: str
    status: str
    status_label: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    valid_until: dt.date | None


class DataAccessOut(Schema):
    seq: int
    at: dt.datetime
    department: DepartmentRefOut
    resource_code: str
    resource_name: str
    subject_masked: str
    case_no: str
    purpose: str
    fields_returned: list[str]
    result: str
    result_label: str


class DataAccessPageOut(Schema):
    items: list[DataAccessOut]
    total: int
    page: int
    pages: int
    page_size: int
