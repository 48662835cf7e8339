"""Typed hooks: the result apps report back to cases without importing it."""

from __future__ import annotations

import pytest

from tongban.cases.services import outputs, themes
from tongban.certificates.hooks import certificate_reissued
from tongban.core.hooks import Hook, HookNotConnected
from tongban.delivery.hooks import parcel_delivered
from tongban.payments.hooks import order_paid


def test_cases_receives_what_the_result_apps_report() -> None:
    assert outputs.case_payment_confirmed in order_paid.receivers
    assert outputs.case_delivery_confirmed in parcel_delivered.receivers
    assert themes.theme_certificate_reissued in certificate_reissued.receivers


def test_a_hook_calls_its_receivers_in_order_once_each() -> None:
    hook: Hook[int] = Hook("test.numbers")
    seen: list[tuple[str, int]] = []

    def first(n: int) -> None:
        seen.append(("first", n))

    def second(n: int) -> None:
        seen.append(("second", n))

    hook.connect(first)
    hook.connect(second)
    hook.connect(first)
    hook.send(7)
    assert seen == [("first", 7), ("second", 7)]
    hook.disconnect(first)
    hook.send(8)
    assert seen[-1] == ("second", 8) and len(seen) == 3


def test_a_required_hook_without_a_receiver_refuses_to_lose_the_event() -> None:
    with pytest.raises(HookNotConnected):
        Hook[int]("test.lost").send(1)
    Hook[int]("test.optional", required=False).send(1)


def test_a_receivers_error_reaches_the_sender() -> None:
    hook: Hook[int] = Hook("test.failing")

    def fails(n: int) -> None:
        raise ValueError(n)

    hook.connect(fails)
    with pytest.raises(ValueError):
        hook.send(1)
