"""Share grants: staff ask with a reason, data stewards and center admins decide."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongban.catalog.models import Matter
from tongban.core.errors import InvalidStateChange, PermissionDenied, ValidationFailed
from tongban.exchange.choices import GrantStatus
from tongban.exchange.models import DataResource, ShareGrant
from tongban.exchange.services import grant_decide, grant_request
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


def _ask(actor: User, resource: str = "police.household", **kwargs: object) -> ShareGrant:
    arguments: dict[str, object] = {
        "actor": actor,
        "resource_code": resource,
        "department_code": "market",
        "matter_code": None,
        "reason": "食品经营许可需核验经营者户籍",
    }
    arguments.update(kwargs)
    return grant_request(**arguments)  # type: ignore[arg-type]


def test_staff_of_the_department_ask_for_a_conditional_resource(
    clerk: User, household: DataResource, matters: dict[str, Matter]
) -> None:
    grant = _ask(clerk, matter_code="food-business-licence")

    assert grant.status == GrantStatus.REQUESTED
    assert grant.department.code == "market"
    assert grant.matter == matters["food"]
    assert grant.requested_by == clerk


def test_it_refuses_a_request_without_a_reason(clerk: User, household: DataResource) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        _ask(clerk, reason="  ")

    assert [e.field for e in refusal.value.errors] == ["reason"]
    assert not ShareGrant.objects.exists()


def test_it_refuses_staff_of_another_department(
    police_clerk: User, household: DataResource
) -> None:
    with pytest.raises(PermissionDenied):
        _ask(police_clerk)


def test_it_refuses_a_citizen(applicant: User, household: DataResource) -> None:
    with pytest.raises(PermissionDenied):
        _ask(applicant)


def test_it_refuses_an_unconditional_resource_saying_none_is_needed(
    clerk: User, population: DataResource
) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        _ask(clerk, resource="police.population")

    assert refusal.value.errors[0].field == "resource"
    assert "无需申请" in str(refusal.value.errors[0].message)
    assert not ShareGrant.objects.exists()


def test_it_refuses_a_none_resource(clerk: User, criminal: DataResource) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        _ask(clerk, resource="police.criminal")

    assert "不予共享" in str(refusal.value.errors[0].message)


def test_it_refuses_a_grant_of_the_departments_own_resource(
    police_clerk: User, household: DataResource
) -> None:
    with pytest.raises(ValidationFailed):
        _ask(police_clerk, department_code="police")


def test_it_refuses_unknown_resources_and_matters(clerk: User, household: DataResource) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        _ask(clerk, resource="police.nothing", matter_code="no-such-matter")

    assert {e.field for e in refusal.value.errors} == {"resource", "matter"}


def test_it_refuses_a_second_request_while_one_is_pending(
    clerk: User, household: DataResource
) -> None:
    _ask(clerk)

    with pytest.raises(InvalidStateChange):
        _ask(clerk)


def test_a_data_steward_approves_with_a_validity(
    clerk: User, steward: User, household: DataResource
) -> None:
    until = timezone.localdate() + dt.timedelta(days=365)

    grant = grant_decide(
        actor=steward, grant=_ask(clerk), approve=True, note="同意", valid_until=until
    )

    assert grant.status == GrantStatus.APPROVED
    assert grant.decided_by == steward and grant.decided_at is not None
    assert grant.valid_until == until and grant.decision_note == "同意"


def test_a_center_admin_refuses(clerk: User, center_admin: User, household: DataResource) -> None:
    grant = grant_decide(actor=center_admin, grant=_ask(clerk), approve=False, note="理由不足")

    assert grant.status == GrantStatus.REFUSED
    assert grant.valid_until is None


@pytest.mark.parametrize("who", ["clerk", "approver", "applicant"])
def test_only_data_stewards_and_center_admins_decide(
    request: pytest.FixtureRequest, clerk: User, household: DataResource, who: str
) -> None:
    grant = _ask(clerk)

    with pytest.raises(PermissionDenied):
        grant_decide(actor=request.getfixturevalue(who), grant=grant, approve=True)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED


def test_a_decided_grant_cannot_be_decided_again(
    clerk: User, steward: User, household: DataResource
) -> None:
    grant = _ask(clerk)
    grant_decide(actor=steward, grant=grant, approve=False)

    with pytest.raises(InvalidStateChange):
        grant_decide(actor=steward, grant=grant, approve=True)


def test_it_refuses_an_approval_that_is_already_expired(
    clerk: User, steward: User, household: DataResource
) -> None:
    grant = _ask(clerk)

    with pytest.raises(ValidationFailed) as refusal:
        grant_decide(
            actor=steward,
            grant=grant,
            approve=True,
            valid_until=timezone.localdate() - dt.timedelta(days=1),
        )

    assert refusal.value.errors[0].field == "valid_until"
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REQUESTED


def test_after_a_grant_expires_the_department_may_ask_again(
    clerk: User, steward: User, household: DataResource
) -> None:
    grant = grant_decide(actor=steward, grant=_ask(clerk), approve=True)
    ShareGrant.objects.filter(pk=grant.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )

    assert _ask(clerk).status == GrantStatus.REQUESTED


def test_an_approved_grant_opens_the_resource_to_the_query(
    clerk: User, steward: User, household: DataResource, query: object
) -> None:
    grant_decide(actor=steward, grant=_ask(clerk), approve=True)

    assert query("police.household").fields["relation"] == "户主"  # type: ignore[operator]
