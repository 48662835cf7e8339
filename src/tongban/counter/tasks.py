"""Periodic work of the service center (run by ``tongban worker``)."""

from __future__ import annotations

import logging

from tongban.counter.services import appointment_no_shows_mark

logger = logging.getLogger(__name__)


def appointment_no_shows_sweep() -> int:
    """Mark appointments whose slot ended without check-in (registered in CounterConfig.ready)."""
    marked = appointment_no_shows_mark()
    if marked:
        logger.info("appointments marked no-show: %s", marked)
    return marked
