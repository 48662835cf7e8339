"""Loads the demo district (CONTRACT.md) through the catalogue and identity services.

Idempotent: each step creates what is missing and updates what differs;
matters publish a new version only when their guide changed, so a second
load writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction

from tongban.catalog.models import Department, Matter, MatterVersion, Section, Theme
from tongban.catalog.services import (
    certificate_type_upsert,
    department_upsert,
    matter_upsert,
    section_upsert,
    synonym_upsert,
    theme_upsert,
)
from tongban.demo import data
from tongban.demo.accounts import DEMO_PASSWORD, DEPARTMENT_ROLE_SUFFIXES, demo_usernames
from tongban.identity.choices import StaffRole
from tongban.identity.models import Agent, Enterprise, Person, User
from tongban.identity.services import (
    agent_authorise,
    enterprise_create,
    person_create,
    role_groups_ensure,
    staff_create,
    user_create,
)

PUBLISHER = "demo"

#: The role each department account suffix stands for.
SUFFIX_ROLES = {
    "clerk": StaffRole.CLERK,
    "reviewer": StaffRole.REVIEWER,
    "approver": StaffRole.APPROVER,
    "supervisor": StaffRole.SUPERVISOR,
}


@dataclass
class DemoSummary:
    """What the database holds after a load, and what this load changed."""

    departments: int = 0
    sections: int = 0
    certificate_types: int = 0
    matters: int = 0
    themes: int = 0
    synonyms: int = 0
    accounts: int = 0
    people: int = 0
    enterprises: int = 0
    #: Matter versions published by this load (0 when nothing changed).
    versions_published: int = 0
    #: Accounts, people and enterprises created by this load.
    created: int = 0
    #: The 政务信息资源目录 (issue 4): resources, data items, departments, registry records.
    data_resources: int = 0
    data_fields: int = 0
    data_departments: int = 0
    registry_records: int = 0

    def lines(self) -> list[str]:
        return [
            f"部门 (departments): {self.departments}",
            f"板块 (sections): {self.sections}",
            f"证照类型 (certificate types): {self.certificate_types}",
            f"事项 (matters): {self.matters}",
            f"主题服务 (themes): {self.themes}",
            f"搜索同义词 (synonyms): {self.synonyms}",
            f"演示账号 (demo accounts): {self.accounts}",
            f"自然人 (people): {self.people}",
            f"企业 (enterprises): {self.enterprises}",
            f"本次发布事项版本 (matter versions published): {self.versions_published}",
            f"本次新建账号/自然人/企业 (accounts, people, enterprises created): {self.created}",
            f"数据资源 (data resources): {self.data_resources}",
            f"信息项 (data items): {self.data_fields}",
            f"提供数据的部门 (departments providing data): {self.data_departments}",
            f"登记记录 (registry records): {self.registry_records}",
        ]


def demo_is_loaded() -> bool:
    """Whether the demo district is present (its first matter and first account exist)."""
    return (
        Matter.objects.filter(code="company-registration").exists()
        and User.objects.filter(username="citizen").exists()
    )


def demo_department_codes() -> list[str]:
    return [d["code"] for d in data.DEPARTMENTS]


def demo_load(
    *, stdout: TextIO | None = None, progress: Callable[[str], None] | None = None
) -> DemoSummary:
    """Load or refresh the demo district; running it again changes nothing."""

    def say(message: str) -> None:
        if progress is not None:
            progress(message)
        if stdout is not None:
            stdout.write(message + "\n")

    summary = DemoSummary()
    versions_before = MatterVersion.objects.count()

    say(f"部门和板块 (departments and sections): {len(data.DEPARTMENTS)} + {len(data.SECTIONS)}")
    with transaction.atomic():
        for order, item in enumerate(data.DEPARTMENTS, start=1):
            department_upsert(**{"order": order, "in_center": True, **item})
        for order, item in enumerate(data.SECTIONS, start=1):
            section_upsert(**{"order": order, **item})

    say(f"证照类型 (certificate types): {len(data.CERTIFICATE_TYPES)}")
    with transaction.atomic():
        for item in data.CERTIFICATE_TYPES:
            values = {"is_combined": False, **item}
            # ``fields`` is also a CertificateType column: pass every value in one mapping.
            certificate_type_upsert(code=values.pop("code"), fields=values)

    total = len(data.MATTERS)
    with transaction.atomic():
        for index, item in enumerate(data.MATTERS, start=1):
            fields = dict(item)
            code = fields.pop("code")
            materials = fields.pop("materials")
            matter_upsert(code=code, fields=fields, materials=materials, published_by=PUBLISHER)
            if index % 10 == 0 or index == total:
                say(f"事项 (matters): {index}/{total}")

    say(f"主题服务 (themes): {len(data.THEMES)}")
    with transaction.atomic():
        for theme in data.THEMES:
            theme_upsert(code=theme["code"], fields=theme["fields"], matters=theme["matters"])

    say(f"搜索同义词 (synonyms): {len(data.SYNONYMS)}")
    with transaction.atomic():
        for term, expansions in data.SYNONYMS.items():
            synonym_upsert(term=term, expansions=expansions)

    say("角色和演示账号 (roles and demo accounts)")
    with transaction.atomic():
        role_groups_ensure()
        summary.created += _accounts_ensure(say)

    say(f"自然人和企业 (people and enterprises): {len(data.PEOPLE)} + {len(data.ENTERPRISES)}")
    with transaction.atomic():
        summary.created += _people_ensure()
        summary.created += _enterprises_ensure()

    say("信用记录 (credit records)")
    from tongban.credit.demo import credit_demo_load

    with transaction.atomic():
        summary.created += credit_demo_load()

    say("数据资源目录和登记记录 (data resources and registries)")
    # Imported late: the exchange app is optional for the rest of the demo.
    from tongban.exchange.data import catalogue_demo_load

    catalogue = catalogue_demo_load()
    summary.data_resources = catalogue.resources
    summary.data_fields = catalogue.fields
    summary.data_departments = catalogue.departments
    summary.registry_records = catalogue.records

    department_codes = demo_department_codes()
    summary.departments = Department.objects.filter(code__in=department_codes).count()
    summary.sections = Section.objects.count()
    summary.certificate_types = len(data.CERTIFICATE_TYPES)
    summary.matters = Matter.objects.count()
    summary.themes = Theme.objects.count()
    summary.synonyms = len(data.SYNONYMS)
    summary.accounts = User.objects.filter(username__in=demo_usernames(department_codes)).count()
    summary.people = Person.objects.filter(
        id_number__in=[p["id_number"] for p in data.PEOPLE]
    ).count()
    summary.enterprises = Enterprise.objects.filter(
        uscc__in=[e["uscc"] for e in data.ENTERPRISES]
    ).count()
    summary.versions_published = MatterVersion.objects.count() - versions_before
    return summary


def _accounts_ensure(say: Callable[[str], None]) -> int:
    created = 0
    existing = set(User.objects.values_list("username", flat=True))
    wanted = demo_usernames(demo_department_codes())
    missing = len([u for u in wanted if u not in existing])
    people_by_username = {p["username"]: p for p in data.PEOPLE if p["username"]}
    # One hash for every demo account: hashing 84 passwords one by one takes half a minute.
    hashed = make_password(DEMO_PASSWORD)
    for username in ("citizen", "citizen2", "agent"):
        if username in existing:
            continue
        person = people_by_username[username]
        user_create(
            username=username,
            password=hashed,
            password_hashed=True,
            first_name=person["name"],
            phone=person["phone"],
        )
        created += 1
    if "admin" not in existing:
        admin = staff_create(
            username="admin",
            password=hashed,
            password_hashed=True,
            department_code="center",
            roles=[StaffRole.CENTER_ADMIN],
            name="中心管理员",
        )
        # The center admin runs the whole Django admin of the demo.
        admin.is_staff = True
        admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
        created += 1
    for department in data.DEPARTMENTS:
        for suffix in DEPARTMENT_ROLE_SUFFIXES:
            username = f"{department['code']}-{suffix}"
            if username in existing:
                continue
            role = SUFFIX_ROLES[suffix]
            staff_create(
                username=username,
                password=hashed,
                password_hashed=True,
                department_code=department["code"],
                roles=[role],
                name=f"{department['name']}{role.label}",
            )
            created += 1
            if created % 20 == 0:
                say(f"演示账号 (demo accounts): {created}/{missing}")
    return created


def _people_ensure() -> int:
    created = 0
    for item in data.PEOPLE:
        if Person.objects.filter(id_number=item["id_number"]).exists():
            continue
        user = User.objects.filter(username=item["username"]).first() if item["username"] else None
        person_create(
            name=item["name"],
            id_number=item["id_number"],
            user=user,
            phone=item["phone"],
            gender=item["gender"],
            address=item["address"],
        )
        created += 1
    return created


def _enterprises_ensure() -> int:
    created = 0
    for item in data.ENTERPRISES:
        enterprise = Enterprise.objects.filter(uscc=item["uscc"]).first()
        if enterprise is None:
            values: dict[str, Any] = {k: v for k, v in item.items() if k != "agents"}
            enterprise = enterprise_create(**values)
            created += 1
        for username in item["agents"]:
            user = User.objects.get(username=username)
            if not Agent.objects.filter(user=user, enterprise=enterprise).exists():
                agent_authorise(user=user, enterprise=enterprise)
    return created


def demo_accounts_table() -> list[tuple[str, str, str]]:
    """(username, who, roles) of every demo account, for `tongban demo accounts`."""
    rows: list[tuple[str, str, str]] = [
        ("citizen", f"{data.PEOPLE[0]['name']}（个人 / person）", "-"),
        ("citizen2", f"{data.PEOPLE[1]['name']}（个人 / person）", "-"),
        ("agent", f"{data.PEOPLE[2]['name']}（{data.ENTERPRISES[0]['name']} 经办人 / agent）", "-"),
        ("admin", "行政服务中心 (center)", f"{StaffRole.CENTER_ADMIN.label} (center_admin)"),
    ]
    for department in data.DEPARTMENTS:
        for suffix in DEPARTMENT_ROLE_SUFFIXES:
            role = SUFFIX_ROLES[suffix]
            rows.append(
                (
                    f"{department['code']}-{suffix}",
                    f"{department['name']} ({department['code']})",
                    f"{role.label} ({role.value})",
                )
            )
    return rows
