#!/usr/bin/env python3
"""Serving benchmark: gunicorn worker models under slow uploads mixed with fast reads.

    python bench/serving.py                       (throw-away PostgreSQL, about 3 minutes)
    python bench/serving.py --duration 15 --slow 4 --fast 8

Starts a throw-away PostgreSQL (scripts/with-throwaway-postgres), migrates and loads the demo
district (through bench/catalog.py's loader), then for each worker model — sync ×2, ×3, ×5 and
gthread 2×4 (gevent only when it is installed) — starts ``tongban serve`` on a free loopback
port and, for ``--duration`` seconds, runs at once:

- ``--slow`` slow uploaders: each POSTs a 256 KiB form body in 16 KiB pieces every 100 ms
  (about 1.6 s an upload, a phone on a poor line); CSRF protection reads the body, so a worker
  (or a thread) is held while it trickles in; they count finished uploads;
- ``--fast`` readers on keep-alive connections cycling through the guide page, the guide
  API and a repeated search: requests per second, p50/p95 latency, errors.

Before the models, the bare view alone (sync ×2, no slow clients) is measured in the same run:
every figure is also printed as a share of it. Loopback only; every process is stopped.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog as catalog_bench
from throwaway import rerun_in_throwaway_postgres  # bench/throwaway.py

ROOT = catalog_bench.ROOT
PYTHON = catalog_bench.PYTHON
TONGBAN = catalog_bench.TONGBAN

#: A CSRF secret the slow uploaders present, so the middleware reads their bodies.
CSRF_SECRET = "b" * 32
UPLOAD_BYTES = 256 * 1024
PIECE = 16 * 1024
PIECE_PAUSE = 0.1


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    uploads: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _reader(port: int, paths: list[str], deadline: float, tally: Tally) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = errors = 0
    mine: list[float] = []
    n = 0
    while time.monotonic() < deadline:
        path = paths[n % len(paths)]
        n += 1
        began = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                ok += 1
                mine.append((time.perf_counter() - began) * 1000)
            else:
                errors += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    with tally.lock:
        tally.ok += ok
        tally.errors += errors
        tally.latencies_ms.extend(mine)


def _uploader(port: int, deadline: float, tally: Tally) -> None:
    body = b"a=" + b"x" * (UPLOAD_BYTES - 2)
    done = 0
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                head = (
                    "POST /bench/bare/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    f"Content-Length: {len(body)}\r\nCookie: csrftoken={CSRF_SECRET}\r\n"
                    "Connection: close\r\n\r\n"
                )
                sock.sendall(head.encode())
                for start in range(0, len(body), PIECE):
                    sock.sendall(body[start : start + PIECE])
                    time.sleep(PIECE_PAUSE)
                while sock.recv(65536):
                    pass
            done += 1
        except OSError:
            with tally.lock:
                tally.errors += 1
    with tally.lock:
        tally.uploads += done


def drive(port: int, paths: list[str], seconds: float, fast: int, slow: int) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_reader, args=(port, paths, deadline, tally)) for _ in range(fast)
    ] + [threading.Thread(target=_uploader, args=(port, deadline, tally)) for _ in range(slow)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return tally


def _serve(env: dict[str, str], tmp: str, workers: int, threads: int, worker_class: str) -> Any:
    port = catalog_bench._free_port()
    log_path = Path(tmp) / f"serve-{workers}-{threads}-{worker_class}.log"
    log = log_path.open("wb")
    command = [*TONGBAN, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    if worker_class:
        command += ["--worker-class", worker_class]
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    catalog_bench._wait_until_up(port, server, log_path)
    return port, server, log


def _stop(server: subprocess.Popen, log: Any) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    log.close()


def _models() -> list[tuple[str, int, int, str]]:
    models = [
        ("sync ×2", 2, 1, ""),
        ("sync ×3", 3, 1, ""),
        ("sync ×5", 5, 1, ""),
        ("gthread 2×4", 2, 4, ""),
    ]
    try:
        import gevent  # noqa: F401

        models.append(("gevent 2×100", 2, 1, "gevent"))
    except ImportError:
        pass
    return models


def run(args: argparse.Namespace) -> int:
    tmp = tempfile.mkdtemp(prefix="tongban-bench-")
    try:
        return _run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, tmp: str) -> int:
    env = catalog_bench.bench_env(tmp)
    print("migrating and loading the demo district …", flush=True)
    subprocess.run([*TONGBAN, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    loaded = subprocess.run(
        [PYTHON, str(Path(catalog_bench.__file__)), "--load", "65"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    guide = "food-business-licence"
    for line in loaded.stdout.splitlines():
        if line.startswith("{") and '"guide"' in line:
            guide = line.split('"guide":')[1].split('"')[1]
    paths = [
        f"/matters/{guide}/",
        f"/api/v1/matters/{guide}",
        "/api/v1/matters?q=" + urllib.parse.quote("开饭店"),
    ]

    port, server, log = _serve(env, tmp, 2, 1, "")
    try:
        drive(port, ["/bench/bare/"], 1, args.fast, 0)
        bare = drive(port, ["/bench/bare/"], args.duration, args.fast, 0)
        drive(port, paths, 1, args.fast, 0)
        reads_alone = drive(port, paths, args.duration, args.fast, 0)
    finally:
        _stop(server, log)
    bare_rps = bare.ok / args.duration
    rows = [("bare view, sync ×2, no uploads", bare), ("reads, sync ×2, no uploads", reads_alone)]
    print(f"  bare view {bare_rps:.0f} req/s; reads alone {reads_alone.ok / args.duration:.0f}")

    for label, workers, threads, worker_class in _models():
        port, server, log = _serve(env, tmp, workers, threads, worker_class)
        try:
            drive(port, paths, 1, args.fast, 0)
            tally = drive(port, paths, args.duration, args.fast, args.slow)
        finally:
            _stop(server, log)
        rows.append((f"{label}, {args.slow} slow uploads", tally))
        print(f"  {label}: {tally.ok / args.duration:.0f} reads/s", flush=True)

    print()
    print(
        f"{args.fast} readers (guide page, guide API, repeated search), {args.slow} slow uploaders "
        f"(256 KiB at 160 KiB/s), {args.duration:.0f} s each, {os.cpu_count()} cores shared "
        "with the load generator, PostgreSQL"
    )
    header = (
        f"{'model':<40} {'reads/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} "
        f"{'uploads':>8} {'vs bare':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, tally in rows:
        rps = tally.ok / args.duration
        print(
            f"{catalog_bench._pad(label, 40)} {rps:>8.1f} {tally.percentile(0.5):>8.1f} "
            f"{tally.percentile(0.95):>8.1f} {tally.errors:>7} {tally.uploads:>8} "
            f"{rps / bare_rps if bare_rps else float('nan'):>7.0%}"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per model")
    parser.add_argument("--fast", type=int, default=8, help="reader connections (default 8)")
    parser.add_argument("--slow", type=int, default=4, help="slow uploaders (default 4)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--use-database-url", action="store_true", help="use $DATABASE_URL")
    args = parser.parse_args()
    if not 2 <= args.duration <= 120 or not 1 <= args.fast <= 64 or not 0 <= args.slow <= 32:
        parser.error("--duration 2..120 s, --fast 1..64, --slow 0..32")
    if args.inner or args.use_database_url:
        return run(args)
    return rerun_in_throwaway_postgres(__file__)


if __name__ == "__main__":
    sys.exit(main())
