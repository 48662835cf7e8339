"""Reads about who a user is: the enterprises they act for, their staff post and roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils import timezone

from tongban.core.prepared import Param, Prepared, PreparedRows
from tongban.identity.choices import StaffRole
from tongban.identity.models import Agent, Enterprise, Person, StaffProfile, User


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def _live_agencies(*, user: User) -> QuerySet[Agent]:
    return _live(Agent.objects.filter(user=user), timezone.localdate())


def _live(agencies: QuerySet[Agent], today: Any) -> QuerySet[Agent]:
    """The agencies not revoked and not lapsed on ``today`` (a date or a ``Param``)."""
    return agencies.filter(revoked=False).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def _today_param() -> Param:
    return Param("today", Agent._meta.get_field("valid_until"))


def user_enterprises(*, user: User) -> list[Enterprise]:
    """Enterprises ``user`` is a live (not revoked, not lapsed) agent of."""
    if not _signed_in(user):
        return []
    ids = _live_agencies(user=user).values("enterprise_id")
    return list(Enterprise.objects.filter(id__in=ids).order_by("name", "uscc"))


def user_is_agent_of(*, user: User, uscc: str) -> bool:
    """Whether ``user`` may act today for the enterprise with credit code ``uscc``."""
    if not _signed_in(user):
        return False
    return _live_agencies(user=user).filter(enterprise__uscc=uscc.strip().upper()).exists()


def user_agency_enterprise(*, user: User, uscc: str) -> Enterprise | None:
    """The enterprise with credit code ``uscc`` if ``user`` may act for it today, else None.

    One query where ``Enterprise`` by code and ``user_is_agent_of`` take two.
    """
    if not _signed_in(user):
        return None
    agency = _AGENCY_ENTERPRISE.first(
        user=user.pk, uscc=uscc.strip().upper(), today=timezone.localdate()
    )
    return agency.enterprise if agency is not None else None


#: Every application of an enterprise reads its agency: compiled once (core/prepared.py).
_AGENCY_ENTERPRISE: Prepared[Agent] = Prepared(
    lambda: (
        _live(
            Agent.objects.filter(user=Param("user", User._meta.pk), enterprise__uscc=Param("uscc")),
            _today_param(),
        )
        .select_related("enterprise")
        .order_by("pk")[:1]
    )
)


def user_is_agent_of_id(*, user: User, enterprise_id: int) -> bool:
    """Whether ``user`` may act today for the enterprise with this primary key."""
    if not _signed_in(user):
        return False
    return bool(
        _AGENCY_OF_ID.all(user=user.pk, enterprise=enterprise_id, today=timezone.localdate())
    )


#: Every access check of an enterprise's case by its agent: compiled once (core/prepared.py).
_AGENCY_OF_ID = PreparedRows(
    lambda: _live(
        Agent.objects.filter(
            user=Param("user", User._meta.pk),
            enterprise_id=Param("enterprise", Enterprise._meta.pk),
        ),
        _today_param(),
    ).values_list("pk")[:1]
)


#: The attribute of a request's user object that holds its memo (see ``user_memo_start``).
_MEMO = "_tongban_identity_memo"


def user_memo_start(*, user: User) -> None:
    """Remember the staff post and roles of ``user`` for as long as this object lives.

    Called by the API's authentication on the user object it made for one request: a case
    step asks "which post, which roles?" four or five times (access, the task's checks, the
    answer), and the answer cannot change within the request. Objects that live longer
    (a test's, a management command's) are not memoised, so a change of post is seen at once.
    """
    memo: dict[str, Any] = {}
    # A user read with its post joined (the bearer token's query) needs no second read.
    if User.staff_profile.is_cached(user):
        memo["staff"] = getattr(user, "staff_profile", None)
    setattr(user, _MEMO, memo)


def _memo(user: User) -> dict[str, Any] | None:
    memo: dict[str, Any] | None = getattr(user, _MEMO, None)
    return memo


def user_staff(*, user: User) -> StaffProfile | None:
    """The staff post of ``user`` (with its department), or None for a non-staff account."""
    if not _signed_in(user):
        return None
    memo = _memo(user)
    if memo is not None and "staff" in memo:
        staff: StaffProfile | None = memo["staff"]
        return staff
    staff = StaffProfile.objects.select_related("department").filter(user=user).first()
    if memo is not None:
        memo["staff"] = staff
    return staff


def user_roles(*, user: User) -> list[str]:
    """The staff roles of ``user`` (StaffRole values), in the order StaffRole lists them."""
    if not _signed_in(user) or user_staff(user=user) is None:
        return []
    memo = _memo(user)
    if memo is not None and "roles" in memo:
        return list(memo["roles"])
    names = {name for (name,) in _ROLE_NAMES.all(user=user.pk)}
    roles = [role for role in StaffRole.values if role in names]
    if memo is not None:
        memo["roles"] = tuple(roles)
    return roles


#: A staff request's roles, compiled once (core/prepared.py).
_ROLE_NAMES = PreparedRows(
    lambda: Group.objects.filter(
        user=Param("user", User._meta.pk), name__in=StaffRole.values
    ).values_list("name")
)


def user_person(*, user_id: int | None) -> Person | None:
    """The person record of an account (None for an account without one, e.g. staff).

    Applications, sharing and documents read it on the case path: compiled once.
    """
    if user_id is None:
        return None
    return _PERSON_OF_USER.first(user=user_id)


_PERSON_OF_USER: Prepared[Person] = Prepared(
    lambda: Person.objects.filter(user=Param("user", User._meta.pk)).order_by("pk")[:1]
)
