"""What a phone receives on the issue's journeys, counted end to end over HTTP (issue 10).

居住证 (张伟), 不动产转移登记 (张伟 sells, 李娜 buys and confirms), 食品经营许可 on commitment
(王芳 for her enterprise); 开办企业 is counted in test_notices_grouped. The outbox is drained
after every step, as a prompt worker would. Before grouping (2cf8ba4): 居住证 6, the transfer
7 to the seller + 1 to the buyer, the food licence 6, 开办企业 15 — each event its own SMS.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.cases.choices import CaseStatus, TaskState
from tongban.cases.models import Case, Task, Visit
from tongban.cases.tests.test_notices_grouped import outbox_drain, sms_received
from tongban.cases.tests.test_themes import (
    _decide_all,
    _fees_paid,
    _submit,
    _upload_missing,
    _user,
    demo,
)
from tongban.catalog.models import Matter
from tongban.demo.simulate.forms import Who, form_fill
from tongban.identity.models import User
from tongban.identity.selectors import user_enterprises

__all__ = ["demo"]

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]


def _form(matter: str, who: Who) -> dict[str, Any]:
    schema = Matter.objects.get(code=matter).form_schema
    return form_fill(schema, who=who, today=dt.date(2026, 12, 7), rng=random.Random(7))


def _who(username: str, **more: str) -> Who:
    person = _user(username).person
    return Who(
        name=person.name,
        id_number=person.id_number,
        phone=person.phone,
        address=person.address,
        **more,
    )


def _apply(
    client: Client, bearer: Headers, username: str, body: dict[str, Any], **submit: Any
) -> Case:
    headers = bearer(_user(username))
    response = client.post("/api/v1/applications", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.json()
    _upload_missing(client, headers, response.json())
    if submit:
        response = client.post(
            f"/api/v1/applications/{response.json()['id']}/submit",
            submit,
            content_type="application/json",
            **headers,
        )
    else:
        response = _submit(client, headers, response.json()["id"])
    assert response.status_code == 200, response.json()
    outbox_drain()
    return Case.objects.get(pk=response.json()["id"])


def _finished(client: Client, bearer: Headers, case: Case) -> Case:
    """Staff run the case one task at a time, the worker sending after each; the fee is paid."""
    for _round in range(6):
        open_tasks = Task.objects.filter(case=case, state=TaskState.OPEN).exclude(kind="inspection")
        if not open_tasks.exists():
            break
        _decide_all(client, bearer, case, rounds=1)
        outbox_drain()
    _fees_paid(case)
    outbox_drain()
    return Case.objects.get(pk=case.pk)


def test_a_residence_permit_sends_two_messages(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    form = _form("residence-permit", _who("citizen"))
    case = _apply(api_client, bearer, "citizen", {"matter": "residence-permit", "form": form})
    case = _finished(api_client, bearer, case)

    assert case.status in (CaseStatus.ISSUED, CaseStatus.COMPLETED)
    received = [n.body for n in sms_received()]
    assert len(received) == 2, received
    assert "已受理" in received[0]
    assert "准予许可" in received[1] and "电子证照" in received[1]
    assert not Visit.objects.filter(case=case).exists()


def test_a_property_transfer_tells_seller_and_buyer(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    buyer = _user("citizen2").person
    who = _who("citizen", other_name=buyer.name, other_id_number=buyer.id_number)
    form = _form("property-registration", who)
    case = _apply(api_client, bearer, "citizen", {"matter": "property-registration", "form": form})
    assert case.status == CaseStatus.AWAITING_PARTIES
    to_buyer = sms_received(buyer.phone)
    assert len(to_buyer) == 1 and "确认" in to_buyer[0].body
    assert who.id_number not in to_buyer[0].body

    confirmed = api_client.post(
        f"/api/v1/applications/{case.pk}/confirm", **bearer(_user("citizen2"))
    )
    assert confirmed.status_code == 200, confirmed.json()
    outbox_drain()
    case = _finished(api_client, bearer, Case.objects.get(pk=case.pk))

    assert case.status in (CaseStatus.ISSUED, CaseStatus.COMPLETED)
    to_seller = [n.body for n in sms_received()]
    assert len(to_seller) == 3, to_seller
    assert any("缴费" in body for body in to_seller)
    assert len(sms_received(buyer.phone)) == 1


def test_a_food_licence_on_commitment_sends_one_message(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    agent = _user("agent")
    [enterprise, *_rest] = user_enterprises(user=agent)
    who = _who("agent", company_name=enterprise.name, uscc=enterprise.uscc)
    form = _form("food-business-licence", who)
    case = _apply(
        api_client,
        bearer,
        "agent",
        {
            "matter": "food-business-licence",
            "applicant": {"type": "enterprise", "uscc": enterprise.uscc},
            "form": form,
        },
        commitment={"signed": True},
    )
    case = _finished(api_client, bearer, case)

    assert case.status in (CaseStatus.ISSUED, CaseStatus.COMPLETED)
    received = [n.body for n in sms_received(agent.person.phone)]
    assert len(received) == 1, received
    assert any("电子证照" in body for body in received)
