from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime


class MePerson(Schema):
    name: str
    #: Masked: 310***********1234.
    id_number: str
    #: Masked: 138****1234.
    phone: str


class MeEnterprise(Schema):
    uscc: str
    name: str


class MeStaff(Schema):
    department: str
    department_name: str
    roles: list[str]


class MeOut(Schema):
    username: str
    person: MePerson | None
    enterprises: list[MeEnterprise]
    staff: MeStaff | None
