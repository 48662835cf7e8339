"""A test SMS gateway: the real send path calls it, and a test reads the texts it took.

Registered as a provider (``core.sms``) for one test and named in ``SMS_PROVIDER``, so a
code reaches a test only when the service really sent it through the configured provider.
Threads of a live server share the list (one process).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache

from tongban.core.sms import SmsError, sms_providers

CODE = "test-outbox"


@dataclass
class SmsOutbox:
    sent: list[tuple[str, str]] = field(default_factory=list)
    #: While True the gateway refuses every message.
    down: bool = False

    def codes(self, phone: str) -> list[str]:
        """The 6-digit codes sent to ``phone``, oldest first."""
        return [
            match.group(0)
            for to, text in self.sent
            if to == phone
            for match in [re.search(r"\b\d{6}\b", text)]
            if match
        ]

    def last_code(self, phone: str) -> str:
        codes = self.codes(phone)
        assert codes, f"no code was sent to {phone}: {self.sent}"
        return codes[-1]


@pytest.fixture
def sms_outbox(settings: Any) -> Iterator[SmsOutbox]:
    outbox = SmsOutbox()

    class TestOutboxProvider:
        def send(self, *, phone: str, text: str) -> str:
            if outbox.down:
                raise SmsError("gateway down")
            outbox.sent.append((phone, text))
            return f"test-{uuid.uuid4().hex[:8]}"

    sms_providers.register(CODE, TestOutboxProvider)
    settings.SMS_PROVIDER = CODE
    # The send and wrong-code throttles count per client IP in the cache.
    cache.clear()
    try:
        yield outbox
    finally:
        sms_providers.unregister(CODE)
        cache.clear()
