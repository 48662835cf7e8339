"""The service center for the page tests: two sections with hours, windows, a clerk, a clock.

The pages read the current time, so the tests fix it (``hall_clock``) on a working day
in opening hours and move it on when they need time to pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from tongban.catalog.models import Department, Section
from tongban.conftest import CAST_PASSWORD
from tongban.counter.models import CenterSection, Window, WindowAssignment
from tongban.identity import services as identity_services
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.calendar import SHANGHAI

#: Tuesday 15 September 2026, 10:00 in Shanghai: a working day, in opening hours.
OPENING_TIME = dt.datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Clock:
    now: dt.datetime = field(default=OPENING_TIME)

    def advance(self, minutes: float) -> dt.datetime:
        self.now += dt.timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def hall_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every ``timezone.now()`` reads this clock (pages, services, sessions alike)."""
    clock = Clock()
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock.now)
    return clock


@dataclass
class Hall:
    commerce: CenterSection
    social: CenterSection
    window_a: Window
    window_b: Window
    clerk: User


def window_clerk(username: str = "hall-clerk") -> User:
    """A 窗口受理 clerk of the center department (not yet on any window)."""
    return identity_services.staff_create(
        username=username,
        password=CAST_PASSWORD,
        department_code="center",
        roles=[StaffRole.CLERK],
        name="窗口小王",
    )


@pytest.fixture
def hall(catalogue: None, departments: dict[str, Department], hall_clock: Clock) -> Hall:
    """商事登记 (A) and 社会事务 (B), 09:00–17:00 with lunch; window A01 staffed by the clerk."""
    commerce = CenterSection.objects.create(
        section=Section.objects.get(code="commerce"),
        letter="A",
        break_start=dt.time(12, 0),
        break_end=dt.time(13, 30),
        slot_capacity=2,
    )
    social = CenterSection.objects.create(
        section=Section.objects.get(code="social"), letter="B", slot_capacity=2
    )
    clerk = window_clerk()
    window_a = Window.objects.create(
        code="A01",
        section=commerce.section,
        name="1号综合窗口",
        name_en="Window 1",
    )
    window_b = Window.objects.create(
        code="B01", section=social.section, name="5号综合窗口", name_en="Window 5"
    )
    WindowAssignment.objects.create(window=window_a, clerk=clerk)
    return Hall(commerce=commerce, social=social, window_a=window_a, window_b=window_b, clerk=clerk)


def sign_in(client: Any, user: User) -> None:
    client.force_login(user)
