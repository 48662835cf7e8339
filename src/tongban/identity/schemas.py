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


class RegisterCodeIn(Schema):
    name: str = Field(min_length=1, max_length=50)
    #: 18-character resident ID (GB 11643).
    id_number: str = Field(min_length=1, max_length=30)
    #: Mainland mobile number.
    phone: str = Field(min_length=1, max_length=30)


class PasswordResetCodeIn(Schema):
    id_number: str = Field(min_length=1, max_length=30)
    phone: str = Field(min_length=1, max_length=30)


class CodeSentOut(Schema):
    #: Send it back with the code; the code itself went only by SMS.
    challenge: str
    #: Masked: 139****5678.
    phone: str
    expires_at: dt.datetime
    resend_at: dt.datetime


class CodeVerifyIn(Schema):
    challenge: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=10)
    password: str = Field(min_length=1, max_length=128)


class RegisteredOut(Schema):
    username: str
    #: A bearer token of the new account, as POST /auth/token would give.
    token: str
    expires_at: dt.datetime
