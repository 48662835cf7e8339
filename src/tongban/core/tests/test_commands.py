"""tongban worker, the periodic scheduler, and tongban serve."""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tongban.core import periodic
from tongban.core.management.commands.worker import PeriodicScheduler
from tongban.core.models import PeriodicJob
from tongban.core.periodic import (
    PeriodicSpec,
    periodic_claim,
    periodic_enqueue_due,
    periodic_job_sync,
    register_periodic,
)

#: Side effects of the job below, checked by the tests.
RUNS: list[str] = []


def record_run() -> None:
    RUNS.append("ran")


JOB = "test-record-run"
JOB_PATH = "tongban.core.tests.test_commands.record_run"


@pytest.fixture
def registered_job() -> Iterator[str]:
    """A periodic job every 60 s; the registry is restored afterwards."""
    saved = dict(periodic._REGISTRY)
    periodic._REGISTRY.clear()
    register_periodic(JOB, every_seconds=60, callable_path=JOB_PATH)
    RUNS.clear()
    yield JOB
    periodic._REGISTRY.clear()
    periodic._REGISTRY.update(saved)
    RUNS.clear()


def test_it_refuses_a_periodic_job_with_an_interval_below_one_second() -> None:
    with pytest.raises(ValueError, match="every_seconds"):
        register_periodic("too-fast", every_seconds=0, callable_path=JOB_PATH)


def test_it_refuses_a_periodic_job_without_a_name() -> None:
    with pytest.raises(ValueError, match="name"):
        register_periodic("", every_seconds=10, callable_path=JOB_PATH)


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_and_not_again_before_its_interval(
    registered_job: str,
) -> None:
    now = timezone.now()
    assert periodic_enqueue_due(now=now) == [registered_job]
    assert periodic_enqueue_due(now=now + timedelta(seconds=59)) == []
    assert DBTaskResult.objects.count() == 1
    assert periodic_enqueue_due(now=now + timedelta(seconds=60)) == [registered_job]
    assert DBTaskResult.objects.count() == 2
    task_row = DBTaskResult.objects.first()
    assert task_row is not None
    assert task_row.task_path == "tongban.core.tasks.run_periodic_callable"
    assert task_row.args_kwargs["args"] == [JOB_PATH]


@pytest.mark.django_db
def test_of_two_sequential_claims_of_the_same_run_only_the_first_wins() -> None:
    periodic_job_sync(spec=PeriodicSpec(JOB, 60, JOB_PATH))
    now = timezone.now()
    assert periodic_claim(name=JOB, every_seconds=60, now=now) is True
    assert periodic_claim(name=JOB, every_seconds=60, now=now) is False
    job = PeriodicJob.objects.get(name=JOB)
    assert job.last_enqueued_at == now


@pytest.mark.django_db(transaction=True)
def test_of_claimers_racing_in_threads_exactly_one_enqueues_the_run(
    registered_job: str,
) -> None:
    periodic_job_sync(spec=PeriodicSpec(JOB, 60, JOB_PATH))
    now = timezone.now()
    start = threading.Barrier(4)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def claimer() -> None:
        try:
            start.wait()
            # Like the scheduler, a claimer that finds the database locked tries again
            # (the test database is in-memory SQLite with a shared cache, which has no
            # busy timeout); the run may still be enqueued only once.
            for _attempt in range(200):
                try:
                    results.append(periodic_enqueue_due(now=now))
                    break
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_an_enqueued_periodic_job(registered_job: str) -> None:
    assert periodic_enqueue_due() == [registered_job]
    out = io.StringIO()
    call_command(
        "worker", "--batch", "--no-startup-delay", "--no-periodic", "--interval=0", stdout=out
    )
    assert RUNS == ["ran"]
    assert "worker started, 0 periodic jobs" in out.getvalue()
    row = DBTaskResult.objects.get()
    assert row.status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_the_worker_announces_its_periodic_jobs_and_starts_the_scheduler(
    registered_job: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scheduler thread itself is tested below; here it must only be started.
    started: list[float] = []
    monkeypatch.setattr(PeriodicScheduler, "run", lambda self: started.append(self.tick))
    out = io.StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--interval=0", "--tick=2", stdout=out)
    assert f"worker started, 1 periodic jobs ({registered_job})" in out.getvalue()
    assert started == [2.0]
    assert PeriodicJob.objects.filter(name=registered_job, every_seconds=60).exists()


@pytest.mark.django_db(transaction=True)
def test_a_scheduler_tick_enqueues_the_due_job_and_reports_it(registered_job: str) -> None:
    messages: list[str] = []
    scheduler = PeriodicScheduler(tick=0.01, write=messages.append)
    # One tick: the wait between ticks stops the loop instead.
    scheduler.stopped.wait = lambda timeout=None: scheduler.stopped.set() or True  # type: ignore[method-assign]
    scheduler.run()
    assert messages == [f"periodic job enqueued: {registered_job}"]
    assert DBTaskResult.objects.count() == 1


def test_serve_refuses_a_port_out_of_range() -> None:
    with pytest.raises(CommandError, match="port"):
        call_command("serve", "--port", "70000")


def test_serve_refuses_zero_workers() -> None:
    with pytest.raises(CommandError, match="workers"):
        call_command("serve", "--workers", "0")


@pytest.mark.parametrize("threads", ["0", "65"])
def test_serve_refuses_a_thread_count_out_of_range(threads: str) -> None:
    with pytest.raises(CommandError, match="threads"):
        call_command("serve", "--threads", threads)


def test_serve_refuses_to_start_in_production_with_problems(
    settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    monkeypatch.setattr(
        "tongban.core.production.production_problems",
        lambda: ["SECRET_KEY 为默认值", "数据库中存在演示账号"],
    )
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("serve", "--port", "8999", stderr=err)
    assert exit_info.value.code == 2
    lines = err.getvalue().splitlines()
    assert lines == [
        "refusing to start: SECRET_KEY 为默认值",
        "refusing to start: 数据库中存在演示账号",
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tongban() -> list[str]:
    return [sys.executable, "-c", "from tongban.cli import main; main()"]


def test_serve_answers_http_through_gunicorn_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "TONGBAN_BENCH": "1",
        "TONGBAN_VAR_DIR": str(tmp_path),
        "DEBUG": "0",
        "PORT": str(port),
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(  # noqa: S603
        [*_tongban(), "serve", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/bench/bare/"
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = response.read()
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
        assert proc.stdout is not None
        assert body == b"ok", proc.stdout.read().decode() if proc.poll() is not None else ""
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_worker_process_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "TONGBAN_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run(  # noqa: S603
        [*_tongban(), "migrate", "django_tasks_database", "--noinput", "-v0"],
        env=env,
        check=True,
        timeout=120,
    )
    subprocess.run(  # noqa: S603
        [*_tongban(), "migrate", "core", "--noinput", "-v0"], env=env, check=True, timeout=120
    )
    proc = subprocess.Popen(  # noqa: S603
        [*_tongban(), "worker", "--no-startup-delay", "--interval=0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("worker started,"), first
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert "worker stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    "command", [["worker"], ["migrate", "--noinput"], ["simulate", "--cases", "1"], ["serve"]]
)
def test_every_production_entry_point_refuses_the_default_secret(
    tmp_path: Path, command: list[str]
) -> None:
    env = {**os.environ, "TONGBAN_ENV": "production", "TONGBAN_VAR_DIR": str(tmp_path)}
    for name in ("SECRET_KEY", "DATABASE_URL", "DEBUG"):
        env.pop(name, None)
    env["ALLOWED_HOSTS"] = "example.org"
    env["TONGBAN_SIGNING_SECRET"] = "a-signing-secret-that-is-long-enough-0123456789"
    env["AUDIT_CHECKPOINT_KEY"] = "A" * 43  # 32 bytes, base64url
    done = subprocess.run(  # noqa: S603
        [*_tongban(), *command], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stdout + done.stderr
    # Nothing was created: a refused migrate made no table.
    database = tmp_path / "tongban.sqlite3"
    if database.exists():
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
