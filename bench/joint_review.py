#!/usr/bin/env python3
"""Joint review (建设工程联审) benchmark: how the cost grows with the number of departments.

    python bench/joint_review.py                       (temporary SQLite database)
    python bench/joint_review.py --sizes 10 20 40 --cases 3
    python bench/joint_review.py --database-url postgres://user:pw@127.0.0.1/bench

Sets Django up on its own database (a temporary SQLite file unless --database-url is
given), migrates, and for each N creates a lead department, N reviewing departments with
one reviewer each, and a matter whose ``process_params.reviewers`` lists them. Then, for
``--cases`` cases per N, it times through the real services (cases.services):

- the whole case: submit → accept (opens N parallel review tasks) → N review completions
  → the lead's decision (approve, which issues the permit);
- each review completion on its own (task_complete of one department: restore the process,
  complete its instance, persist, mirror the tasks).

Prints the median and p95 of one review completion (wall clock) and its median CPU time
(``time.process_time``, less moved by other work on a shared machine), the median of the last
review (the one that ends the multi-instance task and opens the decision), and the median
whole case, per N; then each N's single review against the first N's. Target (issue 14): a
review at 40 departments costs at most 1.2× one at 10. Give sizes twice (``--sizes 10 40 10
40``) to interleave runs when the machine is busy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Throw-away accounts of a temporary database.
PASSWORD = "bench-pass-2026"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _setup_django(database_url: str, media: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_ENV", "development")
    os.environ.setdefault("DEBUG", "0")  # DEBUG keeps every SQL query in memory
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.MEDIA_ROOT = str(media)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)


def _district(sizes: list[int]) -> dict[str, Any]:
    """Lead department, max(sizes) reviewing departments with staff, one applicant, N matters."""
    from tongban.catalog.services import (
        certificate_type_upsert,
        department_upsert,
        matter_upsert,
        section_upsert,
    )
    from tongban.identity import services as identity
    from tongban.identity.choices import StaffRole
    from tongban.identity.numbers import resident_id_make

    department_upsert(code="construction", name="建管委")
    section_upsert(code="construction", fields={"name": "投资建设"})
    certificate_type_upsert(
        code="bench-permit", name="建筑工程施工许可证", department="construction"
    )
    clerk = identity.staff_create(
        username="lead-clerk",
        password=PASSWORD,
        department_code="construction",
        roles=[StaffRole.CLERK],
    )
    approver = identity.staff_create(
        username="lead-approver",
        password=PASSWORD,
        department_code="construction",
        roles=[StaffRole.APPROVER],
    )
    reviewers = {}
    for number in range(1, max(sizes) + 1):
        code = f"rev-{number:02d}"
        department_upsert(code=code, name=f"审查部门{number:02d}")
        reviewers[code] = identity.staff_create(
            username=f"{code}-reviewer",
            password=PASSWORD,
            department_code=code,
            roles=[StaffRole.REVIEWER],
        )
    applicant = identity.user_create(
        username="bench-applicant", password=PASSWORD, first_name="张三"
    )
    identity.person_create(
        name="张三",
        id_number=resident_id_make(area="310101", birth=date(1985, 3, 12), sequence=31),
        user=applicant,
        phone="13800001234",
    )
    for size in sizes:
        matter_upsert(
            code=f"bench-permit-{size}",
            fields={
                "name": f"建筑工程施工许可（{size} 部门联审）",
                "kind": "licence",
                "audience": "both",
                "department": "construction",
                "section": "construction",
                "legal_limit_days": 20,
                "promised_limit_days": 10,
                "online_depth": "full_online",
                "channels": ["online"],
                "form_schema": {
                    "type": "object",
                    "properties": {"project_name": {"type": "string", "title": "项目名称"}},
                    "required": ["project_name"],
                },
                "process": "joint_review",
                "process_params": {
                    "lead": "construction",
                    "reviewers": [f"rev-{n:02d}" for n in range(1, size + 1)],
                },
                "certificate_type": "bench-permit",
            },
            materials=[{"code": "application-form", "name": "申请表", "required": True}],
        )
    return {"clerk": clerk, "approver": approver, "reviewers": reviewers, "applicant": applicant}


def _draft(cast: dict[str, Any], size: int) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tongban.cases import services

    case = services.case_create(
        actor=cast["applicant"],
        matter_code=f"bench-permit-{size}",
        form={"project_name": f"基准项目{size}"},
    )
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    services.material_upload(
        actor=cast["applicant"],
        case=case,
        requirement_code="application-form",
        file=SimpleUploadedFile("申请表.pdf", pdf, content_type="application/pdf"),
    )
    return case


def _one_case(cast: dict[str, Any], size: int) -> tuple[float, list[float], list[float]]:
    """(whole case ms, [ms of each review completion], [CPU ms of each review completion])."""
    from tongban.cases import services
    from tongban.cases.choices import TaskKind, TaskState
    from tongban.cases.models import Task

    case = _draft(cast, size)
    started = time.perf_counter()
    services.case_submit(actor=cast["applicant"], case=case)
    accept = Task.objects.get(case=case, kind=TaskKind.ACCEPT, state=TaskState.OPEN)
    services.task_complete(actor=cast["clerk"], task=accept, decision="accept")
    tasks = list(
        Task.objects.filter(case=case, kind=TaskKind.JOINT_REVIEW, state=TaskState.OPEN)
        .select_related("department")
        .order_by("id")
    )
    assert len(tasks) == size, (len(tasks), size)
    reviews = []
    cpu = []
    for task in tasks:
        before = time.perf_counter()
        before_cpu = time.process_time()
        services.task_complete(
            actor=cast["reviewers"][task.department.code],
            task=task,
            decision="pass",
            comment="同意",
        )
        reviews.append((time.perf_counter() - before) * 1000)
        cpu.append((time.process_time() - before_cpu) * 1000)
    decide = Task.objects.get(case=case, kind=TaskKind.DECIDE, state=TaskState.OPEN)
    services.task_complete(actor=cast["approver"], task=decide, decision="approve")
    whole = (time.perf_counter() - started) * 1000
    case.refresh_from_db()
    assert case.decided_at is not None
    return whole, reviews, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 40])
    parser.add_argument("--cases", type=int, default=3, help="cases per size (default 3)")
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    args = parser.parse_args()
    if any(size < 1 or size > 99 for size in args.sizes) or args.cases < 1:
        parser.error("sizes must be 1–99 and --cases at least 1")

    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as tmp:
        os.environ.setdefault("TONGBAN_VAR_DIR", tmp)
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        _setup_django(database_url, Path(tmp) / "media")
        from django.db import connection

        print(f"数据库 (database): {connection.vendor}; 每组 {args.cases} 件 (cases per N)")
        cast = _district(args.sizes)
        _one_case(cast, min(args.sizes))  # warm the spec cache and the calendar
        rows = []
        for size in args.sizes:
            wholes: list[float] = []
            reviews: list[float] = []
            lasts: list[float] = []
            cpus: list[float] = []
            for number in range(args.cases):
                whole, times, cpu = _one_case(cast, size)
                wholes.append(whole)
                reviews.extend(times)
                cpus.extend(cpu)
                lasts.append(times[-1])
                print(f"  N={size}: 第 {number + 1}/{args.cases} 件 {whole:,.0f} ms", flush=True)
            rows.append(
                (
                    size,
                    statistics.median(reviews),
                    _percentile(reviews, 0.95),
                    statistics.median(lasts),
                    statistics.median(wholes),
                    statistics.median(cpus),
                )
            )

    print()
    header = [
        "N 部门",
        "单次审查 中位 ms",
        "单次审查 p95 ms",
        "单次审查 CPU 中位 ms",
        "最后一次审查 ms",
        "整件 中位 ms",
    ]
    print("| " + " | ".join([*header, "整件 / N ms"]) + " |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, median, p95, last, whole, cpu in rows:
        cells = [str(size), f"{median:.1f}", f"{p95:.1f}", f"{cpu:.1f}", f"{last:.1f}"]
        print("| " + " | ".join([*cells, f"{whole:,.0f}", f"{whole / size:.1f}"]) + " |")
    base_size, base_median, base_cpu = rows[0][0], rows[0][1], rows[0][5]
    for size, median, *_rest, cpu in rows[1:]:
        print(
            f"N {base_size}→{size} (×{size / base_size:g}): 单次审查 ×{median / base_median:.2f}"
            f"（CPU ×{cpu / base_cpu:.2f}）"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
