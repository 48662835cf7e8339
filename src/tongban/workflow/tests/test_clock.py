"""``engine_clock``: the timers read the given clock within the block, the wall clock after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from tongban.workflow.clock import engine_clock
from tongban.workflow.engine import ProcessStep, process_refresh_timers, process_start

pytestmark = pytest.mark.django_db


def _started(deadline: datetime) -> ProcessStep:
    return process_start(
        name="standard_approval", data={"acceptance_deadline": deadline.isoformat()}
    )


def test_within_the_block_the_timers_see_the_given_moment_and_the_wall_clock_after() -> None:
    moment = datetime(2025, 3, 4, 1, 2, 3, tzinfo=UTC)
    with engine_clock(lambda: moment):
        assert spiff_timer.datetime.now(UTC) == moment
    assert abs(spiff_timer.datetime.now(UTC) - timezone.now()) < timedelta(seconds=5)


def test_a_deadline_passed_on_the_given_clock_fires_and_one_ahead_of_it_does_not() -> None:
    deadline = timezone.now() + timedelta(days=7)
    step = _started(deadline)
    with engine_clock(lambda: deadline - timedelta(days=1)):
        assert [t.name for t in process_refresh_timers(instance=step.instance).ready] == ["accept"]
    with engine_clock(lambda: deadline + timedelta(minutes=1)):
        assert [t.name for t in process_refresh_timers(instance=step.instance).ready] == ["review"]


def test_a_past_year_replayed_on_its_own_clock_fires_nothing_early() -> None:
    # What the simulator relies on: a deadline of last year is still ahead on last year's clock.
    submitted = datetime(2025, 5, 6, 10, 0, tzinfo=UTC)
    with engine_clock(lambda: submitted):
        step = _started(submitted + timedelta(days=7))
        assert [t.name for t in step.ready] == ["accept"]
