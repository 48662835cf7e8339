#!/usr/bin/env python3
"""Service-center benchmark: tickets issued and called per second, bookings of one slot per second.

    python bench/counter.py                  (about 2 minutes on 2 cores)
    python bench/counter.py --duration 10 --windows 20

Starts a throw-away PostgreSQL on loopback (scripts/with-throwaway-postgres), migrates, loads
the demo district, then prepares the bench's own center inside Django (``--setup``): the
商事登记 section open all day today (today made a working day if it is not, so the bench runs
at any hour), ``--windows`` windows each staffed by its own clerk, and ``--people`` citizens
with API tokens; the slot to contend for is 10:00 of the next working day, its capacity
raised so that every booking is a real one. Then it starts ``tongban serve --workers 2``
(gunicorn, DEBUG off, TONGBAN_BENCH=1 for the bare view, the kiosk throttle lifted) and:

1. queue: 4 kiosk threads ``POST /api/v1/counter/tickets`` while ``--windows`` clerk threads
   ``POST /counter/windows/{code}/call`` and ``POST /counter/tickets/{number}/finish`` (a 204,
   nobody waiting, waits 50 ms) — all at once for ``--duration`` seconds; counts tickets issued,
   called and finished, and checks afterwards that no ticket was called twice;
2. bookings: 8 threads of citizens ``POST /api/v1/appointments`` for the same slot (every one
   waits for the slot's row lock) for ``--duration`` seconds;
3. the bare Django view ``/bench/bare/`` in the same run, 8 connections;
4. prints the figures and each one's ratio of requests per second to the bare view.

Exit status 1 when a request failed or a ticket was called twice. Loopback traffic only.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from throwaway import rerun_in_throwaway_postgres  # bench/throwaway.py

_HERE = Path(__file__).resolve().parent
for _name in ("catalog", "submit"):
    _spec = importlib.util.spec_from_file_location(f"bench_{_name}", _HERE / f"{_name}.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[f"bench_{_name}"] = _module  # the fork pool looks them up
    _spec.loader.exec_module(_module)
bench_catalog = sys.modules["bench_catalog"]
bench_submit = sys.modules["bench_submit"]

ROOT: Path = bench_catalog.ROOT
PYTHON: str = bench_catalog.PYTHON
TONGBAN: list[str] = bench_catalog.TONGBAN
Client = bench_submit.Client
HttpError = bench_submit.HttpError

SECTION = "commerce"
KIOSKS = 4
BOOKERS = 8


# --- inside Django: the bench's center --------------------------------------------------------


def setup_center(out: str, windows: int, people: int) -> None:
    """Open the section all day today, staff the windows, make the citizens; tokens to ``out``."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    django.setup()
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from tongban.counter.models import CenterSection
    from tongban.counter.services.center import (
        center_section_upsert,
        window_assignment_ensure,
        window_upsert,
    )
    from tongban.identity.choices import StaffRole
    from tongban.identity.services import api_token_create_for, staff_create, user_create
    from tongban.workflow.calendar import SHANGHAI, WorkCalendar
    from tongban.workflow.choices import CalendarDayKind
    from tongban.workflow.models import CalendarDay

    today = dt.datetime.now(SHANGHAI).date()
    hashed = make_password("bench-pass-2026")
    with transaction.atomic():
        if not WorkCalendar().is_working_day(today):
            CalendarDay.objects.update_or_create(
                date=today, defaults={"kind": CalendarDayKind.WORKDAY, "name": "bench"}
            )
        center = CenterSection.objects.get(section__code=SECTION)
        center_section_upsert(
            section_code=SECTION,
            fields={
                "letter": center.letter,
                "opens_at": "00:00",
                "closes_at": "23:59",
                "break_start": None,
                "break_end": None,
                "slot_minutes": 30,
                "slot_capacity": 30000,
            },
        )
        clerks = []
        for i in range(1, windows + 1):
            code = f"BENCH{i:02d}"
            window_upsert(code=code, section_code=SECTION, fields={"name": f"压测窗口{i}"})
            clerk = staff_create(
                username=f"bench-clerk-{i}",
                password=hashed,
                password_hashed=True,
                department_code="center",
                roles=[StaffRole.CLERK],
            )
            window_assignment_ensure(window_code=code, clerk=clerk, day=today)
            clerks.append({"window": code, "token": api_token_create_for(user=clerk)[0]})
        citizens = []
        for i in range(people):
            user = user_create(username=f"bench-citizen-{i}", password=hashed, password_hashed=True)
            citizens.append(api_token_create_for(user=user)[0])
    calendar = WorkCalendar()
    day = today + dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    slot = dt.datetime.combine(day, dt.time(10, 0), tzinfo=SHANGHAI).isoformat()
    Path(out).write_text(json.dumps({"clerks": clerks, "citizens": citizens, "slot": slot}))


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    issued: int = 0
    called: int = 0
    finished: int = 0
    empty_calls: int = 0
    booked: int = 0
    refused: int = 0
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    numbers: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "issued",
            "called",
            "finished",
            "empty_calls",
            "booked",
            "refused",
            "requests",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for step, n in other.errors.items():
            self.errors[step] = self.errors.get(step, 0) + n
        self.first_error = self.first_error or other.first_error
        self.numbers.extend(other.numbers)

    def failed(self, step: str, exc: Exception) -> None:
        self.errors[step] = self.errors.get(step, 0) + 1
        self.first_error = self.first_error or str(exc)


def _kiosk(client: Any, tally: Tally, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            client.post_json(
                "/api/v1/counter/tickets", {"section": SECTION}, step="issue", expect=(201,)
            )
            tally.issued += 1
        except (HttpError, OSError, http.client.HTTPException) as exc:
            tally.failed("issue", exc)


def _clerk(client: Any, tally: Tally, deadline: float, clerk: dict[str, str]) -> None:
    path = f"/api/v1/counter/windows/{clerk['window']}/call"
    while time.monotonic() < deadline:
        try:
            ticket = client.call("POST", path, step="call", token=clerk["token"], expect=(200, 204))
            if ticket is None:
                tally.empty_calls += 1
                time.sleep(0.05)
                continue
            tally.called += 1
            tally.numbers.append(ticket["number"])
            client.call(
                "POST",
                f"/api/v1/counter/tickets/{ticket['number']}/finish",
                step="finish",
                token=clerk["token"],
            )
            tally.finished += 1
        except (HttpError, OSError, http.client.HTTPException) as exc:
            tally.failed("call", exc)


def _booker(client: Any, tally: Tally, deadline: float, tokens: list[str], slot: str) -> None:
    for token in tokens:
        if time.monotonic() >= deadline:
            return
        try:
            answer = client.post_json(
                "/api/v1/appointments",
                {"section": SECTION, "start": slot},
                step="book",
                token=token,
                expect=(201, 409),
            )
            if answer.get("status") == "booked":
                tally.booked += 1
            else:
                tally.refused += 1
        except (HttpError, OSError, http.client.HTTPException) as exc:
            tally.failed("book", exc)


def _process(args: tuple[int, float, str, list[Any]]) -> Tally:
    """One load process: one thread per job until the deadline."""
    port, duration, kind, jobs = args
    deadline = time.monotonic() + duration
    tallies: list[Tally] = []

    def run(job: Any) -> None:
        client = Client(port)
        tally = Tally()
        tallies.append(tally)
        if kind == "kiosk":
            _kiosk(client, tally, deadline)
        elif kind == "clerk":
            _clerk(client, tally, deadline, job)
        else:
            _booker(client, tally, deadline, job["tokens"], job["slot"])
        tally.requests = client.requests
        client.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total


def drive(port: int, duration: float, work: list[tuple[str, list[Any]]]) -> tuple[Tally, float]:
    """Run every (kind, jobs) part at once, each part split over two processes."""
    parts = []
    for kind, jobs in work:
        parts += [(port, duration, kind, jobs[0::2]), (port, duration, kind, jobs[1::2])]
    parts = [part for part in parts if part[3]]
    began = time.monotonic()
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        tallies = pool.map(_process, parts)
    seconds = min(max(duration, time.monotonic() - began), duration + 1)
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total, seconds


def run(args: argparse.Namespace) -> int:
    tmp = tempfile.mkdtemp(prefix="tongban-bench-counter-")
    try:
        return _run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, tmp: str) -> int:
    started = time.monotonic()
    env = bench_catalog.bench_env(
        tmp,
        MEDIA_ROOT=str(Path(tmp) / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        # The kiosks of the bench share one address: lift the per-address throttle.
        TONGBAN_COUNTER_TICKET_RATE="1000000/s",
        TONGBAN_APPOINTMENT_DAYS_AHEAD="30",
    )
    print(f"database: {env.get('DATABASE_URL', 'sqlite (no DATABASE_URL)')}", flush=True)
    print("migrating …", flush=True)
    subprocess.run([*TONGBAN, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    print("loading the demo district …", flush=True)
    subprocess.run([*TONGBAN, "demo", "load"], env=env, check=True, cwd=ROOT)
    print(f"setting up {args.windows} windows and {args.people} citizens …", flush=True)
    setup_file = Path(tmp) / "setup.json"
    subprocess.run(
        [
            PYTHON,
            __file__,
            *("--setup", str(setup_file)),
            *("--windows", str(args.windows), "--people", str(args.people)),
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    setup = json.loads(setup_file.read_text())

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
        print(
            f"queue: {KIOSKS} kiosks, {args.windows} windows, {args.duration:.0f} s …", flush=True
        )
        queue, queue_seconds = drive(
            port,
            args.duration,
            [("kiosk", list(range(KIOSKS))), ("clerk", setup["clerks"])],
        )
        per_booker = len(setup["citizens"]) // BOOKERS
        booker_jobs = [
            {
                "tokens": setup["citizens"][i * per_booker : (i + 1) * per_booker],
                "slot": setup["slot"],
            }
            for i in range(BOOKERS)
        ]
        print(f"bookings: {BOOKERS} threads on one slot, {args.duration:.0f} s …", flush=True)
        booking, booking_seconds = drive(port, args.duration, [("book", booker_jobs)])
        print("bare Django view …", flush=True)
        bench_catalog.hammer("bare", port, "/bench/bare/", 1.0, BOOKERS)
        bare = bench_catalog.hammer("bare", port, "/bench/bare/", min(args.duration, 10.0), BOOKERS)
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server_log.close()

    twice = len(queue.numbers) - len(set(queue.numbers))
    queue_rps = queue.requests / queue_seconds
    booking_rps = booking.requests / booking_seconds
    print()
    print(
        f"gunicorn {args.workers} sync workers, PostgreSQL, {os.cpu_count()} cores shared with "
        f"the load generator, {args.duration:.0f} s per part"
    )
    print(f"tickets issued per second         : {queue.issued / queue_seconds:.1f}")
    print(
        f"tickets called per second         : {queue.called / queue_seconds:.1f} "
        f"({args.windows} windows; finished {queue.finished}, empty calls {queue.empty_calls}, "
        f"called twice {twice})"
    )
    print(f"queue requests per second         : {queue_rps:.1f}")
    print(
        f"bookings of one slot per second   : {booking.booked / booking_seconds:.1f} "
        f"({BOOKERS} threads; refused {booking.refused})"
    )
    print(f"bare Django view                  : {bare.rps:.1f} req/s ({bare.errors} failed)")
    if bare.rps:
        print(f"queue requests vs bare view       : {queue_rps / bare.rps:.0%}")
        print(f"booking requests vs bare view     : {booking_rps / bare.rps:.0%}")
    errors = {**queue.errors, **booking.errors}
    if errors:
        print(
            f"failures: {errors}; first: {queue.first_error or booking.first_error}",
            file=sys.stderr,
        )
    print(f"bench took {time.monotonic() - started:.0f} s")
    return 1 if errors or bare.errors or twice else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds a part (default 10)")
    parser.add_argument("--windows", type=int, default=20, help="windows calling (default 20)")
    parser.add_argument("--people", type=int, default=3000, help="citizens booking (default 3000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--use-database-url",
        action="store_true",
        help="use $DATABASE_URL (it receives the demo data and the bench's rows)",
    )
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if (
        not 1 <= args.duration <= 60
        or not 1 <= args.windows <= 60
        or not BOOKERS <= args.people <= 20000
    ):
        parser.error("--duration must be 1..60 s, --windows 1..60, --people 8..20000")
    if args.setup:
        setup_center(args.setup, args.windows, args.people)
        return 0
    if args.inner or args.use_database_url:
        return run(args)
    return rerun_in_throwaway_postgres(__file__)


if __name__ == "__main__":
    sys.exit(main())
