#!/usr/bin/env python3
"""Exchange benchmark: shared-data look-ups per second through the exchange vs a direct ORM read.

    .venv/bin/python bench/exchange.py [--n 2000] [--database-url URL]

Without ``--database-url`` it uses a throw-away SQLite file in a temporary
directory (removed afterwards).  It migrates, creates the police population
registry (an unconditional resource with 10 fields) with 1,000 records, a
market matter and one case, then times N calls of
``exchange.services.exchange_query`` (permission check, provider call, field
filtering and the hash-chained AccessLog row, committed each time) against N
direct ORM reads of the same RegistryRecord, in the same process and run, and
prints both rates and their ratio.  Target (issue 4): at least 30 %.
Exit status 1 when a query fails or the chain does not verify afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

#: The issue's target: exchange look-ups per second as a share of direct reads.
TARGET_RATIO = 0.30
RECORDS = 1000
FIELDS = [
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "address",
    "household_address",
    "marital_status",
    "education",
    "issuing_authority",
    "valid_until",
]


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    print("migrating …", flush=True)
    call_command("migrate", verbosity=0)


def _data() -> tuple[list[str], object, object]:
    from tongban.cases.services import case_create
    from tongban.catalog.models import Department
    from tongban.catalog.services import matter_upsert, section_upsert
    from tongban.exchange.choices import ShareType, SubjectKind
    from tongban.exchange.models import DataField, DataResource, RegistryRecord
    from tongban.identity import services as identity
    from tongban.identity.numbers import resident_id_make

    print(f"creating a resource, {RECORDS:,} registry records and a case …", flush=True)
    for order, (code, name) in enumerate([("market", "市场监管局"), ("police", "公安分局")]):
        Department.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    resource, _created = DataResource.objects.get_or_create(
        code="bench.population",
        defaults={
            "name": "人口基本信息（基准测试）",
            "provider": Department.objects.get(code="police"),
            "share_type": ShareType.UNCONDITIONAL,
            "subject_kind": SubjectKind.PERSON,
            "adapter": "local",
        },
    )
    for order, code in enumerate(FIELDS):
        DataField.objects.get_or_create(
            resource=resource, code=code, defaults={"name": code, "order": order}
        )
    subjects = [
        resident_id_make(
            area="310114", birth=dt.date(1960, 1, 1) + dt.timedelta(days=i * 7), sequence=i % 999
        )
        for i in range(RECORDS)
    ]
    RegistryRecord.objects.filter(resource=resource).delete()
    RegistryRecord.objects.bulk_create(
        [
            RegistryRecord(
                resource=resource,
                subject=subject,
                data={**{f: f"{f}-{i}" for f in FIELDS}, "not_declared": "x"},
            )
            for i, subject in enumerate(subjects)
        ]
    )
    section_upsert(code="commerce", fields={"name": "商事登记"})
    matter_upsert(
        code="bench-matter",
        fields={
            "name": "基准测试事项",
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "commerce",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
            "online_depth": "full_online",
            "channels": ["online"],
            "form_schema": {"type": "object", "properties": {}},
            "process": "standard_approval",
        },
        materials=[],
    )
    user = identity.user_create(username=f"bench-{time.time_ns()}", password="bench-pass-2026")
    identity.person_create(name="基准", id_number=subjects[0], user=user)
    case = case_create(actor=user, matter_code="bench-matter", form={})
    return subjects, case, user


def _run(n: int) -> int:
    from tongban.exchange.audit import audit_verify
    from tongban.exchange.models import RegistryRecord
    from tongban.exchange.services import exchange_query

    subjects, case, user = _data()
    code = "bench.population"

    def direct(i: int) -> dict[str, object]:
        record = RegistryRecord.objects.get(resource__code=code, subject=subjects[i % RECORDS])
        return dict(record.data)

    def exchange(i: int) -> dict[str, object]:
        return exchange_query(
            actor=user,  # type: ignore[arg-type]
            department_code="market",
            resource_code=code,
            subject=subjects[i % RECORDS],
            case=case,
            purpose="基准测试",
        ).fields

    for fn in (direct, exchange):  # warm-up: connections, caches, imports
        for i in range(50):
            fn(i)

    rates: dict[str, float] = {}
    for label, fn in (("direct ORM read", direct), ("exchange_query", exchange)):
        started = time.perf_counter()
        for i in range(n):
            fn(i)
        elapsed = time.perf_counter() - started
        rates[label] = n / elapsed
        print(f"{label:<18} {n:>6,} look-ups in {elapsed:6.2f} s = {rates[label]:>9,.0f} /s")
    ratio = rates["exchange_query"] / rates["direct ORM read"]
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"ratio exchange / direct: {ratio:.1%} (target ≥ {TARGET_RATIO:.0%}: {verdict})")

    check = audit_verify()
    print(f"access log: {check.checked:,} rows, chain {'intact' if check.ok else check.reason}")
    return 0 if check.ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="look-ups per side (default 2000)")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    args = parser.parse_args()
    workdir = None
    url = args.database_url
    if not url:
        workdir = tempfile.mkdtemp(prefix="tongban-bench-exchange-")
        url = f"sqlite:///{workdir}/bench.sqlite3"
        os.environ.setdefault("TONGBAN_VAR_DIR", workdir)
    try:
        _setup(url)
        return _run(args.n)
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
