"""Typed hooks: how a lower app tells a higher one that something happened, without importing it.

The result apps (payments, delivery, certificates …) never import ``tongban.cases``.
Each declares the events it reports as a ``Hook`` in its ``hooks.py``; ``cases``
connects its receivers in ``CasesConfig.ready()``.  A receiver runs synchronously,
inside the caller's transaction, so the event and its consequences commit or roll
back together (a bank's callback and the case it pays for).  Queue slow side effects
from the receiver with the task outbox (``tongban.core.tasks.enqueue_with_transaction``).

    order_paid: Hook[OrderPaid] = Hook("payments.order_paid")   # payments/hooks.py
    order_paid.connect(case_payment_confirmed)                  # CasesConfig.ready()
    order_paid.send(OrderPaid(order=order, at=now))             # payments/services.py

Unlike Django signals a hook carries one typed event object, has at most one receiver per
function, and ``expect_receivers`` lets a test assert that the wiring exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

EventT = TypeVar("EventT")


class HookNotConnected(RuntimeError):
    """An event was sent that nobody receives although a receiver is required."""


class Hook(Generic[EventT]):
    """One kind of event, its receivers called in the order they were connected."""

    def __init__(self, name: str, *, required: bool = True) -> None:
        self.name = name
        #: Whether sending with no receiver is an error (an event whose loss would lose data).
        self.required = required
        self._receivers: list[Callable[[EventT], None]] = []

    def connect(self, receiver: Callable[[EventT], None]) -> Callable[[EventT], None]:
        """Add ``receiver`` (once; usable as a decorator)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable[[EventT], None]) -> None:
        """Remove ``receiver`` if connected (tests)."""
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    @property
    def receivers(self) -> tuple[Callable[[EventT], None], ...]:
        return tuple(self._receivers)

    def send(self, event: EventT) -> None:
        """Call every receiver with ``event``; an exception propagates to the sender."""
        if not self._receivers and self.required:
            raise HookNotConnected(f"hook {self.name!r} has no receiver")
        for receiver in list(self._receivers):
            receiver(event)

    def __repr__(self) -> str:
        return f"<Hook {self.name} receivers={len(self._receivers)}>"
