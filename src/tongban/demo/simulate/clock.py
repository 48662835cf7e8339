"""The simulated moment: what ``timezone.now()`` and the engine's timers read during a run.

Most services take ``now=`` and the simulator passes it; a few read the clock themselves
(``case_create`` stamps the draft and its case number, ``case_delivery_choose`` its timeline
entry, the SLA sweep fires timers through ``case_timers_fire``, the engine compares timers
with the wall clock).  For them, within ``simulated_time(clock)``, ``django.utils.timezone.now``
returns ``clock.at`` and so does the engine's timer clock (``workflow.clock.engine_clock``).
Only the ``tongban simulate`` process does this, for the length of its run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

from tongban.workflow.clock import engine_clock


class SimulatedClock:
    """The moment the simulation stands at (an aware datetime); moved by the event loop."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@contextmanager
def simulated_time(clock: SimulatedClock) -> Iterator[None]:
    """Within the block, Django's ``timezone.now()`` and the engine's timers read ``clock``."""
    original = timezone.now
    timezone.now = clock.now
    try:
        with engine_clock(clock.now):
            yield
    finally:
        timezone.now = original
