"""The moment the process engine's timers are compared against: the wall clock, or a given one.

SpiffWorkflow decides whether a timer is due with ``datetime.now()``, whatever moment the
caller acts at.  ``tongban simulate`` replays a past year through the real services, each
step at its own simulated moment; without this, every deadline of that year would already
lie in the past on the wall clock and every timer would fire at the first engine step.

``engine_clock(now)`` makes the engine read ``now()`` instead, for the duration of a
``with`` block, in this process only.  Nothing but the simulator (a command-line process
that runs alone) uses it; a web process or worker never does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer


@contextmanager
def engine_clock(now: Callable[[], datetime]) -> Iterator[None]:
    """Within the block the engine's timers see ``now()`` (an aware datetime) as the time."""

    class _ClockDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:
            moment = now()
            value = moment.astimezone(tz) if tz is not None else moment
            return cls.fromisoformat(value.isoformat())

    original = _spiff_timer.datetime
    _spiff_timer.datetime = _ClockDatetime
    try:
        yield
    finally:
        _spiff_timer.datetime = original
