"""Factories for identity models, built through the services so they are always valid."""

from __future__ import annotations

import datetime as dt
import itertools

from tongban.identity import services
from tongban.identity.models import Agent, Enterprise, Person, User
from tongban.identity.numbers import resident_id_make, uscc_make

PASSWORD = "test-pass-2026"

_counter = itertools.count(1)


def make_resident_id(
    birth: dt.date = dt.date(1990, 5, 17), area: str = "310101", seq: int | None = None
) -> str:
    """A valid resident ID; a fresh sequence number each call unless ``seq`` is given."""
    return resident_id_make(
        area=area, birth=birth, sequence=next(_counter) % 1000 if seq is None else seq
    )


def make_uscc(
    authority: str = "9", kind: str = "1", area: str = "310114", org: str | None = None
) -> str:
    """A valid unified social credit code; a fresh organisation code each call by default."""
    return uscc_make(
        authority=authority, kind=kind, area=area, org=org or f"MA1G{next(_counter):04d}"
    )


def make_user(*, username: str | None = None, first_name: str = "") -> User:
    return services.user_create(
        username=username or f"user{next(_counter)}", password=PASSWORD, first_name=first_name
    )


def make_person(*, user: User | None = None, name: str = "测试人", id_number: str = "") -> Person:
    n = next(_counter)
    return services.person_create(
        name=name,
        id_number=id_number
        or make_resident_id(birth=dt.date(1980, 1, 1) + dt.timedelta(days=n), seq=n % 1000),
        user=user,
        phone="13800138000",
    )


def make_enterprise(*, name: str = "", uscc: str = "") -> Enterprise:
    code = uscc or make_uscc()
    return services.enterprise_create(uscc=code, name=name or f"测试企业{code[-6:]}有限公司")


def make_agent(*, user: User | None = None, enterprise: Enterprise | None = None) -> Agent:
    return services.agent_authorise(
        user=user or make_user(), enterprise=enterprise or make_enterprise()
    )


def make_staff(*, department_code: str, roles: list[str], username: str | None = None) -> User:
    return services.staff_create(
        username=username or f"staff{next(_counter)}",
        password=PASSWORD,
        department_code=department_code,
        roles=roles,
    )
