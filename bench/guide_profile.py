#!/usr/bin/env python3
"""Guide requests in process: CPU time and queries over the real middleware stack, and a profile.

    python bench/guide_profile.py                 (about 1 minute on SQLite)
    python bench/guide_profile.py --profile       (cProfile of each target, top functions)
    python bench/guide_profile.py --requests 2000

Migrates a temporary SQLite database (or uses $DATABASE_URL with ``--use-database-url``),
loads the demo district, then calls Django's WSGI handler directly — every middleware of
settings.MIDDLEWARE, no test client, no network — for the bare view, the four guide
targets of bench/catalog.py (API and page, each fresh and revalidated with its ETag) and its
repeated search (q=开饭店, answered from the result cache). Prints
per target the queries of one request and the CPU time per request (minimum of 5 rounds and
the median), and the ratio of the bare view's time to the target's (the share of the bare
view's throughput a target would reach if only CPU counted).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

GUIDE = "food-business-licence"


def _setup(tmp: str, use_database_url: bool) -> None:
    if not use_database_url:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    os.environ["TONGBAN_BENCH"] = "1"
    os.environ["TONGBAN_VAR_DIR"] = tmp
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    print("migrating and loading the demo district …", flush=True)
    call_command("migrate", verbosity=0)
    call_command("demo", "load", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def _caller(path: str, headers: dict[str, str]) -> Callable[[], tuple[int, dict[str, str]]]:
    """One GET of ``path`` through the WSGI handler; returns (status, headers)."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    path, _, query = path.partition("?")
    environ_base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_LANGUAGE": "zh-hans",
    }
    for name, value in headers.items():
        environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = response_headers

    def call() -> tuple[int, dict[str, str]]:
        environ = dict(environ_base)
        environ["wsgi.input"] = io.BytesIO(b"")
        result = handler(environ, start_response)
        for _chunk in result:
            pass
        result.close()  # type: ignore[attr-defined]
        return seen["status"], dict(seen["headers"])

    return call


def _targets() -> list[tuple[str, Callable[[], tuple[int, dict[str, str]]], int]]:
    targets: list[tuple[str, Callable[[], tuple[int, dict[str, str]]], int]] = [
        ("bare Django view", _caller("/bench/bare/", {}), 200)
    ]
    for name, path in (
        ("guide API", f"/api/v1/matters/{GUIDE}"),
        ("guide page", f"/matters/{GUIDE}/"),
    ):
        fresh = _caller(path, {})
        targets.append((name, fresh, 200))
        status, headers = fresh()
        assert status == 200, (path, status)
        cookies = [v.split(";", 1)[0] for k, v in headers.items() if k.lower() == "set-cookie"]
        conditional = {"If-None-Match": headers["ETag"]}
        if cookies:
            conditional["Cookie"] = "; ".join(cookies)
        targets.append((f"{name}, 304", _caller(path, conditional), 304))
    # A repeated search (the result cache's hit), as bench/catalog.py's first search target.
    targets.append(
        ("search, repeated", _caller("/api/v1/matters?q=%E5%BC%80%E9%A5%AD%E5%BA%97", {}), 200)
    )
    return targets


def _counting(queries: list[str]) -> Callable[..., Any]:
    def counted(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    return counted


def run(requests: int, profile: bool) -> None:
    from django.db import connection

    rows = []
    for name, call, expected in _targets():
        for _ in range(50):
            status, _headers = call()
            assert status == expected, (name, status)
        # Django empties connection.queries at every request_started: count through a wrapper.
        queries: list[str] = []
        with connection.execute_wrapper(_counting(queries)):
            call()
        per_round = max(1, requests // 5)
        times = []
        for _ in range(5):
            began = time.process_time()
            for _ in range(per_round):
                call()
            times.append((time.process_time() - began) / per_round * 1000)
        rows.append((name, len(queries), min(times), statistics.median(times)))
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                call()
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(15)
            stats.sort_stats("cumulative").print_stats(30)
            print(f"\n=== {name}: {requests} requests, by own time, then by cumulative time ===")
            print("\n".join(line[:150] for line in out.getvalue().splitlines() if line.strip()))
    bare = rows[0][2]
    print(f"\n{'target':<22} {'queries':>7} {'min ms':>8} {'median ms':>10} {'bare/target':>12}")
    for name, queries, best, median in rows:
        print(f"{name:<22} {queries:>7} {best:>8.3f} {median:>10.3f} {bare / best:>11.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per target")
    parser.add_argument("--profile", action="store_true", help="print cProfile top functions")
    parser.add_argument(
        "--use-database-url", action="store_true", help="use $DATABASE_URL (migrated, demo loaded)"
    )
    args = parser.parse_args()
    if not 10 <= args.requests <= 100_000:
        parser.error("--requests must be 10..100000")
    with tempfile.TemporaryDirectory(prefix="tongban-guide-profile-") as tmp:
        _setup(tmp, args.use_database_url)
        run(args.requests, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
