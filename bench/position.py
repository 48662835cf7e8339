#!/usr/bin/env python3
"""A case's position and a process version's heat map over 100,000 recorded cases (PostgreSQL).

    python bench/position.py                         (100,000 cases)
    python bench/position.py --cases 20000 --repeat 20
    python bench/position.py --use-database-url      (use $DATABASE_URL, not a throw-away server)

1. starts a throw-away PostgreSQL on loopback (scripts/with-throwaway-postgres), migrates, loads
   the demo district and runs ``tongban simulate --cases --seed-cases`` (a year through the
   real services: cases, tasks, node visits as the engine records them);
2. CLONES the simulated cases of ``standard_approval`` IN BULK, in SQL (``INSERT … SELECT …
   CROSS JOIN generate_series``), up to ``--cases``: each copy gets new ids, a case number with
   a suffix, and every date and time moved back by a whole number of days (0–364, spread by the
   copy's number), so the clones keep the simulated shapes (paths, loops, dwell, waiting cases)
   spread over two years. Case, process instance (its state left empty: neither read path
   restores a workflow), task and node-visit rows are cloned; nothing else (no timeline,
   materials or rollups) — only for this benchmark, on a throw-away database;
3. in this process, with Django's test client signed in as the center admin (``TONGBAN_BENCH=1``
   mounts the bare view), times each target ``--repeat`` times after two warm-up calls and
   prints the median and p95 and the ratio of the medians to the bare view: the bare view, the
   heat map API for the last month and for the last 12 months, the waiting cases of a node, and
   ``GET /api/v1/applications/{id}/position`` of random cases when that route exists;
4. stops and removes the database. Targets: position p95 < 50 ms, heat map p95 < 500 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from throwaway import rerun_in_throwaway_postgres  # bench/throwaway.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

POSITION_P95_MS = 50.0
HEATMAP_P95_MS = 500.0
#: Id offset between two copies (more than the simulated ids reach; copies × OFFSET must stay
#: below 2**31, the range of an integer id).
OFFSET = 1_000_000


def _time(call: Callable[[], Any], repeat: int) -> list[float]:
    call()
    call()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _clone_sql(model: Any, where: str, overrides: dict[str, str], copies: int) -> str:
    """INSERT … SELECT of ``model``'s rows matching ``where``, once per copy k = 1 … copies.

    Every date and time column moves back by the copy's shift; ``overrides`` give the other
    columns' expressions (``t`` is the source row, ``k`` the copy's number).
    """
    from django.db import models

    columns, values = [], []
    for field in model._meta.concrete_fields:
        column = field.column
        columns.append(f'"{column}"')
        if column in overrides:
            values.append(overrides[column])
        elif isinstance(field, models.DateTimeField | models.DateField):
            values.append(f"t.\"{column}\" - ((k * 37) % 365) * interval '1 day'")
        else:
            values.append(f't."{column}"')
    table = model._meta.db_table
    return (
        f'INSERT INTO "{table}" ({", ".join(columns)}) '
        f'SELECT {", ".join(values)} FROM "{table}" t '
        f"CROSS JOIN generate_series(1, {copies}) AS k WHERE {where}"
    )


def clone(copies: int) -> dict[str, int]:
    """Copy the simulated standard_approval cases ``copies`` times (see the docstring)."""
    from django.db import connection, transaction

    from tongban.cases.models import Case, Task
    from tongban.workflow.models import NodeVisit, ProcessInstance

    originals = (
        "SELECT c.id FROM cases_case c JOIN workflow_processinstance p ON p.id = c.process_id "
        "JOIN workflow_processdefinition d ON d.id = p.definition_id "
        "WHERE d.name = 'standard_approval'"
    )
    instances = f"SELECT process_id FROM cases_case WHERE id IN ({originals})"
    counts = {}
    assert (copies + 1) * OFFSET < 2**31, "too many copies for integer ids: simulate more cases"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_cases AS {originals}")
        cursor.execute(f"CREATE TEMP TABLE bench_instances AS {instances}")
        statements = [
            (
                "process instances",
                _clone_sql(
                    ProcessInstance,
                    "t.id IN (SELECT process_id FROM bench_instances)",
                    {"id": f"t.id + k * {OFFSET}", "state": "'{}'::jsonb"},
                    copies,
                ),
            ),
            (
                "cases",
                _clone_sql(
                    Case,
                    "t.id IN (SELECT id FROM bench_cases)",
                    {
                        "id": f"t.id + k * {OFFSET}",
                        "case_no": "t.case_no || '-' || k",
                        "process_id": f"t.process_id + k * {OFFSET}",
                    },
                    copies,
                ),
            ),
            (
                "tasks",
                _clone_sql(
                    Task,
                    "t.case_id IN (SELECT id FROM bench_cases)",
                    {"id": f"t.id + k * {OFFSET}", "case_id": f"t.case_id + k * {OFFSET}"},
                    copies,
                ),
            ),
            (
                "node visits",
                _clone_sql(
                    NodeVisit,
                    "t.instance_id IN (SELECT process_id FROM bench_instances)",
                    {"id": f"t.id + k * {OFFSET}", "instance_id": f"t.instance_id + k * {OFFSET}"},
                    copies,
                ),
            ),
        ]
        for name, sql in statements:
            cursor.execute(sql)
            counts[name] = cursor.rowcount
        for model in (ProcessInstance, Case, Task, NodeVisit):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT max(id) FROM "{table}"))'
            )
        cursor.execute("ANALYZE")
    return counts


def run(cases: int, seed_cases: int, repeat: int) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    os.environ["TONGBAN_BENCH"] = "1"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import Resolver404, resolve

    from tongban.cases.models import Case
    from tongban.identity.models import User
    from tongban.stats.heatmap import heatmap_rebuild
    from tongban.stats.selectors import months_back, today_shanghai
    from tongban.workflow.models import NodeVisit

    settings.ALLOWED_HOSTS = ["*"]
    if connection.vendor != "postgresql":
        print("bench/position.py needs PostgreSQL (it clones rows with generate_series)")
        return 2
    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}", flush=True)
    print("migrating, loading the demo district …", flush=True)
    call_command("migrate", verbosity=0)
    call_command("demo", "load", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.monotonic()
    print(f"simulating {seed_cases} applications through the services …", flush=True)
    call_command(
        "simulate",
        "--cases",
        str(seed_cases),
        "--seed",
        "2026",
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    seeds = Case.objects.filter(process__definition__name="standard_approval").count()
    print(f"  {seeds} standard_approval cases in {time.monotonic() - started:.0f} s", flush=True)
    copies = max(0, -(-(cases - seeds) // max(1, seeds)))
    started = time.monotonic()
    counts = clone(copies)
    total = Case.objects.filter(process__definition__name="standard_approval").count()
    print(
        f"cloned {copies} copies in {time.monotonic() - started:.0f} s: "
        + ", ".join(f"{n:,} {name}" for name, n in counts.items()),
        flush=True,
    )
    visits = NodeVisit.objects.count()
    # The clones' visits were written in SQL, not by the engine: their daily rollup is rebuilt
    # (the command a district runs once after upgrading).
    started = time.monotonic()
    rollup_rows = heatmap_rebuild(name="standard_approval")
    print(
        f"heat map rollup rebuilt: {rollup_rows:,} rows in {time.monotonic() - started:.0f} s",
        flush=True,
    )

    client = Client()
    client.force_login(User.objects.get(username="admin"))

    def get(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content)
            return response

        return call

    today = today_shanghai()
    month = f"from={months_back(today, 0)}&to={today}"
    year = f"from={months_back(today, 11)}&to={today}"
    heatmap = "/api/v1/processes/standard_approval/heatmap"
    targets: list[tuple[str, Callable[[], Any]]] = [
        ("bare Django view", get("/bench/bare/")),
        ("heat map API, this month", get(f"{heatmap}?{month}")),
        ("heat map API, 12 months", get(f"{heatmap}?{year}")),
        ("heat map API, 12 months, market", get(f"{heatmap}?{year}&department=market")),
        ("waiting cases at review (100)", get(f"{heatmap}/nodes/review")),
    ]
    ids = list(
        Case.objects.filter(process__definition__name="standard_approval").values_list(
            "id", flat=True
        )
    )
    rng = random.Random(2026)
    try:
        resolve(f"/api/v1/applications/{ids[0]}/position")
        position = True
    except Resolver404:
        position = False
    if position:
        # As the applicant of each case (access is as for the case): 50 random cases, each
        # with its applicant signed in before the timing starts.
        applicants = []
        for case_id, user_id in Case.objects.filter(id__in=rng.sample(ids, 50)).values_list(
            "id", "applicant_user_id"
        ):
            applicant = Client()
            applicant.force_login(User.objects.get(pk=user_id))
            # A test client builds its handler (the middleware chain: WhiteNoise scans every
            # static file then, ~65 ms) on its first request; a server process does it once.
            warm = applicant.get(f"/api/v1/applications/{case_id}/position")
            assert warm.status_code == 200, (case_id, warm.status_code)
            applicants.append((applicant, case_id))

        def one_position() -> Any:
            applicant, case_id = rng.choice(applicants)
            response = applicant.get(f"/api/v1/applications/{case_id}/position")
            assert response.status_code == 200, (case_id, response.status_code)
            return response

        targets.append(("position API, a random case", one_position))
    rows = []
    for name, call in targets:
        samples = _time(call, repeat)
        rows.append((name, repeat, statistics.median(samples), _p95(samples)))
        print(f"  measured {name}", flush=True)
    bare = rows[0][2]
    print()
    print(f"{total:,} standard_approval cases, {visits:,} node visits; today {today}")
    print(f"{'target':42} {'runs':>5} {'p50 ms':>9} {'p95 ms':>9} {'× bare':>9}")
    print("-" * 78)
    for name, n, median, p95 in rows:
        print(f"{name:42} {n:>5} {median:>9.1f} {p95:>9.1f} {median / bare:>9.1f}")
    worst = max(p95 for name, _n, _m, p95 in rows if name.startswith("heat map"))
    verdict = "met" if worst < HEATMAP_P95_MS else "NOT met"
    print(f"\nslowest heat map p95 {worst:.1f} ms; target < {HEATMAP_P95_MS:.0f} ms: {verdict}")
    if position:
        p95 = rows[-1][3]
        verdict = "met" if p95 < POSITION_P95_MS else "NOT met"
        print(f"position p95 {p95:.1f} ms; target < {POSITION_P95_MS:.0f} ms: {verdict}")
    else:
        print("position API: not on this branch (GET /applications/{id}/position) — not measured")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed-cases", type=int, default=200, help="applications simulated")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--use-database-url", action="store_true")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.cases <= 2_000_000 or not 1 <= args.seed_cases <= 5000:
        print("--cases must be 1 … 2,000,000 and --seed-cases 1 … 5,000", file=sys.stderr)
        return 2
    if args.inner or args.use_database_url:
        return run(args.cases, args.seed_cases, args.repeat)
    return rerun_in_throwaway_postgres(__file__)


if __name__ == "__main__":
    sys.exit(main())
