#!/usr/bin/env python3
"""The indicators' read path over a large history on PostgreSQL: rollups against the cases table.

    python bench/stats.py                    (1,000,000 cases; loading takes several minutes)
    python bench/stats.py --cases 200000 --repeat 30
    python bench/stats.py --use-database-url (use $DATABASE_URL instead of a throw-away server)

1. starts a throw-away PostgreSQL on loopback (scripts/with-throwaway-postgres), migrates and
   loads the demo district;
2. loads ``--cases`` cases with ``bench/stats_load.py`` — the FAST LOADER, which writes case,
   timeline and rollup rows DIRECTLY with COPY (no services, no hooks; see its docstring);
3. in this process, with Django's test client (no network, no server; ``TONGBAN_BENCH=1``
   mounts the bare view), times each target ``--repeat`` times after two warm-up calls and
   prints the median and p95 and the ratio of the medians to the bare Django view:
   the bare view, ``GET /api/v1/stats/overview`` (default period: the last 12 months; also
   filtered by department), ``GET /api/v1/stats/departments``, the internal dashboard's data
   read through the selectors (``trend``, ``matters``, ``overdue_cases``: the dashboard pages
   call them in-process), and the same overview computed from the cases table without rollups
   (``overview_from_cases`` below: aggregates over cases, and working days of every decided
   case through the calendar for the median);
4. stops and removes the database.  The target: p95 < 500 ms for every dashboard request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from throwaway import rerun_in_throwaway_postgres  # bench/throwaway.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
_spec = importlib.util.spec_from_file_location("stats_load", ROOT / "bench" / "stats_load.py")
assert _spec is not None and _spec.loader is not None
stats_load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stats_load)

TARGET_P95_MS = 500.0


def overview_from_cases(period: Any) -> dict[str, Any]:
    """The overview's case figures computed from the cases table, as without rollups."""
    from django.db.models import Count, Exists, F, OuterRef, Q

    from tongban.cases.choices import CaseStatus
    from tongban.cases.models import Case, SupplementRequest
    from tongban.stats.selectors import percentiles, ratio
    from tongban.workflow.calendar import SHANGHAI, WorkCalendar

    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=SHANGHAI)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)
    matter_cases = Case.objects.filter(matter__isnull=False)
    by_channel = dict(
        matter_cases.filter(submitted_at__gte=start, submitted_at__lt=end)
        .values_list("channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    decided = matter_cases.filter(decided_at__gte=start, decided_at__lt=end)
    figures = decided.aggregate(
        decided=Count("id"),
        overdue=Count("id", filter=Q(decided_at__date__gt=F("due_date"))),
        extended=Count("id", filter=Q(extension_days__gt=0)),
    )
    supplements = SupplementRequest.objects.filter(case=OuterRef("pk"))
    completed = matter_cases.filter(
        status=CaseStatus.COMPLETED, completed_at__gte=start, completed_at__lt=end
    ).aggregate(n=Count("id"), first_pass=Count("id", filter=~Exists(supplements)))
    calendar = WorkCalendar()
    days: dict[int, int] = {}
    for accepted, decision in decided.exclude(accepted_at=None).values_list(
        "accepted_at", "decided_at"
    ):
        n = calendar.working_days_between(
            accepted.astimezone(SHANGHAI).date(), decision.astimezone(SHANGHAI).date()
        )
        days[n] = days.get(n, 0) + 1
    median, p90 = percentiles(days.items())
    return {
        "cases_total": sum(by_channel.values()),
        "cases_by_channel": by_channel,
        "overdue_rate": ratio(figures["overdue"], figures["decided"]),
        "extension_rate": ratio(figures["extended"], figures["decided"]),
        "first_pass_rate": ratio(completed["first_pass"], completed["n"]),
        "median_working_days": median,
        "p90_working_days": p90,
    }


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


def run(cases: int, repeat: int) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    os.environ["TONGBAN_BENCH"] = "1"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tongban.stats import selectors

    settings.ALLOWED_HOSTS = ["*"]
    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}", flush=True)
    print("migrating and loading the demo district …", flush=True)
    call_command("migrate", verbosity=0)
    call_command("demo", "load", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.monotonic()
    loaded = stats_load.load(cases=cases, progress=lambda line: print(line, flush=True))
    print(
        f"loaded {loaded['cases']:,} cases, {loaded['entries']:,} timeline entries, "
        f"{loaded['rollups']:,} rollup rows, {loaded['buckets']:,} histogram buckets "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    client = Client()

    def get(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return call

    period = selectors.period_parse(None, None)
    targets: list[tuple[str, Callable[[], Any]]] = [
        ("bare Django view", get("/bench/bare/")),
        ("GET /stats/overview", get("/api/v1/stats/overview")),
        ("GET /stats/overview?department=market", get("/api/v1/stats/overview?department=market")),
        ("GET /stats/departments", get("/api/v1/stats/departments")),
        ("trend (12 months)", lambda: selectors.trend(period=period)),
        ("matters (slowest 20)", lambda: selectors.matters(period=period, limit=20)),
        ("overdue_cases (50)", lambda: selectors.overdue_cases(limit=50)),
        ("overview WITHOUT rollups", lambda: overview_from_cases(period)),
    ]
    rows = []
    for name, call in targets:
        n = max(3, repeat // 6) if "WITHOUT" in name else repeat
        samples = _time(call, n)
        rows.append((name, n, statistics.median(samples), _p95(samples)))
        print(f"  measured {name}", flush=True)
    bare = rows[0][2]
    print()
    print(f"{cases:,} cases, period {period.start} – {period.end}")
    print(f"{'target':42} {'runs':>5} {'p50 ms':>9} {'p95 ms':>9} {'× bare':>9}")
    print("-" * 78)
    for name, n, median, p95 in rows:
        print(f"{name:42} {n:>5} {median:>9.1f} {p95:>9.1f} {median / bare:>9.1f}")
    dashboard = [r for r in rows[1:] if "WITHOUT" not in r[0]]
    worst = max(p95 for _n, _r, _m, p95 in dashboard)
    verdict = "met" if worst < TARGET_P95_MS else "NOT met"
    print(f"\nslowest dashboard p95 {worst:.1f} ms; target < {TARGET_P95_MS:.0f} ms: {verdict}")
    with_rollups = next(r for r in rows if r[0] == "GET /stats/overview")[2]
    without = rows[-1][2]
    print(f"overview without rollups: {without / with_rollups:.0f}× the time with rollups")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--use-database-url", action="store_true")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner or args.use_database_url:
        return run(args.cases, args.repeat)
    return rerun_in_throwaway_postgres(__file__)


if __name__ == "__main__":
    sys.exit(main())
