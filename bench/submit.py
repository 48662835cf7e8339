#!/usr/bin/env python3
"""Submit benchmark: cases created, submitted and accepted end to end over HTTP per second.

    python bench/submit.py                 (about 2 minutes on 2 cores)
    python bench/submit.py --duration 15 --concurrency 8

Starts a throw-away PostgreSQL on loopback (scripts/with-throwaway-postgres), migrates,
loads the demo district (``tongban demo load``), starts ``tongban serve --workers 2``
(gunicorn, DEBUG off, TONGBAN_BENCH=1 for the bare view) on a free loopback port, then:

1. takes API tokens for ``agent`` (agent of the demo enterprise; 排水许可 is a matter for
   enterprises) and ``water-clerk``, reads the guide ``GET /api/v1/matters/drainage-permit``
   and builds a valid form from its JSON Schema;
2. drives ``--concurrency`` client threads (in 2 processes) for ``--duration`` seconds; each
   loop is one whole case: ``POST /applications`` (Idempotency-Key) → one tiny valid PDF per
   required material still missing → ``POST /applications/{id}/submit`` (Idempotency-Key)
   → ``POST /tasks/{accept task}/complete {"decision": "accept"}`` as the clerk;
3. measures the bare Django view ``/bench/bare/`` in the same run;
4. prints cases per second, HTTP requests per second, p50/p95 per case, the ratio to the
   bare view and whether the target (≥ 100 cases/s) is met; stops everything it started.

Exit status 1 when any request failed. Loopback traffic only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cpu_split import cpu_by_group, print_spent, spent  # bench/cpu_split.py
from throwaway import rerun_in_throwaway_postgres  # bench/throwaway.py

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_catalog", _HERE / "catalog.py")
assert _spec is not None and _spec.loader is not None
bench_catalog = importlib.util.module_from_spec(_spec)
sys.modules["bench_catalog"] = bench_catalog  # dataclasses and the fork pool look it up
_spec.loader.exec_module(bench_catalog)

ROOT: Path = bench_catalog.ROOT
PYTHON: str = bench_catalog.PYTHON
TONGBAN: list[str] = bench_catalog.TONGBAN

#: The issue's target: cases created, submitted and accepted per second.
TARGET_CASES_PER_SECOND = 100
MATTER = "drainage-permit"
PASSWORD = "demo-pass-2026"  # demo accounts only
#: The smallest PDF the upload check recognises (content sniffed, not the name).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


# --- HTTP helpers -------------------------------------------------------------------------------


class HttpError(Exception):
    def __init__(self, step: str, status: int, body: bytes) -> None:
        super().__init__(f"{step}: HTTP {status} {body[:300].decode('utf-8', 'replace')}")
        self.step = step
        self.status = status


class Client:
    """One keep-alive connection (gunicorn's sync workers close it; it reopens)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.requests = 0

    def call(
        self,
        method: str,
        path: str,
        *,
        step: str,
        token: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        all_headers = {"Accept-Language": "zh-hans", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            all_headers["Content-Type"] = content_type
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                # A connection the server closed between two requests: reopen once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        self.requests += 1
        if response.status not in expect:
            raise HttpError(step, response.status, data)
        return json.loads(data) if data else None

    def post_json(self, path: str, payload: Any, **kwargs: Any) -> Any:
        return self.call(
            "POST", path, body=json.dumps(payload, ensure_ascii=False).encode(), **kwargs
        )

    def close(self) -> None:
        self.conn.close()


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    boundary = f"----tongban{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
        )
    for name, (filename, content, ctype) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- one case end to end ------------------------------------------------------------------------


def form_for(schema: dict[str, Any], *, uscc: str) -> dict[str, Any]:
    """A valid answer to the matter's form schema (the demo's field library)."""
    form: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        kind = spec.get("type")
        if "enum" in spec:
            form[name] = spec["enum"][0]
        elif kind in {"number", "integer"}:
            form[name] = max(10, int(spec.get("minimum", 0)) + 1)
        elif kind == "boolean":
            form[name] = True
        elif kind == "array":
            item = (spec.get("items") or {}).get("enum")
            form[name] = [item[0]] if item else []
        elif kind == "string":
            if name == "uscc":
                form[name] = uscc
            elif "phone" in name:
                form[name] = "13800001234"
            elif spec.get("format") == "email":
                form[name] = "bench@example.cn"
            elif spec.get("format") == "date":
                form[name] = "2026-12-01"
            else:
                form[name] = "上海嘉定示范排水户" + "甲" * max(0, int(spec.get("minLength", 0)) - 9)
    return form


@dataclass
class Setup:
    port: int
    applicant_token: str
    clerk_token: str
    applicant: dict[str, Any]
    form: dict[str, Any]


def one_case(client: Client, setup: Setup) -> None:
    """Create, upload the missing required materials, submit, accept: one whole case."""
    created = client.post_json(
        "/api/v1/applications",
        {"matter": MATTER, "applicant": setup.applicant, "form": setup.form},
        step="create",
        token=setup.applicant_token,
        headers={"Idempotency-Key": uuid.uuid4().hex},
        expect=(201,),
    )
    case_id = created["id"]
    for material in created["materials"]:
        if material["required"] and material["status"] == "missing":
            body, ctype = multipart(
                {"requirement": material["requirement"]},
                {"file": ("材料.pdf", PDF_BYTES, "application/pdf")},
            )
            client.call(
                "POST",
                f"/api/v1/applications/{case_id}/materials",
                step="upload",
                token=setup.applicant_token,
                body=body,
                content_type=ctype,
                expect=(201,),
            )
    submitted = client.call(
        "POST",
        f"/api/v1/applications/{case_id}/submit",
        step="submit",
        token=setup.applicant_token,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    accept = [t for t in submitted["tasks"] if t["kind"] == "accept" and t["state"] == "open"]
    if not accept:
        raise HttpError("submit", 200, b"no open accept task after submit")
    client.post_json(
        f"/api/v1/tasks/{accept[0]['id']}/complete",
        {"decision": "accept", "comment": "材料齐全，予以受理"},
        step="accept",
        token=setup.clerk_token,
    )


@dataclass
class Part:
    cases: int = 0
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    latencies_ms: list[float] = field(default_factory=list)


def _client_process(args: tuple[Setup, float, int]) -> Part:
    setup, duration, threads = args
    deadline = time.monotonic() + duration
    total = Part()
    lock = threading.Lock()

    def loop() -> None:
        client = Client(setup.port)
        mine = Part()
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                one_case(client, setup)
            except HttpError as exc:
                mine.errors[exc.step] = mine.errors.get(exc.step, 0) + 1
                mine.first_error = mine.first_error or str(exc)
                continue
            except (OSError, http.client.HTTPException) as exc:
                mine.errors["connection"] = mine.errors.get("connection", 0) + 1
                mine.first_error = mine.first_error or repr(exc)
                continue
            mine.cases += 1
            mine.latencies_ms.append((time.perf_counter() - began) * 1000)
        mine.requests = client.requests
        client.close()
        with lock:
            total.cases += mine.cases
            total.requests += mine.requests
            total.latencies_ms.extend(mine.latencies_ms)
            for step, n in mine.errors.items():
                total.errors[step] = total.errors.get(step, 0) + n
            total.first_error = total.first_error or mine.first_error

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=duration + 60)
    return total


def drive(setup: Setup, duration: float, concurrency: int) -> tuple[Part, float]:
    processes = 2 if concurrency >= 2 else 1
    per_process = [
        concurrency // processes + (1 if i < concurrency % processes else 0)
        for i in range(processes)
    ]
    began = time.monotonic()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.map(_client_process, [(setup, duration, n) for n in per_process])
    seconds = max(duration, time.monotonic() - began) if parts else duration
    seconds = min(seconds, duration + 1)  # the last loops finish just after the deadline
    total = Part()
    for part in parts:
        total.cases += part.cases
        total.requests += part.requests
        total.latencies_ms.extend(part.latencies_ms)
        for step, n in part.errors.items():
            total.errors[step] = total.errors.get(step, 0) + n
        total.first_error = total.first_error or part.first_error
    return total, seconds


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


# --- the run ------------------------------------------------------------------------------------


def prepare(port: int) -> Setup:
    client = Client(port)
    applicant_token = client.post_json(
        "/api/v1/auth/token", {"username": "agent", "password": PASSWORD}, step="token"
    )["token"]
    clerk_token = client.post_json(
        "/api/v1/auth/token", {"username": "water-clerk", "password": PASSWORD}, step="token"
    )["token"]
    me = client.call("GET", "/api/v1/me", step="me", token=applicant_token)
    enterprises = me.get("enterprises") or []
    if not enterprises:
        raise SystemExit("the demo account 'agent' acts for no enterprise")
    uscc = enterprises[0]["uscc"]
    guide = client.call("GET", f"/api/v1/matters/{MATTER}", step="guide")
    client.close()
    return Setup(
        port=port,
        applicant_token=applicant_token,
        clerk_token=clerk_token,
        applicant={"type": "enterprise", "uscc": uscc},
        form=form_for(guide.get("form_schema") or {}, uscc=uscc),
    )


def run(args: argparse.Namespace) -> int:
    tmp = tempfile.mkdtemp(prefix="tongban-bench-submit-")
    try:
        return _run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, tmp: str) -> int:
    started = time.monotonic()
    env = bench_catalog.bench_env(
        tmp,
        MEDIA_ROOT=str(Path(tmp) / "media"),
        # Email goes nowhere; no worker runs, so notifications only queue.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    print(f"database: {env.get('DATABASE_URL', 'sqlite (no DATABASE_URL)')}", flush=True)
    print("migrating …", flush=True)
    subprocess.run([*TONGBAN, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    print("loading the demo district …", flush=True)
    subprocess.run([*TONGBAN, "demo", "load"], env=env, check=True, cwd=ROOT)

    port = bench_catalog._free_port()
    workers = str(args.workers)
    log_path = Path(tmp) / "serve.log"
    server_log = log_path.open("wb")
    server = subprocess.Popen(
        [*TONGBAN, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", workers],
        env=env,
        cwd=ROOT,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        bench_catalog._wait_until_up(port, server, log_path)
        setup = prepare(port)
        print(f"form: {json.dumps(setup.form, ensure_ascii=False)}", flush=True)
        # One case first: a broken pipeline is reported once, not thousands of times.
        check = Client(port)
        try:
            one_case(check, setup)
        except HttpError as exc:
            print(f"a single case fails, nothing measured: {exc}", file=sys.stderr)
            return 1
        finally:
            check.close()
        print(f"warming up {args.warmup:.0f} s …", flush=True)
        drive(setup, args.warmup, args.concurrency)
        print(f"driving cases for {args.duration:.0f} s …", flush=True)
        cpu_before = cpu_by_group()
        cases, case_seconds = drive(setup, args.duration, args.concurrency)
        cpu_after = cpu_by_group()
        print(f"  {cases.cases / case_seconds:.1f} cases/s", flush=True)
        print("bare Django view …", flush=True)
        bench_catalog.hammer("bare", port, "/bench/bare/", args.warmup, args.concurrency)
        bare_before = cpu_by_group()
        bare = bench_catalog.hammer(
            "bare", port, "/bench/bare/", min(args.duration, 10.0), args.concurrency
        )
        bare_after = cpu_by_group()
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server_log.close()

    cases_per_second = cases.cases / case_seconds
    requests_per_second = cases.requests / case_seconds
    errors = sum(cases.errors.values())
    print()
    print(
        f"gunicorn {args.workers} sync workers, PostgreSQL, {args.concurrency} client threads, "
        f"{args.duration:.0f} s, {os.cpu_count()} cores shared with the load generator"
    )
    print(f"cases created+submitted+accepted : {cases.cases} ({errors} failed)")
    print(f"cases per second                 : {cases_per_second:.1f}")
    print(f"HTTP requests per second (cases) : {requests_per_second:.1f}")
    print(
        f"per case p50 / p95               : {percentile(cases.latencies_ms, 0.5):.0f} ms / "
        f"{percentile(cases.latencies_ms, 0.95):.0f} ms"
    )
    print(f"bare Django view                 : {bare.rps:.1f} req/s ({bare.errors} failed)")
    if bare.rps:
        print(
            f"case requests vs bare view       : {requests_per_second / bare.rps:.0%} "
            f"(one case = {cases.requests / max(1, cases.cases + errors):.1f} requests)"
        )
    print()
    by_group = print_spent(cpu_before, cpu_after, case_seconds, cases.cases, unit="case")
    _print_budget(by_group, cases, bare, spent(bare_before, bare_after)[0])
    verdict = "met" if cases_per_second >= TARGET_CASES_PER_SECOND else "NOT met"
    print(f"target ≥ {TARGET_CASES_PER_SECOND} cases/s: {verdict}")
    if errors:
        print(f"failures by step: {cases.errors}; first: {cases.first_error}", file=sys.stderr)
    print(f"bench took {time.monotonic() - started:.0f} s")
    return 1 if errors or bare.errors else 0


def _print_budget(
    by_group: dict[str, float],
    cases: Part,
    bare: bench_catalog.Result,
    bare_spent: dict[str, float],
) -> None:
    """What one case may cost at the target, against what it cost in this run.

    At the target the machine's cores give ``cores / target`` seconds of CPU a case, for
    everything: the web workers, PostgreSQL and the clients that drive them. The bare view's
    own web CPU a request, times the requests of a case, is what serving them costs before any
    of the case's work (the framework's floor on this server).
    """
    if not cases.cases:
        return
    cores = os.cpu_count() or 1
    allowed = cores / TARGET_CASES_PER_SECOND * 1000
    total = sum(by_group.values()) / cases.cases * 1000
    web = by_group.get("web (gunicorn)", 0.0) / cases.cases * 1000
    bare_ok = bare.requests  # those answered 200
    per_case = cases.requests / cases.cases
    floor = bare_spent.get("web (gunicorn)", 0.0) / bare_ok * 1000 * per_case if bare_ok else 0.0
    print(
        f"budget at {TARGET_CASES_PER_SECOND} cases/s on {cores} cores: {allowed:.1f} ms of CPU a"
        f" case in all; this run {total:.1f} ms ({total / allowed:.1f}× the budget)"
    )
    if floor:
        print(
            f"  of which the web workers {web:.1f} ms; {per_case:.0f} bare-view requests cost"
            f" them {floor:.1f} ms (the floor of serving a case's requests)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds (default 15)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--use-database-url",
        action="store_true",
        help="use $DATABASE_URL (it receives the demo data and the cases), not a throw-away one",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if (
        not 1 <= args.duration <= 60
        or not 1 <= args.concurrency <= 64
        or not 0 <= args.warmup <= 10
    ):
        parser.error("--duration must be 1..60 s, --concurrency 1..64, --warmup 0..10 s")
    if args.inner or args.use_database_url:
        return run(args)
    return rerun_in_throwaway_postgres(__file__)


if __name__ == "__main__":
    sys.exit(main())
