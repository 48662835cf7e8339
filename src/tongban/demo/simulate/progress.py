"""A one-line progress bar with the rate, for long commands writing to a terminal or a log.

On a terminal the line is redrawn in place; into a file or pipe a line is written every
tenth of the way, so a log stays readable.
"""

from __future__ import annotations

import time
from typing import Protocol

WIDTH = 30


class Output(Protocol):
    """Where the bar is drawn: a text stream (a command's stdout, a file, a StringIO)."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> None: ...

    def isatty(self) -> bool: ...


class ProgressBar:
    def __init__(self, *, total: int, out: Output, label: str, unit: str = "cases") -> None:
        self.total = max(total, 1)
        self.out = out
        self.label = label
        self.unit = unit
        self.started = time.monotonic()
        self.done = 0
        self.tty = out.isatty()
        self._last_draw = 0.0
        self._last_tenth = -1

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def line(self, note: str = "") -> str:
        share = min(self.done / self.total, 1.0)
        filled = round(share * WIDTH)
        rate = self.rate
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "█" * filled + "·" * (WIDTH - filled)
        text = (
            f"{self.label} [{bar}] {self.done}/{self.total} {self.unit} "
            f"{share:4.0%} {rate:.1f} {self.unit}/s, {self.elapsed:.0f}s, ~{left:.0f}s left"
        )
        return f"{text} {note}".rstrip()

    def update(self, done: int, note: str = "") -> None:
        self.done = done
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw >= 0.2 or done >= self.total:
                self._last_draw = now
                self.out.write("\r" + self.line(note) + "\x1b[K")
                self.out.flush()
            return
        tenth = done * 10 // self.total
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.out.write(self.line(note) + "\n")
            self.out.flush()

    def finish(self, note: str = "") -> None:
        if self.tty:
            self.out.write("\r" + self.line(note) + "\x1b[K\n")
        elif self._last_tenth != 10:
            self.out.write(self.line(note) + "\n")
        self.out.flush()
