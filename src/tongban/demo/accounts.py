"""The demo accounts of CONTRACT.md; a production start refuses to run with any present."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password

from tongban.catalog.models import Department

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (published demo credential, refused in production)
DEMO_PASSWORD_HINT = "password demo-pass-2026"  # noqa: S105

DEPARTMENT_ROLE_SUFFIXES = ("clerk", "reviewer", "approver", "supervisor")
FIXED_USERNAMES = ("citizen", "citizen2", "agent", "admin")
#: More window clerks of the center (besides center-clerk), staffing the demo center's windows.
CENTER_CLERKS = ("center-clerk2", "center-clerk3")


def demo_usernames(department_codes: list[str]) -> list[str]:
    names = list(FIXED_USERNAMES) + list(CENTER_CLERKS)
    for code in department_codes:
        names.extend(f"{code}-{suffix}" for suffix in DEPARTMENT_ROLE_SUFFIXES)
    return names


def demo_usernames_present() -> list[str]:
    """Demo usernames that exist and still accept the demo password."""
    user_model = get_user_model()
    wanted = demo_usernames(list(Department.objects.values_list("code", flat=True)))
    rows = user_model.objects.filter(username__in=wanted, is_active=True).values_list(
        "username", "password"
    )
    # Hashing is slow on purpose; check each distinct stored hash once, not every account.
    verdicts: dict[str, bool] = {}
    present = []
    for username, encoded in rows:
        if encoded not in verdicts:
            verdicts[encoded] = check_password(DEMO_PASSWORD, encoded)
        if verdicts[encoded]:
            present.append(username)
    return sorted(present)


def demo_accounts_problems() -> list[str]:
    """The production check the demo app registers: demo accounts are a published door."""
    present = demo_usernames_present()
    if not present:
        return []
    return [
        "数据库中存在演示账号，生产环境拒绝启动 / demo accounts present "
        f"({DEMO_PASSWORD_HINT}): {', '.join(present[:5])}" + (" …" if len(present) > 5 else "")
    ]
