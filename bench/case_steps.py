#!/usr/bin/env python3
"""Case steps in-process: SQL queries and CPU time of each step of a case, create to approval.

    python bench/case_steps.py              (about 1 minute)
    python bench/case_steps.py --cases 100
    python bench/case_steps.py --profile    (cProfile of each step, top functions)
    python bench/case_steps.py --profile --profile-dump DIR   (and DIR/STEP.prof for pstats)
    python bench/case_steps.py --queries    (each step's SQL, last case, with the code behind it)

Migrates a temporary SQLite database (``--postgres``: a throw-away PostgreSQL, whose own
CPU time is then not counted: what a web worker spends), loads the demo district, then drives
``--cases`` drainage-permit cases through the API with Django's test client (no network, no
server):
``POST /applications`` → one PDF per missing required material → ``POST …/submit`` → the
water clerk's ``accept`` (one case, as the issue counts it), then the reviewer's ``pass``
and the approver's ``approve`` (the certificate issued) and two reads of the case, listed
but not added to "one case". For each step it prints the queries (median) and the CPU time
(``time.process_time``: minimum, 25th percentile, median), and the bare Django view
(``/bench/bare/``) through the same client in the same run as the baseline.

Where bench/submit.py measures throughput over HTTP (noisy on 2 shared cores), this one
is for comparing two versions of the code: the query counts are exact and the minimum CPU
time of a step moves little between runs. Garbage left by the demo load is collected before
measuring.

The first case warms up and is not measured. The queries are counted on the second case
only (with ``--queries``, on every case): Django's
query capture turns on its debug cursor, which formats every statement (about 20 µs a
query), and a server does not pay that. The other cases are timed without it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from throwaway import rerun_in_throwaway_postgres  # noqa: E402  (bench/throwaway.py)

_spec = importlib.util.spec_from_file_location("bench_submit", ROOT / "bench" / "submit.py")
assert _spec is not None and _spec.loader is not None
bench_submit = importlib.util.module_from_spec(_spec)
sys.modules["bench_submit"] = bench_submit
_spec.loader.exec_module(bench_submit)

PASSWORD = "demo-pass-2026"  # demo accounts only


def _setup(tmp: str, *, postgres: bool = False) -> None:
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    os.environ["TONGBAN_BENCH"] = "1"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.MEDIA_ROOT = f"{tmp}/media"
    print("migrating and loading the demo district …", flush=True)
    call_command("migrate", verbosity=0)
    call_command("demo", "load", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def run(
    cases: int, *, profile: bool = False, show_queries: bool = False, profile_dump: str = ""
) -> int:
    import cProfile
    import pstats

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()

    def token(username: str) -> dict[str, str]:
        answer = client.post(
            "/api/v1/auth/token",
            json.dumps({"username": username, "password": PASSWORD}),
            content_type="application/json",
        )
        return {"HTTP_AUTHORIZATION": "Bearer " + answer.json()["token"]}

    agent, clerk = token("agent"), token("water-clerk")
    reviewer, approver = token("water-reviewer"), token("water-approver")
    uscc = client.get("/api/v1/me", **agent).json()["enterprises"][0]["uscc"]
    guide = client.get("/api/v1/matters/drainage-permit").json()
    form = bench_submit.form_for(guide["form_schema"], uscc=uscc)
    steps: dict[str, list[float]] = {}
    profiles: dict[str, cProfile.Profile] = {}
    last_sql: dict[str, list[tuple[str, str]]] = {}

    counted: dict[str, list[int]] = {}
    # Count on the second case (every case with --queries) and time the later ones: see the
    # module's docstring. The first case warms the caches up (compiled queries, calendar, specs).
    mode = {"count": False, "time": False}

    def step(name: str, call: Callable[[], Any]) -> Any:
        profiler = profiles.setdefault(name, cProfile.Profile()) if profile else None
        statements: list[tuple[str, str]] = []

        def where(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            # The innermost Tongban frames that made this query (for --queries).
            frames = [
                f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno} {f.name}"
                for f in traceback.extract_stack()[:-1]
                if "/src/tongban/" in f.filename and not f.filename.endswith("core/prepared.py")
            ]
            statements.append((sql, " < ".join(reversed(frames[-2:]))))
            return execute(sql, params, many, context)

        with contextlib.ExitStack() as stack:
            if show_queries:
                stack.enter_context(connection.execute_wrapper(where))
            queries = None
            if mode["count"]:
                queries = stack.enter_context(CaptureQueriesContext(connection))
            started = time.process_time()
            if profiler is not None:
                profiler.enable()
            answer = call()
            if profiler is not None:
                profiler.disable()
            spent = (time.process_time() - started) * 1000
        if answer.status_code >= 400:
            raise SystemExit(f"{name}: HTTP {answer.status_code} {answer.content[:300]!r}")
        if queries is not None:
            counted.setdefault(name, []).append(len(queries))
            last_sql[name] = statements
        if mode["time"]:
            steps.setdefault(name, []).append(spent)
        return answer

    gc.collect()
    for number in range(cases + (0 if show_queries else 2)):
        mode["count"] = show_queries or number == 1
        mode["time"] = show_queries or number > 1
        step("bare view", lambda: client.get("/bench/bare/"))
        created = step(
            "create",
            lambda: client.post(
                "/api/v1/applications",
                json.dumps(
                    {
                        "matter": "drainage-permit",
                        "applicant": {"type": "enterprise", "uscc": uscc},
                        "form": form,
                    }
                ),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
                **agent,
            ),
        ).json()
        case_id = created["id"]
        for material in created["materials"]:
            if material["required"] and material["status"] == "missing":
                upload = SimpleUploadedFile("材料.pdf", bench_submit.PDF_BYTES, "application/pdf")
                step(
                    "upload",
                    lambda material=material, upload=upload, case_id=case_id: client.post(
                        f"/api/v1/applications/{case_id}/materials",
                        {"requirement": material["requirement"], "file": upload},
                        **agent,
                    ),
                )
        submitted = step(
            "submit",
            lambda case_id=case_id: client.post(
                f"/api/v1/applications/{case_id}/submit",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
                **agent,
            ),
        ).json()
        task = next(t for t in submitted["tasks"] if t["kind"] == "accept")
        step(
            "accept",
            lambda task=task: client.post(
                f"/api/v1/tasks/{task['id']}/complete",
                json.dumps({"decision": "accept"}),
                content_type="application/json",
                **clerk,
            ),
        )
        # Not part of "one case" either (the case ends at acceptance): the review
        # and the approval that follow, as the mixed load of bench/load.py does them.
        for kind, decision, who in (("review", "pass", reviewer), ("decide", "approve", approver)):
            tasks = client.get(f"/api/v1/applications/{case_id}", **who).json()["tasks"]
            task = next(t for t in tasks if t["kind"] == kind and t["state"] == "open")
            step(
                kind,
                lambda task=task, decision=decision, who=who: client.post(
                    f"/api/v1/tasks/{task['id']}/complete",
                    json.dumps({"decision": decision}),
                    content_type="application/json",
                    **who,
                ),
            )
        # Not part of "one case": what a clerk's and the applicant's reading of it costs.
        step(
            "read staff",
            lambda case_id=case_id: client.get(f"/api/v1/applications/{case_id}", **clerk),
        )
        step(
            "read own",
            lambda case_id=case_id: client.get(f"/api/v1/applications/{case_id}", **agent),
        )

    bare = min(steps["bare view"])
    from django.db import connection as db

    database = "SQLite"
    if db.vendor == "postgresql":
        database = "PostgreSQL (the server's CPU not counted)"
    print(f"\n{cases} cases, {database}, in-process test client, CPU time (time.process_time)")
    heads = ("per case", "queries", "min ms", "p25 ms", "p50 ms")
    print(f"{'step':10s} " + " ".join(f"{head:>8s}" for head in heads))
    total_min = 0.0
    for name, values in steps.items():
        times = sorted(values)
        per_case = len(values) / cases
        if name not in ("bare view", "read staff", "read own", "review", "decide"):
            total_min += times[0] * per_case
        print(
            f"{name:10s} {per_case:8.0f} {statistics.median(counted[name]):8.0f} "
            f"{times[0]:8.2f} {times[len(times) // 4]:8.2f} {statistics.median(times):8.2f}"
        )
    print(f"\none case (sum of step minimums): {total_min:.1f} ms CPU")
    print(f"bare view minimum: {bare:.2f} ms; one case = {total_min / bare:.0f} bare views")
    if show_queries:
        for name, statements in last_sql.items():
            # COMMIT does not pass the cursor, so the list is short of the count by the commits.
            print(f"\n--- {name}: {counted[name][-1]} queries (last case), commits not listed")
            for number, (text, caller) in enumerate(statements, 1):
                print(f"{number:3d}. {text[:120]}\n       ← {caller}")
    for name, profiler in profiles.items():
        if name == "bare view":
            continue
        if profile_dump:
            profiler.dump_stats(Path(profile_dump) / f"{name.replace(' ', '-')}.prof")
        print(f"\n--- {name}: cumulative time over {len(steps[name])} calls (profiled, slower)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"tongban|ninja", 40)
        print(f"--- {name}: own time (tottime), all code")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=60, help="cases to drive (default 60)")
    parser.add_argument("--profile", action="store_true", help="cProfile each step")
    parser.add_argument("--queries", action="store_true", help="print each step's SQL")
    parser.add_argument(
        "--profile-dump", default="", metavar="DIR", help="with --profile: write DIR/STEP.prof"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="on a throw-away PostgreSQL (CPU time: this process's only, not the server's)",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.cases <= 1000:
        parser.error("--cases must be 1..1000")
    if args.postgres and not args.inner:
        return rerun_in_throwaway_postgres(__file__)
    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as tmp:
        _setup(tmp, postgres=args.postgres)
        return run(
            args.cases,
            profile=args.profile,
            show_queries=args.queries,
            profile_dump=args.profile_dump,
        )


if __name__ == "__main__":
    sys.exit(main())
