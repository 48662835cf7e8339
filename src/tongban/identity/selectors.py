"""Reads about who a user is: the enterprises they act for, their staff post and roles."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tongban.identity.choices import StaffRole
from tongban.identity.models import Agent, Enterprise, StaffProfile, User


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def _live_agencies(*, user: User) -> QuerySet[Agent]:
    today = timezone.localdate()
    return Agent.objects.filter(user=user, revoked=False).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


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


def user_is_agent_of_id(*, user: User, enterprise_id: int) -> bool:
    """Whether ``user`` may act today for the enterprise with this primary key."""
    if not _signed_in(user):
        return False
    return _live_agencies(user=user).filter(enterprise_id=enterprise_id).exists()


def user_staff(*, user: User) -> StaffProfile | None:
    """The staff post of ``user`` (with its department), or None for a non-staff account."""
    if not _signed_in(user):
        return None
    return StaffProfile.objects.select_related("department").filter(user=user).first()


def user_roles(*, user: User) -> list[str]:
    """The staff roles of ``user`` (StaffRole values), in the order StaffRole lists them."""
    if not _signed_in(user) or user_staff(user=user) is None:
        return []
    names = set(user.groups.filter(name__in=StaffRole.values).values_list("name", flat=True))
    return [role for role in StaffRole.values if role in names]
