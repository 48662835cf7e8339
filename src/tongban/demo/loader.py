"""Loads the demo district (CONTRACT.md) from its data files through production's services.

The files under ``demo/data/`` (read by ``tongban.demo.district``) go through
the services an administrator's import uses: ``matter_upsert`` and the other
catalogue upserts, the identity services, ``credit_record_create`` and the
exchange's ``catalogue_upsert``, ``registry_records_upsert`` and
``elicences_import``, so the demo obeys every rule real data obeys.

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
from django.db.models import Q
from django.utils import timezone

from tongban.catalog.models import Department, Matter, MatterVersion, Section, Theme
from tongban.catalog.services import (
    certificate_type_upsert,
    department_upsert,
    matter_upsert,
    section_upsert,
    synonym_upsert,
    theme_upsert,
)
from tongban.counter.models import NegativeListEntry, Window
from tongban.counter.services.center import (
    center_section_upsert,
    negative_list_upsert,
    window_assignment_ensure,
    window_upsert,
)
from tongban.credit.models import CreditRecord
from tongban.credit.services import credit_record_create
from tongban.demo.accounts import (
    CENTER_CLERKS,
    DEMO_PASSWORD,
    DEPARTMENT_ROLE_SUFFIXES,
    demo_usernames,
)
from tongban.demo.district import District, Row, district_read
from tongban.exchange.catalogue import catalogue_upsert
from tongban.exchange.choices import GrantStatus
from tongban.exchange.models import ShareGrant
from tongban.exchange.registries import elicences_import, registry_records_upsert
from tongban.exchange.services import grant_decide, grant_request
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
    #: Approved share grants of conditional resources (the promises of 免提交 kept).
    grants: int = 0
    #: The service center (issue 11): windows and matters on the negative list.
    windows: int = 0
    negative_list: int = 0

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
            f"共享授权 (share grants): {self.grants}",
            f"服务中心窗口 (center windows): {self.windows}",
            f"不进驻中心事项 (negative list): {self.negative_list}",
        ]


def demo_is_loaded() -> bool:
    """Whether the demo district is present (its first matter and first account exist)."""
    return (
        Matter.objects.filter(code="company-registration").exists()
        and User.objects.filter(username="citizen").exists()
    )


@dataclass(frozen=True)
class DemoCatalogueSummary:
    """What the demo catalogue holds, and whether this load changed anything."""

    resources: int
    fields: int
    departments: int
    records: int
    elicences: int
    changed: bool


def demo_load(
    *, stdout: TextIO | None = None, progress: Callable[[str], None] | None = None
) -> DemoSummary:
    """Load or refresh the demo district; running it again changes nothing."""

    def say(message: str) -> None:
        if progress is not None:
            progress(message)
        if stdout is not None:
            stdout.write(message + "\n")

    district = district_read()
    summary = DemoSummary()
    versions_before = MatterVersion.objects.count()

    say(
        "部门和板块 (departments and sections): "
        f"{len(district.departments)} + {len(district.sections)}"
    )
    with transaction.atomic():
        for order, item in enumerate(district.departments, start=1):
            department_upsert(**{"order": order, "in_center": True, **item})
        for order, item in enumerate(district.sections, start=1):
            section_upsert(**{"order": order, **item})

    say(f"证照类型 (certificate types): {len(district.certificate_types)}")
    with transaction.atomic():
        for item in district.certificate_types:
            values = {"is_combined": False, **item}
            # ``fields`` is also a CertificateType column: pass every value in one mapping.
            certificate_type_upsert(code=values.pop("code"), fields=values)

    total = len(district.matters)
    with transaction.atomic():
        for index, item in enumerate(district.matters, start=1):
            fields = dict(item)
            code = fields.pop("code")
            materials = fields.pop("materials")
            matter_upsert(code=code, fields=fields, materials=materials, published_by=PUBLISHER)
            if index % 10 == 0 or index == total:
                say(f"事项 (matters): {index}/{total}")

    say(f"主题服务 (themes): {len(district.themes)}")
    with transaction.atomic():
        for theme in district.themes:
            fields = {k: v for k, v in theme.items() if k not in ("code", "matters")}
            theme_upsert(code=theme["code"], fields=fields, matters=theme["matters"])

    say(f"搜索同义词 (synonyms): {len(district.synonyms)}")
    with transaction.atomic():
        for term, expansions in district.synonyms.items():
            synonym_upsert(term=term, expansions=expansions)

    say("角色和演示账号 (roles and demo accounts)")
    with transaction.atomic():
        role_groups_ensure()
        summary.created += _accounts_ensure(district, say)

    say(
        "自然人和企业 (people and enterprises): "
        f"{len(district.people)} + {len(district.enterprises)}"
    )
    with transaction.atomic():
        summary.created += _people_ensure(district.people)
        summary.created += _enterprises_ensure(district.enterprises)

    say(
        "服务中心 (service center): "
        f"{len(district.center['windows'])} windows, "
        f"{len(district.center['negative_list'])} on the negative list"
    )
    demo_center_load(district)
    summary.windows = Window.objects.count()
    summary.negative_list = NegativeListEntry.objects.count()

    say(f"信用记录 (credit records): {len(district.credit_records)}")
    summary.created += demo_credit_records_load(district.credit_records)

    say("数据资源目录和登记记录 (data resources and registries)")
    catalogue = demo_catalogue_load(district)
    summary.data_resources = catalogue.resources
    summary.data_fields = catalogue.fields
    summary.data_departments = catalogue.departments
    summary.registry_records = catalogue.records

    say(f"共享授权 (share grants): {len(district.grants)}")
    summary.grants = demo_grants_load(district.grants)

    department_codes = [d["code"] for d in district.departments]
    summary.departments = Department.objects.filter(code__in=department_codes).count()
    summary.sections = Section.objects.count()
    summary.certificate_types = len(district.certificate_types)
    summary.matters = Matter.objects.count()
    summary.themes = Theme.objects.count()
    summary.synonyms = len(district.synonyms)
    summary.accounts = User.objects.filter(username__in=demo_usernames(department_codes)).count()
    summary.people = Person.objects.filter(
        id_number__in=[p["id_number"] for p in district.people]
    ).count()
    summary.enterprises = Enterprise.objects.filter(
        uscc__in=[e["uscc"] for e in district.enterprises]
    ).count()
    summary.versions_published = MatterVersion.objects.count() - versions_before
    return summary


@transaction.atomic
def demo_center_load(district: District) -> None:
    """The service center: sections' hours, windows and their standing clerks, negative list."""
    center = district.center
    for item in center["sections"]:
        fields = {k: v for k, v in item.items() if k != "section"}
        center_section_upsert(section_code=item["section"], fields=fields)
    clerks = {u.username: u for u in User.objects.filter(username__startswith="center-")}
    for item in center["windows"]:
        fields = {
            k: v for k, v in item.items() if k not in ("code", "section", "clerks", "matters")
        }
        window_upsert(
            code=item["code"],
            section_code=item["section"],
            fields=fields,
            matters=item.get("matters"),
        )
        for username in item.get("clerks", []):
            window_assignment_ensure(window_code=item["code"], clerk=clerks[username])
    for item in center["negative_list"]:
        fields = {k: v for k, v in item.items() if k != "matter"}
        negative_list_upsert(matter_code=item["matter"], fields=fields)


@transaction.atomic
def demo_credit_records_load(records: list[Row]) -> int:
    """Enter the demo credit records that are missing; returns how many were created."""
    created = 0
    for item in records:
        exists = CreditRecord.objects.filter(
            subject=item["subject"],
            list_kind=item["list_kind"],
            level=item["level"],
            source__code=item["source_code"],
            valid_from=item["valid_from"],
        ).exists()
        if not exists:
            credit_record_create(actor=None, **item)
            created += 1
    return created


@transaction.atomic
def demo_catalogue_load(district: District) -> DemoCatalogueSummary:
    """The 政务信息资源目录, its registry records and the imported e-licences; idempotent."""
    catalogue = catalogue_upsert(resources=district.resources)
    records = registry_records_upsert(records=district.registry_records)
    licences = elicences_import(licences=district.elicences)
    return DemoCatalogueSummary(
        resources=catalogue.resources,
        fields=catalogue.fields,
        departments=len({r["provider"] for r in district.resources}),
        records=records.records,
        elicences=licences.records,
        changed=catalogue.changed
        or bool(records.created + records.updated + licences.created + licences.updated),
    )


@transaction.atomic
def demo_grants_load(grants: list[Row]) -> int:
    """Approve the demo's share grants that are missing, as a department and a steward would.

    Each is requested by the department's clerk and approved by the center admin through the
    exchange's services; returns how many approved grants the demo now holds.
    """
    admin = User.objects.get(username="admin")
    today = timezone.localdate()
    held = 0
    for item in grants:
        live = ShareGrant.objects.filter(
            resource__code=item["resource"],
            department__code=item["department"],
            matter__code=item.get("matter"),
            status=GrantStatus.APPROVED,
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        if not live.exists():
            grant = grant_request(
                actor=User.objects.get(username=f"{item['department']}-clerk"),
                resource_code=item["resource"],
                department_code=item["department"],
                matter_code=item.get("matter"),
                reason=item["reason"],
            )
            grant_decide(actor=admin, grant=grant, approve=True, note="演示区共享授权")
        held += 1
    return held


def _accounts_ensure(district: District, say: Callable[[str], None]) -> int:
    created = 0
    existing = set(User.objects.values_list("username", flat=True))
    wanted = demo_usernames([d["code"] for d in district.departments])
    missing = len([u for u in wanted if u not in existing])
    if not missing:
        # Nothing to create, and hashing the password alone takes half a second.
        return 0
    people_by_username = {p["username"]: p for p in district.people if p["username"]}
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
    for number, username in enumerate(CENTER_CLERKS, start=2):
        if username in existing:
            continue
        staff_create(
            username=username,
            password=hashed,
            password_hashed=True,
            department_code="center",
            roles=[StaffRole.CLERK],
            name=f"行政服务中心窗口受理{number}",
        )
        created += 1
    for department in district.departments:
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


def _people_ensure(people: list[Row]) -> int:
    created = 0
    for item in people:
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


def _enterprises_ensure(enterprises: list[Row]) -> int:
    created = 0
    for item in enterprises:
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
    district = district_read()
    people = {p["username"]: p for p in district.people if p["username"]}
    enterprise = district.demo_enterprise
    rows: list[tuple[str, str, str]] = [
        ("citizen", f"{people['citizen']['name']}（个人 / person）", "-"),
        ("citizen2", f"{people['citizen2']['name']}（个人 / person）", "-"),
        ("agent", f"{people['agent']['name']}（{enterprise['name']} 经办人 / agent）", "-"),
        ("admin", "行政服务中心 (center)", f"{StaffRole.CENTER_ADMIN.label} (center_admin)"),
    ]
    rows.extend(
        (username, "行政服务中心 (center)", f"{StaffRole.CLERK.label} (clerk)")
        for username in CENTER_CLERKS
    )
    for department in district.departments:
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
