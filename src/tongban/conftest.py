"""The project-wide test cast: departments, an applicant, an agent, staff, an outsider."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.catalog.models import Department
from tongban.catalog.services import section_upsert
from tongban.certificates.signing import signing_keys_forget
from tongban.counter.models import Window, WindowAssignment
from tongban.identity import services
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User
from tongban.identity.numbers import resident_id_make, uscc_make
from tongban.workflow.calendar import SHANGHAI

#: Password of every account of the cast.
CAST_PASSWORD = "cast-pass-2026"  # noqa: S105  (test accounts only)

CAST_DEPARTMENTS = [
    ("center", "行政服务中心", "Administrative Service Center"),
    ("market", "市场监管局", "Market Supervision Bureau"),
    ("police", "公安分局", "Public Security Sub-bureau"),
]

#: The applicant's resident ID, for tests that check masking (310***********…).
APPLICANT_ID_NUMBER = resident_id_make(area="310101", birth=dt.date(1985, 3, 12), sequence=31)
ENTERPRISE_USCC = uscc_make(area="310114", org="MA1GKF8T")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The real hasher costs ~0.3 s per password; tests create hundreds of accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests roll their transactions back, so on-commit cache invalidation never runs;
    # the search cache has its own test that switches it on.
    settings.CATALOG_SEARCH_CACHE_SECONDS = 0
    # Rolled-back tests reuse ids and epoch values: a cached guide of one test could answer
    # another. The guide cache tests switch it on (and clear the cache) themselves.
    settings.GUIDE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _no_signing_key_from_another_test() -> None:
    # A process remembers its active signing key for a moment; a test's database is emptied
    # after it (and keys made again with the same ids), so no test may start with that memo.
    signing_keys_forget()


@pytest.fixture(autouse=True)
def _chinese_first() -> Any:
    # A test (or a request it made) that switched to English must not leak it into the next
    # test in the same process: every test starts in the default language, Chinese.
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _working_day_calendar(request: pytest.FixtureRequest) -> None:
    # A transactional test (live_server, threads) flushes the database afterwards, and with
    # it the State Council schedule that a migration seeded; put it back for the next one.
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not transactional and not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from tongban.workflow.services import calendar_seed

    calendar_seed()


@pytest.fixture
def departments(db: None) -> dict[str, Department]:
    """center 行政服务中心, market 市场监管局 and police 公安分局, by code."""
    out = {}
    for order, (code, name, name_en) in enumerate(CAST_DEPARTMENTS):
        out[code], _created = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
    return out


def _person_user(username: str, name: str, id_number: str, phone: str) -> User:
    user = services.user_create(username=username, password=CAST_PASSWORD, first_name=name)
    services.person_create(name=name, id_number=id_number, user=user, phone=phone)
    return user


@pytest.fixture
def applicant(db: None) -> User:
    """张三, a citizen with a person record (user 'zhangsan')."""
    return _person_user("zhangsan", "张三", APPLICANT_ID_NUMBER, "13800001234")


@pytest.fixture
def enterprise(db: None) -> Enterprise:
    """上海通办示范科技有限公司, the enterprise the agent acts for."""
    return services.enterprise_create(
        uscc=ENTERPRISE_USCC,
        name="上海通办示范科技有限公司",
        legal_representative="李四",
        address="上海市嘉定区示范路1号",
        established_on=dt.date(2019, 6, 1),
    )


@pytest.fixture
def agent_user(db: None, enterprise: Enterprise) -> User:
    """李四 (user 'lisi'), a person and authorised agent (经办人) of ``enterprise``."""
    user = _person_user(
        "lisi",
        "李四",
        resident_id_make(area="310114", birth=dt.date(1978, 11, 2), sequence=57),
        "13900005678",
    )
    services.agent_authorise(user=user, enterprise=enterprise)
    return user


@pytest.fixture
def outsider(db: None) -> User:
    """王五 (user 'wangwu'), a signed-in citizen with no case, enterprise or post: refuse them."""
    return _person_user(
        "wangwu",
        "王五",
        resident_id_make(area="320102", birth=dt.date(1992, 7, 20), sequence=88),
        "13700009999",
    )


def _staff(username: str, department: str, role: StaffRole) -> User:
    return services.staff_create(
        username=username,
        password=CAST_PASSWORD,
        department_code=department,
        roles=[role],
        name=username,
    )


@pytest.fixture
def clerk(departments: dict[str, Department]) -> User:
    """Window clerk (窗口受理) of market."""
    return _staff("market-clerk", "market", StaffRole.CLERK)


@pytest.fixture
def reviewer(departments: dict[str, Department]) -> User:
    """Reviewer (审核) of market."""
    return _staff("market-reviewer", "market", StaffRole.REVIEWER)


@pytest.fixture
def approver(departments: dict[str, Department]) -> User:
    """Approver (审批) of market."""
    return _staff("market-approver", "market", StaffRole.APPROVER)


@pytest.fixture
def supervisor(departments: dict[str, Department]) -> User:
    """Supervisor (监管) of market."""
    return _staff("market-supervisor", "market", StaffRole.SUPERVISOR)


@pytest.fixture
def police_clerk(departments: dict[str, Department]) -> User:
    """Window clerk of police: staff, but of another department than market."""
    return _staff("police-clerk", "police", StaffRole.CLERK)


@pytest.fixture
def center_admin(departments: dict[str, Department]) -> User:
    """Center admin (中心管理员): may use the Django admin."""
    return _staff("center-admin", "center", StaffRole.CENTER_ADMIN)


@pytest.fixture
def second_admin(departments: dict[str, Department]) -> User:
    """Another center admin: the second pair of eyes of the process studio (四眼原则)."""
    return _staff("center-admin-2", "center", StaffRole.CENTER_ADMIN)


@pytest.fixture
def center_clerk(departments: dict[str, Department]) -> User:
    """Clerk of the center (``center-clerk``) staffing comprehensive window ``Z01`` today."""
    user = _staff("center-clerk", "center", StaffRole.CLERK)
    section = section_upsert(code="general", fields={"name": "综合办事", "name_en": "General"})
    window, _created = Window.objects.get_or_create(
        code="Z01",
        defaults={"section": section, "name": "综合受理窗口1", "name_en": "Window 1"},
    )
    WindowAssignment.objects.create(
        window=window, clerk=user, date=timezone.now().astimezone(SHANGHAI).date()
    )
    return user


@pytest.fixture
def api_client() -> Client:
    return Client()


@pytest.fixture
def bearer(db: None) -> Callable[[User], dict[str, str]]:
    """bearer(user) → request headers carrying a fresh API token for ``user``."""

    def headers(user: User) -> dict[str, str]:
        token, _expires = services.api_token_create_for(user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return headers


# --- one Chromium for every browser test ---------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Any:
    """Debian's Chromium driven by Playwright, shared by the whole session.

    Playwright's sync API allows one instance per thread, so the browser tests
    of every app must share this one fixture rather than start their own.
    """
    import os
    from pathlib import Path

    chromium = Path(os.environ.get("TONGBAN_CHROMIUM", "/usr/bin/chromium"))
    if not chromium.exists():
        reason = f"Chromium not found at {chromium}; install Debian's chromium package"
        if os.environ.get("TONGBAN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TONGBAN_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; Django's ORM would
    # otherwise refuse to be called from the tests around it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


#: Client credentials the sandbox identity provider of the tests is started with.
IDP_CLIENT_ID = "tongban-test"
IDP_CLIENT_SECRET = "idp-test-secret"  # noqa: S105  (test only)


class IdentityProvider:
    """The sandbox OpenID Connect provider, running as its own process."""

    def __init__(self, url: str) -> None:
        self.url = url

    def switch(self, **switches: Any) -> None:
        """Set the provider's test switches for the next tokens (none: clear them)."""
        import requests

        response = requests.post(
            f"{self.url}/control",
            json=switches,
            auth=(IDP_CLIENT_ID, IDP_CLIENT_SECRET),
            timeout=5,
        )
        response.raise_for_status()


@pytest.fixture(scope="session")
def identity_provider_process() -> Any:
    """``python -m tongban.sandbox.identity_provider`` on a free port, for the whole run."""
    import subprocess
    import sys

    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "tongban.sandbox.identity_provider",
            "--port",
            "0",
            "--client-id",
            IDP_CLIENT_ID,
            "--client-secret",
            IDP_CLIENT_SECRET,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        pytest.fail(f"the sandbox identity provider did not start: {line!r}")
    try:
        yield IdentityProvider(line.rsplit(" ", 1)[1].strip())
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def identity_provider(identity_provider_process: IdentityProvider, settings: Any) -> Any:
    """The portal configured to sign in through the sandbox provider; switches cleared."""
    settings.OIDC_ISSUER = identity_provider_process.url
    # The provider's origin is a form target (sign-in and sign-out redirect there) when the
    # settings load; this one was started on a free port afterwards.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(identity_provider_process.url)
    settings.CONTENT_SECURITY_POLICY = policy
    settings.OIDC_DISCOVERY_URL = ""
    settings.OIDC_CLIENT_ID = IDP_CLIENT_ID
    settings.OIDC_CLIENT_SECRET = IDP_CLIENT_SECRET
    identity_provider_process.switch()
    yield identity_provider_process
    identity_provider_process.switch()
