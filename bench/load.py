#!/usr/bin/env python3
"""Mixed load, closed loop, production settings; with ``--kill``, processes killed under load.

    python bench/load.py                          (200 clients, 180 s; about 6 minutes in all)
    python bench/load.py --clients 50 --seconds 120
    python bench/load.py --kill --clients 50 --seconds 150

One throw-away PostgreSQL (scripts/with-throwaway-postgres). Set-up, with development settings
but the run's secrets: migrate, ``tongban demo load``, then every demo account gets one random
password (production refuses the published one; ``--setup``). The run, with production settings
(``TONGBAN_ENV=production``, a random SECRET_KEY, TONGBAN_SIGNING_SECRET and a 43-character
AUDIT_CHECKPOINT_KEY, DEBUG off, ALLOWED_HOSTS=127.0.0.1):

- ``tongban serve --workers 2`` (gunicorn sync workers; ``--workers N`` for more, ``--threads N``
  for gthread) and two
  ``tongban worker`` processes;
- the sandbox bank (``python -m tongban.sandbox.payment_gateway``, its own process) reached
  through ``bench/load_plugins.py`` — production refuses the sandbox plugin module itself — and
  SMS written to a file by the ``benchfile`` provider of the same module;
- ``--clients`` client threads (``requests``, one Session each) for ``--seconds``, each with one
  role: searchers (a query no cache has seen, and a repeated one, in turn), guide readers (the
  page and the API, in turn), applicants (as the demo citizens: create 不动产抵押登记, upload
  the contract PDF, submit; and pay the fee of their accepted cases: the order through the API,
  then the bank's pay page), and staff (as the demo 不动产登记中心 clerk, reviewer and approver:
  accept, review, decide, each after reading the case); no request of the mix should fail;
- the baseline: the bare Django view ``/bench/bare/``, which production does not mount, served
  by a second ``tongban serve --workers 2`` with development settings on the same database,
  driven by the same client code with as many clients for ``--baseline-seconds`` after the mix
  (the production server idle);
- then ``--check`` (Django, on the database): every case an applicant was told about with a 2xx
  is present, at its acknowledged status or later, with its uploaded materials on disk, and its
  process instance's ready user tasks are exactly its open tasks; every background task ran
  (none waiting, none left running) and every SMS of the outbox went out exactly once (a notice
  merged into another for the same phone, within it).

Prints per kind: requests, errors, p50/p95/p99 ms, req/s; the baseline; the load average;
where the cores went during the mix (CPU seconds of the web workers, the task workers,
PostgreSQL, the load generator and the rest, each with its reaped children, and the machine's
idle time); the server's last traceback if a request failed; PASS when no request failed and
the check holds, else FAIL (exit 1).

``--kill`` adds faults during the run: ``kill -9`` of one gunicorn worker (the master forks a new
one), of one ``tongban worker`` in the moment it runs a task (restarted 10 s later), and of the
gunicorn master (its sync workers go on serving: they look for their parent only when no
connection waits; after 10 s the bench stops them with SIGTERM, as systemd would stop the rest of
the service, and starts ``tongban serve`` again). Requests that die with a connection are
retried by the client with the same Idempotency-Key; only answers with a 2xx count as
acknowledged. Connection failures during the outage are counted apart, not as errors.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import importlib.util
import json
import os
import queue
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from cpu_split import cpu_by_group, print_spent  # bench/cpu_split.py
from throwaway import rerun_in_throwaway_postgres  # bench/throwaway.py

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_catalog", _HERE / "catalog.py")
assert _spec is not None and _spec.loader is not None
bench_catalog = importlib.util.module_from_spec(_spec)
sys.modules["bench_catalog"] = bench_catalog
_spec.loader.exec_module(bench_catalog)

ROOT: Path = bench_catalog.ROOT
PYTHON: str = bench_catalog.PYTHON
TONGBAN: list[str] = bench_catalog.TONGBAN

MATTER = "mortgage-registration"  # 不动产抵押登记: a person may apply online, 80 yuan at acceptance
DEPARTMENT = "realestate"
UPLOAD = "mortgage-contract"
APPLICANTS = ("citizen", "citizen2")
STAFF = {
    "accept": "realestate-clerk",
    "review": "realestate-reviewer",
    "decide": "realestate-approver",
}
DECISION = {"accept": "accept", "review": "pass", "decide": "approve"}
GUIDES = (
    "food-business-licence",
    "drainage-permit",
    "residence-permit",
    "mortgage-registration",
    "company-registration",
    "public-place-hygiene",
    "construction-permit",
    "property-registration",
)
REPEATED_QUERIES = (
    "开饭店",
    "营业执照",
    "身份证",
    "抵押",
    "排水",
    "居住证",
    "卫生许可",
    "施工许可",
)
NEW_QUERY_WORDS = ("许可", "登记", "备案", "证明", "申请", "变更", "办理", "查询")
FORM = {
    "property_address": "上海市嘉定区新成路街道塔城路288弄5号",
    "property_certificate_no": "沪(2026)嘉字不动产权第000123号",
    "mortgagee": "中国工商银行上海市嘉定支行",
    "loan_amount": 1200000,
    "contact_phone": "13817260431",
}
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
#: The share of client threads per role (the rest are applicants).
ROLE_SHARES = {"search": 0.25, "guide": 0.20, "staff": 0.25}
#: Case statuses in the order a case moves through them (for "as acknowledged or later").
STATUS_RANK = {
    "draft": 0,
    "submitted": 1,
    "supplement_required": 1,
    "accepted": 2,
    "under_review": 3,
    "approved": 4,
    "denied": 4,
    "issued": 5,
    "completed": 6,
}
ACK_RANK = {"created": 0, "submitted": 1, "accepted": 2, "reviewed": 3, "decided": 4}


# --- inside Django: set-up and check -----------------------------------------------------------


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    django.setup()


def setup_accounts(out: str) -> None:
    """One random password for every demo account (production refuses the published one)."""
    _django()
    from django.contrib.auth.hashers import make_password

    from tongban.catalog.models import Department, Matter
    from tongban.demo.accounts import demo_usernames
    from tongban.identity.models import User

    if not Matter.objects.filter(code=MATTER).exists():
        raise SystemExit(f"the demo has no matter {MATTER}")
    password = secrets.token_urlsafe(18)
    names = demo_usernames(list(Department.objects.values_list("code", flat=True)))
    changed = User.objects.filter(username__in=names).update(password=make_password(password))
    Path(out).write_text(json.dumps({"password": password, "accounts": changed}))


def check(ack_path: str, sms_path: str, out: str) -> None:
    """Compare the database with what the clients were acknowledged; tasks and the SMS outbox."""
    _django()
    from django_tasks_db.models import DBTaskResult

    from tongban.cases.choices import NotificationChannel, TaskState
    from tongban.cases.models import Case, IdempotencyRecord, Notification, Task
    from tongban.cases.services.notifications import sms_signature
    from tongban.payments.models import PaymentOrder
    from tongban.workflow.engine import process_ready_tasks

    acks: dict[str, dict[str, Any]] = json.loads(Path(ack_path).read_text())
    problems: list[str] = []
    lost = 0
    cases = {
        c.pk: c
        for c in Case.objects.filter(pk__in=[int(k) for k in acks]).select_related("process")
    }
    for key, ack in acks.items():
        case = cases.get(int(key))
        if case is None:
            lost += 1
            problems.append(f"case {key}: acknowledged ({ack['level']}) but absent")
            continue
        bad: list[str] = []
        if STATUS_RANK.get(case.status, -1) < ACK_RANK[ack["level"]]:
            bad.append(f"status {case.status} behind acknowledged {ack['level']}")
        for requirement in ack.get("uploaded", []):
            material = case.materials.filter(requirement_code=requirement).first()
            if (
                material is None
                or not material.file
                or not material.file.storage.exists(material.file.name)
            ):
                bad.append(f"material {requirement} acknowledged but missing")
        if ack["level"] != "created":
            if case.process is None:
                bad.append("no process instance")
            else:
                ready = {str(t.id) for t in process_ready_tasks(instance=case.process)}
                open_ids = {
                    str(t.engine_task_id)
                    for t in Task.objects.filter(case=case, state=TaskState.OPEN)
                    if t.engine_task_id
                }
                if ready != open_ids:
                    bad.append(f"engine ready {sorted(ready)} != open tasks {sorted(open_ids)}")
        if ack.get("paid") and not PaymentOrder.objects.filter(case=case, status="paid").exists():
            bad.append("paid at the bank, not paid here")
        if bad:
            lost += 1
            problems.append(f"case {key} ({case.status}): " + "; ".join(bad))
    # One case per Idempotency-Key: a retried create or submit never made a second case.
    keys = collections.Counter(
        IdempotencyRecord.objects.filter(scope="create").values_list("user_id", "key")
    )
    duplicated_cases = sum(n - 1 for n in keys.values() if n > 1)
    drafts_without_ack = Case.objects.filter(matter__code=MATTER).exclude(
        pk__in=[int(k) for k in acks]
    )
    # Background tasks: all done, none waiting or left running by a killed worker.
    statuses = collections.Counter(DBTaskResult.objects.values_list("status", flat=True))
    stuck = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
    for row in stuck[:10]:
        problems.append(f"task {row.task_path} {row.id} still {row.status}")
    claimed_again = sum(
        1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) if len(ids) > 1
    )
    failed = DBTaskResult.objects.filter(status="FAILED")
    for row in failed[:10]:
        problems.append(f"task {row.task_path} {row.id} FAILED: {row.exception_class_path}")
    # The SMS outbox against what the provider "sent" (the file): each row exactly once.
    sent_lines: collections.Counter[tuple[str, str]] = collections.Counter()
    if Path(sms_path).exists():
        for line in Path(sms_path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                sent_lines[(row["phone"], row["text"])] += 1
    rows = Notification.objects.filter(channel=NotificationChannel.SMS)
    # Notices waiting for one person went out as one message: the others are marked merged.
    messages = rows.exclude(status="merged")
    outbox: collections.Counter[tuple[str, str]] = collections.Counter(
        (n.recipient, n.body) for n in messages
    )
    sms_duplicated = sum(max(0, sent_lines[k] - n) for k, n in outbox.items())
    sms_lost = sum(max(0, n - sent_lines[k]) for k, n in outbox.items())
    sms_unknown = sum(n for k, n in sent_lines.items() if k not in outbox)
    not_sent = messages.exclude(status="sent").count()
    merged = list(rows.filter(status="merged").select_related("merged_into"))
    # A merged notice's text went out within a sent message to the same phone.
    merged_astray = sum(
        1
        for n in merged
        if n.merged_into is None
        or n.merged_into.status != "sent"
        or n.merged_into.recipient != n.recipient
        or n.body.removeprefix(sms_signature()) not in n.merged_into.body
    )
    for label, n in (
        ("SMS sent twice", sms_duplicated),
        ("SMS of the outbox never sent", sms_lost),
        ("SMS sent without an outbox row", sms_unknown),
        ("outbox rows not marked sent", not_sent),
        ("merged notices not within a message sent", merged_astray),
        ("second case for one Idempotency-Key", duplicated_cases),
    ):
        if n:
            problems.append(f"{label}: {n}")
    result = {
        "acknowledged": len(acks),
        "by_level": dict(collections.Counter(a["level"] for a in acks.values())),
        "lost": lost,
        "duplicated_cases": duplicated_cases,
        "unacknowledged_cases": drafts_without_ack.count(),
        "statuses": dict(
            collections.Counter(
                Case.objects.filter(matter__code=MATTER).values_list("status", flat=True)
            )
        ),
        "tasks": dict(statuses),
        "tasks_stuck": stuck.count(),
        "tasks_claimed_again": claimed_again,
        "tasks_failed": failed.count(),
        "sms_outbox": sum(outbox.values()),
        "sms_merged": len(merged),
        "sms_sent": sum(sent_lines.values()),
        "sms_duplicated": sms_duplicated,
        "sms_lost": sms_lost,
        "sms_unknown": sms_unknown,
        "outbox_not_sent": not_sent,
        "orders_paid": PaymentOrder.objects.filter(status="paid").count(),
        "problems": problems[:40],
        "problem_count": len(problems),
    }
    Path(out).write_text(json.dumps(result, ensure_ascii=False))


# --- the clients -----------------------------------------------------------------------------


class Outage(Exception):
    """The server did not answer (connection refused or reset): only expected with --kill."""


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: collections.defaultdict(int))
    outages: dict[str, int] = field(default_factory=lambda: collections.defaultdict(int))
    retries: int = 0
    first_errors: list[str] = field(default_factory=list)

    def ok(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latencies[kind].append(ms)

    def error(self, kind: str, message: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.first_errors) < 8:
                self.first_errors.append(f"{kind}: {message[:300]}")


@dataclass
class Shared:
    """What the clients hand each other (threads of one process) and what was acknowledged."""

    base: str
    bank: str
    tokens: dict[str, str]
    stats: Stats
    deadline: float
    kill: bool
    work: dict[str, queue.Queue[tuple[int, str]]] = field(
        default_factory=lambda: {k: queue.Queue() for k in ("accept", "review", "decide")}
    )
    to_pay: queue.Queue[tuple[int, str]] = field(default_factory=queue.Queue)
    acks: dict[int, dict[str, Any]] = field(default_factory=dict)
    ack_lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def ack(self, case_id: int, level: str | None = None, **extra: Any) -> None:
        with self.ack_lock:
            entry = self.acks.setdefault(case_id, {"level": "created", "uploaded": []})
            if level and ACK_RANK[level] > ACK_RANK[entry["level"]]:
                entry["level"] = level
            for key, value in extra.items():
                if key == "uploaded":
                    entry["uploaded"].append(value)
                else:
                    entry[key] = value

    def next_number(self) -> int:
        with self.ack_lock:
            self.counter += 1
            return self.counter


class Client:
    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "zh-hans"

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        expect: tuple[int, ...] = (200, 201),
        retry_expect: tuple[int, ...] = (),
        base: str | None = None,
        **kwargs: Any,
    ) -> requests.Response | None:
        """One request; None when it failed (counted). With --kill a dead connection is retried."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = (base or self.shared.base) + path
        retried = False
        while True:
            began = time.perf_counter()
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=120, allow_redirects=False, **kwargs
                )
            except requests.RequestException as exc:
                if not self.shared.kill:
                    self.shared.stats.error(kind, repr(exc))
                    return None
                with self.shared.stats.lock:
                    self.shared.stats.outages[kind] += 1
                    self.shared.stats.retries += 1
                if time.monotonic() > self.shared.deadline + 60:
                    return None
                retried = True
                time.sleep(0.5)
                continue
            ms = (time.perf_counter() - began) * 1000
            if response.status_code in expect or (retried and response.status_code in retry_expect):
                self.shared.stats.ok(kind, ms)
                return response
            self.shared.stats.error(
                kind, f"{method} {path} → {response.status_code} {response.text[:200]}"
            )
            return None


def _searcher(client: Client, shared: Shared) -> None:
    turn = 0
    while time.monotonic() < shared.deadline:
        turn += 1
        if turn % 2:
            word = random.choice(NEW_QUERY_WORDS)
            query, kind = f"{word}{shared.next_number()}", "search, new query"
        else:
            query, kind = random.choice(REPEATED_QUERIES), "search, repeated"
        client.call(kind, "GET", "/api/v1/matters?q=" + urllib.parse.quote(query))


def _guide_reader(client: Client, shared: Shared) -> None:
    turn = 0
    while time.monotonic() < shared.deadline:
        turn += 1
        code = random.choice(GUIDES)
        if turn % 2:
            client.call("guide page", "GET", f"/matters/{code}/")
        else:
            client.call("guide API", "GET", f"/api/v1/matters/{code}")


def _pay(client: Client, shared: Shared, case_id: int, token: str) -> None:
    answer = client.call(
        "payment order", "POST", f"/api/v1/applications/{case_id}/payment", token=token
    )
    if answer is None:
        return
    order = answer.json()
    if order.get("status") == "paid" or not order.get("pay_url"):
        return
    # The payer's browser confirms on the bank's page; the bank calls the app back.
    paid = client.call(
        "bank pay page (sandbox)",
        "POST",
        "",
        base=order["pay_url"],
        data={"action": "confirm"},
        expect=(200, 303),
        retry_expect=(409,),
    )
    if paid is not None:
        shared.ack(case_id, paid=True)


def _applicant(client: Client, shared: Shared, username: str) -> None:
    token = shared.tokens[username]
    while time.monotonic() < shared.deadline:
        try:
            case_id, owner = shared.to_pay.get_nowait()
        except queue.Empty:
            pass
        else:
            _pay(client, shared, case_id, shared.tokens[owner])
            continue
        created = client.call(
            "create",
            "POST",
            "/api/v1/applications",
            token=token,
            json={"matter": MATTER, "form": FORM},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            expect=(201,),
        )
        if created is None:
            continue
        case = created.json()
        case_id = case["id"]
        shared.ack(case_id)
        missing = [
            m["requirement"]
            for m in case["materials"]
            if m["required"] and m["status"] == "missing"
        ]
        uploaded = True
        for requirement in missing:
            answer = client.call(
                "upload",
                "POST",
                f"/api/v1/applications/{case_id}/materials",
                token=token,
                data={"requirement": requirement},
                files={"file": ("抵押合同.pdf", PDF_BYTES, "application/pdf")},
                expect=(201,),
            )
            if answer is None:
                uploaded = False
                break
            shared.ack(case_id, uploaded=requirement)
        if not uploaded:
            continue
        submitted = client.call(
            "submit",
            "POST",
            f"/api/v1/applications/{case_id}/submit",
            token=token,
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if submitted is None:
            continue
        shared.ack(case_id, "submitted")
        accept = [
            t["id"]
            for t in submitted.json()["tasks"]
            if t["kind"] == "accept" and t["state"] == "open"
        ]
        if accept:
            shared.work["accept"].put((case_id, username))
        else:
            shared.stats.error("submit", f"case {case_id}: no open accept task after submit")


def _staff(client: Client, shared: Shared) -> None:
    order = ("decide", "review", "accept")
    while time.monotonic() < shared.deadline:
        for step in order:
            try:
                case_id, owner = shared.work[step].get_nowait()
            except queue.Empty:
                continue
            break
        else:
            time.sleep(0.05)
            continue
        token = shared.tokens[STAFF[step]]
        read = client.call(
            "case read (staff)", "GET", f"/api/v1/applications/{case_id}", token=token
        )
        if read is None:
            continue
        tasks = [t for t in read.json()["tasks"] if t["kind"] == step and t["state"] == "open"]
        if not tasks:
            shared.stats.error(step, f"case {case_id}: no open {step} task")
            continue
        done = client.call(
            step,
            "POST",
            f"/api/v1/tasks/{tasks[0]['id']}/complete",
            token=token,
            json={"decision": DECISION[step], "comment": "压测：同意"},
            retry_expect=(409,),
        )
        if done is None:
            continue
        level = {"accept": "accepted", "review": "reviewed", "decide": "decided"}[step]
        shared.ack(case_id, level)
        if step == "accept":
            shared.to_pay.put((case_id, owner))
            shared.work["review"].put((case_id, owner))
        elif step == "review":
            shared.work["decide"].put((case_id, owner))


def roles(clients: int) -> list[str]:
    counts = {role: max(1, round(clients * share)) for role, share in ROLE_SHARES.items()}
    applicants = max(1, clients - sum(counts.values()))
    return (
        ["search"] * counts["search"]
        + ["guide"] * counts["guide"]
        + ["staff"] * counts["staff"]
        + ["applicant"] * applicants
    )


def drive(shared: Shared, clients: int) -> float:
    threads = []
    for i, role in enumerate(roles(clients)):
        client = Client(shared)
        if role == "search":
            target: Any = (_searcher, (client, shared))
        elif role == "guide":
            target = (_guide_reader, (client, shared))
        elif role == "staff":
            target = (_staff, (client, shared))
        else:
            target = (_applicant, (client, shared, APPLICANTS[i % len(APPLICANTS)]))
        threads.append(threading.Thread(target=target[0], args=target[1], daemon=True))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, shared.deadline - time.monotonic()) + 180)
    return time.monotonic() - began


def drive_bare(base: str, clients: int, seconds: float) -> tuple[list[float], int, float]:
    """The same client code against the bare view: latencies, errors, seconds."""
    stats = Stats()
    shared = Shared(base=base, bank="", tokens={}, stats=stats, deadline=0, kill=False)
    shared.deadline = time.monotonic() + seconds

    def loop() -> None:
        client = Client(shared)
        while time.monotonic() < shared.deadline:
            client.call("bare", "GET", "/bench/bare/")

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return stats.latencies["bare"], sum(stats.errors.values()), time.monotonic() - began


# --- processes -------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Procs:
    """The processes of one run; every one is stopped at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        self.logs.append(log)
        proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in self.logs:
            log.close()


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    seen = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            seen = f"it exited with {proc.returncode}"
            break
        try:
            answer = requests.get(url, timeout=5)
            if answer.status_code == 200:
                return
            seen = f"HTTP {answer.status_code}"
        except requests.RequestException as exc:
            seen = repr(exc)
        time.sleep(0.5)
    print(log.read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
    raise SystemExit(f"{url} was not ready within {timeout:.0f} s ({seen})")


def _wait_running_task(database_url: str, worker_id: str, *, seconds: float) -> str:
    """The id of a task ``worker_id`` is running, as soon as there is one ("" after ``seconds``)."""
    import psycopg

    deadline = time.monotonic() + seconds
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT id, task_path FROM django_tasks_database_dbtaskresult "
                "WHERE status = 'RUNNING' AND worker_ids @> %s::jsonb LIMIT 1",
                (json.dumps([worker_id]),),
            ).fetchone()
            if row:
                return f"{row[1].rsplit('.', 1)[-1]} {row[0]}"
            time.sleep(0.002)
    return ""


def _answers(base: str) -> str:
    try:
        return str(requests.get(f"{base}/api/v1/departments", timeout=10).status_code)
    except requests.RequestException as exc:
        return type(exc).__name__


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _django_step(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run([PYTHON, __file__, *argv], env=env, check=True, cwd=ROOT)


def run(args: argparse.Namespace) -> int:
    # A SIGTERM (the wrapper stopping) still stops every process this run started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="tongban-bench-load-"))
    procs = Procs(tmp)
    try:
        return _run(args, tmp, procs)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, tmp: Path, procs: Procs) -> int:
    started = time.monotonic()
    port, bare_port, bank_port = (bench_catalog._free_port() for _ in range(3))
    bank_secret = secrets.token_urlsafe(24)
    sms_log = tmp / "sms.jsonl"
    secrets_env = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TONGBAN_SIGNING_SECRET": secrets.token_urlsafe(32),
        "AUDIT_CHECKPOINT_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32))
        .decode()
        .rstrip("="),
        "MEDIA_ROOT": str(tmp / "media"),
        "TONGBAN_VAR_DIR": str(tmp),
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{_HERE}",
        "LOG_LEVEL": "WARNING",
        "PAYMENT_PROVIDER": "sandbox",
        "PAYMENT_SANDBOX_URL": f"http://127.0.0.1:{bank_port}",
        "PAYMENT_SANDBOX_SECRET": bank_secret,
        "SMS_PROVIDER": "benchfile",
        "BENCH_SMS_LOG": str(sms_log),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    assert len(secrets_env["AUDIT_CHECKPOINT_KEY"]) == 43
    dev_env = {
        **bench_catalog.bench_env(str(tmp)),
        **secrets_env,
        "TONGBAN_PLUGINS": "load_plugins,tongban.sandbox.delivery",
    }
    prod_env = {
        **{k: v for k, v in os.environ.items() if k not in ("TONGBAN_BENCH", "DEBUG")},
        **secrets_env,
        "TONGBAN_ENV": "production",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "TONGBAN_PLUGINS": "load_plugins",
        # Plain HTTP on loopback: the API uses bearer tokens; the cookies are not needed.
        "SECURE_SSL_REDIRECT": "0",
    }
    print(f"database: {dev_env.get('DATABASE_URL', 'sqlite (no DATABASE_URL)')}", flush=True)
    print("migrating, loading the demo district …", flush=True)
    subprocess.run([*TONGBAN, "migrate", "--noinput", "-v0"], env=dev_env, check=True, cwd=ROOT)
    subprocess.run([*TONGBAN, "demo", "load"], env=dev_env, check=True, cwd=ROOT)
    print("demo accounts get a random password …", flush=True)
    accounts_file = tmp / "accounts.json"
    _django_step(["--setup", str(accounts_file)], dev_env)
    password = json.loads(accounts_file.read_text())["password"]

    bank_env = {**dev_env}
    bank = procs.start(
        "bank",
        [
            PYTHON,
            "-m",
            "tongban.sandbox.payment_gateway",
            "--port",
            str(bank_port),
            # One word: a random secret may begin with "-", which argparse would take for an option.
            f"--secret={bank_secret}",
        ],
        bank_env,
    )
    serve_argv = [
        *TONGBAN,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
    ]
    server = procs.start("serve", serve_argv, prod_env)

    def worker_argv(worker_id: str) -> list[str]:
        return [*TONGBAN, "worker", "--interval", "0.2", "--worker-id", worker_id]

    workers = [
        procs.start(f"worker{i}", worker_argv(f"bench-worker-{i}"), prod_env) for i in (1, 2)
    ]
    base = f"http://127.0.0.1:{port}"
    _wait_http(f"{base}/api/v1/departments", server, tmp / "serve.log")
    for i, worker in enumerate(workers, 1):
        if worker.poll() is not None:
            print((tmp / f"worker{i}.log").read_text()[-2000:], file=sys.stderr)
            raise SystemExit("a tongban worker refused to start")
    if bank.poll() is not None:
        print((tmp / "bank.log").read_text()[-2000:], file=sys.stderr)
        raise SystemExit("the sandbox bank did not start")
    print(
        f"production server up on {base} ({args.workers} gunicorn workers), 2 tongban workers",
        flush=True,
    )

    tokens: dict[str, str] = {}
    for username in (*APPLICANTS, *STAFF.values()):
        answer = requests.post(
            f"{base}/api/v1/auth/token",
            json={"username": username, "password": password},
            timeout=30,
        )
        if answer.status_code != 200:
            raise SystemExit(f"sign-in of {username} failed: {answer.status_code} {answer.text}")
        tokens[username] = answer.json()["token"]

    stats = Stats()
    shared = Shared(
        base=base,
        bank=f"http://127.0.0.1:{bank_port}",
        tokens=tokens,
        stats=stats,
        deadline=time.monotonic() + args.seconds,
        kill=args.kill,
    )
    events: list[str] = []
    killer: threading.Thread | None = None
    if args.kill:
        state = {"server": server, "workers": workers}

        def faults() -> None:
            t0 = time.monotonic()

            def at(fraction: float) -> None:
                time.sleep(max(0.0, t0 + args.seconds * fraction - time.monotonic()))

            def say(text: str) -> None:
                line = f"  t={time.monotonic() - t0:5.1f} s  {text}"
                events.append(line)
                print(line, flush=True)

            at(0.15)
            children = _children(state["server"].pid)
            if children:
                victim = children[0]
                os.kill(victim, signal.SIGKILL)
                say(f"kill -9 gunicorn worker {victim}")
                time.sleep(3)
                now = _children(state["server"].pid)
                say(f"gunicorn workers now {now} (the master forked a new one)")
            at(0.30)
            # The tongban worker: killed while it runs a task (claimed, not yet finished), the
            # hardest moment; polled in the database by the worker id it was started with.
            victim_worker = state["workers"][0]
            caught = _wait_running_task(dev_env["DATABASE_URL"], "bench-worker-1", seconds=20)
            os.kill(victim_worker.pid, signal.SIGKILL)
            victim_worker.wait()
            say(
                f"kill -9 tongban worker {victim_worker.pid} "
                + (f"while it ran task {caught}" if caught else "(no task running at that moment)")
            )
            time.sleep(10)
            state["workers"][0] = procs.start("worker1", worker_argv("bench-worker-1b"), prod_env)
            say(f"tongban worker restarted as {state['workers'][0].pid}")
            at(0.55)
            master = state["server"]
            old = _children(master.pid)
            os.kill(master.pid, signal.SIGKILL)
            master.wait()
            say(f"kill -9 gunicorn master {master.pid} (workers {old})")
            time.sleep(10)
            serving = [p for p in old if _alive(p)]
            say(
                f"10 s later its workers {serving} are alive and still answering: "
                f"{_answers(base)} (orphans, unsupervised)"
            )
            # What systemd does when the main process of a service dies (KillMode=control-group):
            # the rest of the group goes too. SIGTERM: each orphan finishes its request first.
            for pid in serving:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            limit = time.monotonic() + 40
            while any(_alive(p) for p in old) and time.monotonic() < limit:
                time.sleep(0.05)
            down = time.monotonic()
            say(f"SIGTERM to the orphans; all exited: {not any(_alive(p) for p in old)}")
            state["server"] = procs.start("serve", serve_argv, prod_env)
            _wait_http(f"{base}/api/v1/departments", state["server"], tmp / "serve.log")
            say(
                f"tongban serve restarted (master {state['server'].pid}); "
                f"no server for {time.monotonic() - down:.1f} s"
            )

        killer = threading.Thread(target=faults, daemon=True)
        killer.start()

    print(f"driving {args.clients} clients for {args.seconds:.0f} s …", flush=True)
    load_before = os.getloadavg()
    cpu_before = cpu_by_group()
    mix_seconds = drive(shared, args.clients)
    cpu_after = cpu_by_group()
    load_after = os.getloadavg()
    if killer is not None:
        killer.join(timeout=120)
    print(f"  mix done in {mix_seconds:.0f} s", flush=True)

    # Let the workers finish what was queued, then compare.
    print("waiting for the task queue to drain …", flush=True)
    drain_deadline = time.monotonic() + 120
    pending = -1
    while time.monotonic() < drain_deadline:
        pending = _pending_tasks(dev_env)
        if pending == 0:
            break
        time.sleep(2)
    print(f"  tasks still waiting or running: {pending}", flush=True)

    # The baseline: the bare view, development settings, same database, production idle.
    bare_env = {**dev_env}
    bare_server = procs.start(
        "bare",
        [
            *TONGBAN,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(bare_port),
            "--workers",
            "2",
            "--threads",
            str(args.threads),
        ],
        bare_env,
    )
    _wait_http(f"http://127.0.0.1:{bare_port}/bench/bare/", bare_server, tmp / "bare.log")
    print(
        f"baseline: bare view, {args.clients} clients, {args.baseline_seconds:.0f} s …", flush=True
    )
    bare_lat, bare_errors, bare_seconds = drive_bare(
        f"http://127.0.0.1:{bare_port}", args.clients, args.baseline_seconds
    )

    ack_file = tmp / "acks.json"
    ack_file.write_text(json.dumps({str(k): v for k, v in shared.acks.items()}))
    result_file = tmp / "check.json"
    _django_step(["--check", str(ack_file), str(sms_log), str(result_file)], dev_env)
    verdict = json.loads(result_file.read_text())

    # --- report ---
    print()
    print(
        f"{args.clients} clients, {args.seconds:.0f} s, production settings, "
        f"gunicorn {args.workers} "
        + ("sync workers" if args.threads == 1 else f"gthread workers × {args.threads} threads")
        + f" + 2 tongban workers, PostgreSQL, {os.cpu_count()} cores shared with the clients"
    )
    print(
        f"load average before / after the mix: {load_before[0]:.1f} / {load_after[0]:.1f} "
        f"(1 min), {load_after[1]:.1f} (5 min)"
    )
    header = (
        f"{'kind':<26} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'req/s':>7}"
    )
    print(header)
    print("-" * len(header))
    total_requests = 0
    all_latencies: list[float] = []
    kinds = sorted(set(stats.latencies) | set(stats.errors))
    for kind in kinds:
        lat = stats.latencies.get(kind, [])
        total_requests += len(lat) + stats.errors.get(kind, 0)
        if not kind.startswith("bank"):
            all_latencies.extend(lat)
        print(
            f"{kind:<26} {len(lat) + stats.errors.get(kind, 0):>8} {stats.errors.get(kind, 0):>6} "
            f"{_pct(lat, 0.5):>8.0f} {_pct(lat, 0.95):>8.0f} {_pct(lat, 0.99):>8.0f} "
            f"{len(lat) / mix_seconds:>7.1f}"
        )
    errors = sum(stats.errors.values())
    print("-" * len(header))
    app_ok = len(all_latencies)
    print(
        f"{'all Tongban requests':<26} {app_ok + errors:>8} {errors:>6} "
        f"{_pct(all_latencies, 0.5):>8.0f} {_pct(all_latencies, 0.95):>8.0f} "
        f"{_pct(all_latencies, 0.99):>8.0f} {app_ok / mix_seconds:>7.1f}"
    )
    print(
        f"{'baseline: bare view (dev)':<26} {len(bare_lat) + bare_errors:>8} {bare_errors:>6} "
        f"{_pct(bare_lat, 0.5):>8.0f} {_pct(bare_lat, 0.95):>8.0f} {_pct(bare_lat, 0.99):>8.0f} "
        f"{len(bare_lat) / bare_seconds:>7.1f}"
    )
    if bare_lat:
        ratio = app_ok / mix_seconds / (len(bare_lat) / bare_seconds)
        print(f"mix throughput vs bare view: {ratio:.0%}")
    print_spent(cpu_before, cpu_after, mix_seconds, app_ok)
    if stats.first_errors:
        print("first errors:")
        for line in stats.first_errors:
            print(f"  {line}")
        serve_log = (tmp / "serve.log").read_text(errors="replace")
        if "Traceback" in serve_log:
            print("the server's last traceback (serve.log):")
            print(serve_log[serve_log.rindex("Traceback") :][-4000:])
    if args.kill:
        print("faults:")
        for line in events:
            print(line)
        print(
            f"connection attempts refused or reset (no server): {sum(stats.outages.values())} "
            f"({dict(stats.outages)}); each retried every 0.5 s until answered"
        )
    print()
    print(
        f"cases acknowledged: {verdict['acknowledged']} {verdict['by_level']}; "
        f"lost: {verdict['lost']}; "
        f"duplicated (second case for one key): {verdict['duplicated_cases']}"
    )
    print(f"cases by status: {verdict['statuses']}; payments confirmed: {verdict['orders_paid']}")
    print(
        f"background tasks: {verdict['tasks']}; stuck: {verdict['tasks_stuck']}, "
        f"failed: {verdict['tasks_failed']}, run by a second worker after the first died: "
        f"{verdict.get('tasks_claimed_again', 0)}"
    )
    print(
        f"SMS: outbox {verdict['sms_outbox']} messages (+{verdict['sms_merged']} notices merged "
        f"into them), sent {verdict['sms_sent']}, duplicated "
        f"{verdict['sms_duplicated']}, lost {verdict['sms_lost']}, unknown {verdict['sms_unknown']}"
    )
    for problem in verdict["problems"]:
        print(f"  problem: {problem}")
    failed = errors or bare_errors or verdict["problem_count"]
    print("PASS" if not failed else "FAIL")
    print(f"bench took {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


def _pending_tasks(env: dict[str, str]) -> int:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','tongban.settings');"
        "django.setup();from django.utils import timezone;"
        "from django_tasks_db.models import DBTaskResult as T;"
        "print(T.objects.filter(status='RUNNING').count()"
        "+T.objects.filter(status='READY', run_after__lte=timezone.now()).count())"
    )
    out = subprocess.run(
        [PYTHON, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="client threads (default 200)")
    parser.add_argument("--seconds", type=float, default=180.0, help="mix duration (default 180)")
    parser.add_argument(
        "--baseline-seconds", type=float, default=15.0, help="bare-view run (default 15)"
    )
    parser.add_argument("--kill", action="store_true", help="kill -9 processes during the run")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers of the mix (default 2)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (default 1: sync workers, `tongban serve`'s default)",
    )
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--check", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup_accounts(args.setup)
        return 0
    if args.check:
        check(*args.check)
        return 0
    if not 4 <= args.clients <= 400 or not 10 <= args.seconds <= 900:
        parser.error("--clients must be 4..400, --seconds 10..900")
    if not 1 <= args.threads <= 64:
        parser.error("--threads must be 1..64")
    if not 1 <= args.baseline_seconds <= 60:
        parser.error("--baseline-seconds must be 1..60")
    if args.inner:
        return run(args)
    return rerun_in_throwaway_postgres(__file__)


if __name__ == "__main__":
    sys.exit(main())
