"""A production start refuses to run while a demo account still opens with the demo password."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tongban.catalog.services import department_upsert
from tongban.core.production import production_problems
from tongban.demo.accounts import DEMO_PASSWORD, demo_accounts_problems
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_clerk(db: None) -> User:
    department_upsert(code="market", name="市场监管局")
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        return User.objects.create_user(username="market-clerk", password=DEMO_PASSWORD)


def test_it_reports_a_demo_account_that_accepts_the_demo_password(demo_clerk: User) -> None:
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        problems = demo_accounts_problems()
    assert len(problems) == 1
    assert "market-clerk" in problems[0] and "demo-pass-2026" in problems[0]


def test_the_demo_app_registers_the_check_with_core(demo_clerk: User) -> None:
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        problems = production_problems()
    assert any("演示账号" in p and "market-clerk" in p for p in problems)


def test_a_demo_username_with_a_changed_password_is_not_refused(demo_clerk: User) -> None:
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        demo_clerk.set_password("a-password-only-the-district-knows")
        demo_clerk.save()
        assert demo_accounts_problems() == []


def test_an_ordinary_account_with_the_demo_password_is_not_a_demo_account(db: None) -> None:
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        User.objects.create_user(username="zhangsan", password=DEMO_PASSWORD)
        assert demo_accounts_problems() == []
