"""Many at once: requests racing for a code to one mobile send exactly one SMS (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tongban.core.errors import TooManyAttempts, ValidationFailed
from tongban.identity import services_accounts as accounts
from tongban.identity.models import PhoneCode
from tongban.identity.tests.factories import make_resident_id
from tongban.identity.tests.sms_outbox import SmsOutbox

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL"
    ),
]


def _together(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    outcomes: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = work(i)
        except Exception as exc:  # the test counts the refusals
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_eight_requests_for_a_code_to_one_mobile_at_once_send_one(sms_outbox: SmsOutbox) -> None:
    id_number = make_resident_id(seq=77)

    outcomes = _together(
        8,
        lambda i: accounts.registration_code_send(
            client=f"203.0.113.{i + 1}", name="王小明", id_number=id_number, phone="13912345678"
        ),
    )

    sent = [o for o in outcomes if isinstance(o, accounts.CodeSent)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(sent) == 1, outcomes
    assert len(refused) == 7 and all(isinstance(o, TooManyAttempts) for o in refused), refused
    assert PhoneCode.objects.count() == 1 and len(sms_outbox.sent) == 1


def test_twelve_guesses_at_once_get_no_more_than_the_allowed_tries(
    sms_outbox: SmsOutbox, settings: Any
) -> None:
    settings.PHONE_CODE_WRONG_PER_IP_HOUR = 100
    sent = accounts.registration_code_send(
        client="203.0.113.1", name="王小明", id_number=make_resident_id(seq=78), phone="13912345678"
    )
    code = sms_outbox.last_code("13912345678")
    guesses = [f"{(int(code) + i + 1) % 10**6:06d}" for i in range(12)]

    outcomes = _together(
        12,
        lambda i: accounts.registration_complete(
            client="203.0.113.1", challenge=sent.challenge, code=guesses[i], password="Jiading-2026"
        ),
    )

    assert all(isinstance(o, ValidationFailed) for o in outcomes), outcomes
    assert PhoneCode.objects.get().attempts == settings.PHONE_CODE_MAX_ATTEMPTS
    # The right code is refused now: the tries are used up.
    with pytest.raises(ValidationFailed, match="错误次数过多"):
        accounts.registration_complete(
            client="203.0.113.1", challenge=sent.challenge, code=code, password="Jiading-2026"
        )
