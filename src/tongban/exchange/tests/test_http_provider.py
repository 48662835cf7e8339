"""The HTTP provider against a real server process on loopback (fake_provider.py)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from tongban.catalog.models import Department
from tongban.conftest import ENTERPRISE_USCC
from tongban.core.errors import NotFound
from tongban.exchange.choices import AccessResult
from tongban.exchange.models import AccessLog, DataResource, ProviderCircuit
from tongban.exchange.providers import http as http_provider
from tongban.exchange.services import ProviderUnavailable
from tongban.exchange.tests.factories import resource_make

pytestmark = pytest.mark.django_db

SECRET = "test-exchange-secret-2026"
#: The server sleeps this long in "slow" mode; the resource's timeout is well below it.
SLOW_SECONDS = 1.5
TIMEOUT = 0.4


class FakeDepartment:
    """The fake provider process: start, stop, switch its behaviour, read its counters."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603  (our own fake provider module)
            [
                sys.executable,
                "-m",
                "tongban.exchange.tests.fake_provider",
                "--port",
                str(self.port),
                "--secret",
                SECRET,
                "--slow-seconds",
                str(SLOW_SECONDS),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("LISTENING "), line
        self.port = int(line.split()[1])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/records"

    def _open(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=5) as response:
            return dict(json.loads(response.read()))

    def mode(self, mode: str) -> None:
        self._open("/_control", {"mode": mode, "reset": True})

    def stats(self) -> dict[str, Any]:
        return self._open("/_stats")


@pytest.fixture
def department_server() -> Iterator[FakeDepartment]:
    server = FakeDepartment()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def remote(
    department_server: FakeDepartment, departments: dict[str, Department], settings: Any
) -> DataResource:
    """police.remote_entity: unconditional, served by the fake department over HTTP."""
    settings.EXCHANGE_HTTP_SECRET = SECRET
    return resource_make(
        code="police.remote_entity",
        provider="police",
        adapter="http",
        adapter_config={
            "url": department_server.url,
            "timeout": TIMEOUT,
            "circuit_open_seconds": 1,
        },
        subject_kind="enterprise",
        fields=["name", "legal_rep"],
    )


def _ask(query: Any) -> Any:
    return query("police.remote_entity", subject=ENTERPRISE_USCC)


def _circuit() -> ProviderCircuit:
    return ProviderCircuit.objects.get(resource_code="police.remote_entity")


def test_it_fetches_a_record_with_a_signed_request(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    record = _ask(query)

    assert record.fields == {"name": "上海通办示范科技有限公司", "legal_rep": "李四"}
    assert department_server.stats() == {"calls": 1, "bad_signatures": 0, "mode": "normal"}
    assert AccessLog.objects.get().result == AccessResult.OK


def test_a_request_signed_with_another_secret_is_refused_without_retry(
    query: Any, remote: DataResource, department_server: FakeDepartment, settings: Any
) -> None:
    settings.EXCHANGE_HTTP_SECRET = "not-the-departments-secret"

    with pytest.raises(ProviderUnavailable) as refusal:
        _ask(query)

    assert "401" in str(refusal.value.detail)
    assert department_server.stats()["bad_signatures"] == 1
    assert department_server.stats()["calls"] == 1


def test_no_record_is_not_found(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    with pytest.raises(NotFound):
        query("police.remote_entity", subject="91310000000000000X")
    assert AccessLog.objects.get().result == AccessResult.NOT_FOUND


def test_a_slow_department_times_out_after_two_retries(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    department_server.mode("slow")
    started = time.monotonic()

    with pytest.raises(ProviderUnavailable) as refusal:
        _ask(query)

    elapsed = time.monotonic() - started
    assert str(refusal.value.detail) == "数据提供方暂不可用"
    assert refusal.value.status == 503
    assert department_server.stats()["calls"] == 3
    # Three timeouts and two short pauses, far from three times SLOW_SECONDS.
    assert elapsed < 3 * TIMEOUT + 1.5
    assert AccessLog.objects.get().result == AccessResult.UNAVAILABLE
    assert _circuit().failures == 1


def test_a_failing_department_is_retried_then_reported(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    department_server.mode("500")

    with pytest.raises(ProviderUnavailable):
        _ask(query)

    assert department_server.stats()["calls"] == 3


def test_a_department_answering_garbage_is_reported_clearly(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    department_server.mode("garbage")

    with pytest.raises(ProviderUnavailable) as refusal:
        _ask(query)

    assert str(refusal.value.detail) == "数据提供方返回了无法识别的数据"
    assert department_server.stats()["calls"] == 1
    assert AccessLog.objects.get().detail == "数据提供方返回了无法识别的数据"


def test_the_circuit_opens_after_three_failures_and_fails_fast(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    department_server.mode("500")
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            _ask(query)
    assert department_server.stats()["calls"] == 9
    assert _circuit().open_until is not None and _circuit().open_until > timezone.now()

    department_server.mode("normal")  # even a healthy department is not called while open
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as refusal:
        _ask(query)

    assert time.monotonic() - started < 0.2
    assert str(refusal.value.detail) == "数据提供方暂不可用"
    assert department_server.stats()["calls"] == 0
    assert AccessLog.objects.order_by("-seq").first().result == AccessResult.UNAVAILABLE  # type: ignore[union-attr]


def test_the_default_circuit_stays_open_for_thirty_seconds(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    config = dict(remote.adapter_config)
    config.pop("circuit_open_seconds")
    DataResource.objects.filter(pk=remote.pk).update(adapter_config=config)
    department_server.mode("garbage")
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            _ask(query)

    open_for = (_circuit().open_until - timezone.now()).total_seconds()  # type: ignore[operator]
    assert 25 < open_for <= http_provider.CIRCUIT_OPEN_SECONDS


def test_it_recovers_when_the_department_is_back(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    # Open for a minute: restarting the department's process can take over a second on a busy
    # machine, and the circuit must still be open when it is asked again.
    config = dict(remote.adapter_config, circuit_open_seconds=60)
    DataResource.objects.filter(pk=remote.pk).update(adapter_config=config)
    department_server.stop()
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            _ask(query)
    assert _circuit().failures == 3
    assert _circuit().last_error  # why it failed, for the admin
    opened_for = _circuit().open_until - timezone.now()  # type: ignore[operator]
    assert 55 < opened_for.total_seconds() <= 60

    department_server.start()  # the same port
    with pytest.raises(ProviderUnavailable):
        _ask(query)  # still open: not even tried
    assert department_server.stats()["calls"] == 0

    # The minute has passed.
    ProviderCircuit.objects.update(open_until=timezone.now() - dt.timedelta(seconds=1))
    record = _ask(query)

    assert record.fields["name"] == "上海通办示范科技有限公司"
    assert department_server.stats()["calls"] == 1
    circuit = _circuit()
    assert circuit.failures == 0 and circuit.open_until is None


def test_a_success_resets_the_failure_count(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    department_server.mode("garbage")
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            _ask(query)
    department_server.mode("normal")
    _ask(query)
    department_server.mode("garbage")
    with pytest.raises(ProviderUnavailable):
        _ask(query)

    assert _circuit().failures == 1 and _circuit().open_until is None


def test_a_resource_without_a_url_is_unavailable(
    query: Any, remote: DataResource, department_server: FakeDepartment
) -> None:
    DataResource.objects.filter(pk=remote.pk).update(adapter_config={"url": "file:///etc/passwd"})

    with pytest.raises(ProviderUnavailable):
        _ask(query)
    assert department_server.stats()["calls"] == 0


def test_the_signature_is_an_hmac_of_the_exact_body() -> None:
    body = b'{"nonce":"n","resource":"r","subject":"s","timestamp":1}'
    import hashlib
    import hmac

    assert http_provider.request_sign(body, "k") == hmac.new(b"k", body, hashlib.sha256).hexdigest()
