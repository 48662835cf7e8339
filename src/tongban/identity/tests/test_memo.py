"""A request's staff post and roles are read once, and never outlive the request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tongban.identity import selectors, services
from tongban.identity.choices import StaffRole
from tongban.identity.models import StaffProfile, User

pytestmark = pytest.mark.django_db


def test_a_memoised_user_reads_post_and_roles_once(
    clerk: User, django_assert_num_queries: Any
) -> None:
    user = User.objects.get(pk=clerk.pk)
    selectors.user_memo_start(user=user)
    with django_assert_num_queries(2):  # the post, then the roles
        for _ in range(3):
            assert selectors.user_staff(user=user) is not None
            assert selectors.user_roles(user=user) == [StaffRole.CLERK]
    # The memo hands out copies: a caller changing its list changes nothing.
    selectors.user_roles(user=user).append("x")
    assert selectors.user_roles(user=user) == [StaffRole.CLERK]


def test_the_bearer_token_brings_the_post_with_the_user(
    clerk: User, applicant: User, django_assert_num_queries: Any
) -> None:
    staff_token, _expires = services.api_token_create_for(user=clerk)
    citizen_token, _expires = services.api_token_create_for(user=applicant)
    with django_assert_num_queries(2):  # one query per token: user, post and department
        user = services.api_token_user(token=staff_token)
        citizen = services.api_token_user(token=citizen_token)
        assert user is not None and citizen is not None
        selectors.user_memo_start(user=user)
        selectors.user_memo_start(user=citizen)
        post = selectors.user_staff(user=user)
        assert post is not None and post.department.code == "market"
        assert selectors.user_staff(user=citizen) is None


def test_without_the_memo_a_change_of_post_is_seen_at_once(clerk: User) -> None:
    assert selectors.user_staff(user=clerk) is not None
    StaffProfile.objects.filter(user=clerk).delete()
    assert selectors.user_staff(user=clerk) is None
    assert selectors.user_roles(user=clerk) == []


def test_a_role_taken_away_is_gone_on_the_next_request(
    api_client: Client, bearer: Callable[[User], dict[str, str]], clerk: User
) -> None:
    headers = bearer(clerk)
    assert api_client.get("/api/v1/me", **headers).json()["staff"]["roles"] == [StaffRole.CLERK]
    clerk.groups.remove(Group.objects.get(name=StaffRole.CLERK))
    # Each request authenticates a new user object: nothing is remembered from the last one.
    assert api_client.get("/api/v1/me", **headers).json()["staff"]["roles"] == []
    StaffProfile.objects.filter(user=clerk).delete()
    assert api_client.get("/api/v1/me", **headers).json()["staff"] is None
