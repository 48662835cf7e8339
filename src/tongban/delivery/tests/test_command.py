"""``tongban delivery advance``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.delivery.choices import DeliveryStatus
from tongban.delivery.models import DeliveryOrder
from tongban.delivery.tests.factories import delivery_order
from tongban.identity.models import User

pytestmark = pytest.mark.usefixtures("drainage")


def _run(*args: str) -> str:
    out = StringIO()
    call_command("delivery", "advance", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_all_moves_every_open_parcel_one_step(applicant: User, agent_user: User) -> None:
    first = delivery_order(applicant=applicant)
    second = delivery_order(applicant=agent_user)
    output = _run("--all")
    assert "已推进邮件 2 件（共 2 件）" in output
    assert set(DeliveryOrder.objects.values_list("status", flat=True)) == {DeliveryStatus.COLLECTED}
    _run("--all")
    _run("--all")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == DeliveryStatus.DELIVERED
    assert "共 0 件" in _run("--all")


def test_order_moves_one_parcel(applicant: User, agent_user: User) -> None:
    first = delivery_order(applicant=applicant)
    second = delivery_order(applicant=agent_user)
    output = _run("--order", str(first.pk))
    assert first.tracking_no in output
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (DeliveryStatus.COLLECTED, DeliveryStatus.CREATED)


def test_it_refuses_an_unknown_order_in_one_line() -> None:
    with pytest.raises(CommandError, match="递送单 999 不存在"):
        _run("--order", "999")


def test_it_refuses_to_move_a_delivered_parcel(applicant: User) -> None:
    order = delivery_order(applicant=applicant)
    for _step in range(3):
        _run("--order", str(order.pk))
    with pytest.raises(CommandError, match="已签收"):
        _run("--order", str(order.pk))


def test_it_needs_all_or_one_order() -> None:
    with pytest.raises(CommandError, match="--all"):
        _run()
    with pytest.raises(CommandError, match="--all"):
        _run("--all", "--order", "1")
