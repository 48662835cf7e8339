#!/usr/bin/env python3
"""Search query plans: EXPLAIN (ANALYZE, BUFFERS) of the word-index statement on PostgreSQL.

    python bench/search_plans.py [--matters 3000]

A throw-away PostgreSQL (scripts/with-throwaway-postgres), migrated, the demo district and
generated matters up to ``--matters`` (bench/catalog.py's loader); then, for a few everyday
queries with the result cache off, the API answer's time in process and its queries, the plan of
its slowest statement, and a profile of 30 new queries split into database and Python time.
ADR 0004 records the findings.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

from throwaway import rerun_in_throwaway_postgres  # bench/throwaway.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

QUERIES = ["开饭店 1", "营业执照 7", "结婚登记 3", "居住证 9"]


def run(matters: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ["CATALOG_SEARCH_CACHE_SECONDS"] = "0"
    import django

    django.setup()
    import catalog as bench_catalog  # bench/catalog.py
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    bench_catalog.load(matters)
    client = Client()
    client.get("/api/v1/matters", {"q": "预热"})  # jieba's dictionary loads on the first search
    for query in QUERIES:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/api/v1/matters", {"q": query})
            elapsed = time.perf_counter() - started
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        print(
            f"\n=== q={query!r}: HTTP {response.status_code}, {elapsed * 1000:.1f} ms in process, "
            f"{len(captured.captured_queries)} queries, {sql_ms:.1f} ms of them in the database"
        )
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
            print("\n".join(row[0][:160] for row in cursor.fetchall()))
    profile = Path("/tmp/tongban-search-plans.prof")
    cProfile.runctx(
        "for i in range(30): client.get('/api/v1/matters', {'q': f'开饭店 {i + 100}'})",
        globals(),
        {"client": client},
        str(profile),
    )
    stats = pstats.Stats(str(profile))
    print("\n30 new queries, the largest cumulative costs:")
    stats.sort_stats("cumulative").print_stats(r"tongban|psycopg/connection.py.*wait", 15)
    print("\n30 new queries, the functions with the most time of their own:")
    stats.sort_stats("tottime").print_stats(20)
    # Without the profiler's overhead: the mean of 100 new queries.
    started = time.perf_counter()
    for i in range(100):
        client.get("/api/v1/matters", {"q": f"营业执照 {i + 200}"})
        client.get("/api/v1/matters", {"q": f"开饭店 {i + 200}"})
    mean = (time.perf_counter() - started) / 200 * 1000
    print(f"\n200 new queries (营业执照 n, 开饭店 n), no profiler: {mean:.1f} ms each in process")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--matters", type=int, default=3000)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 100 <= args.matters <= 20000:
        parser.error("--matters must be 100..20000")
    if args.inner:
        return run(args.matters)
    return rerun_in_throwaway_postgres(__file__)


if __name__ == "__main__":
    sys.exit(main())
