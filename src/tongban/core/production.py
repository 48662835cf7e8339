"""What makes a start unsafe for production."""

from __future__ import annotations

from django.conf import settings


def production_problems() -> list[str]:
    """Reasons this installation must not serve production traffic (empty when safe)."""
    from tongban.demo.accounts import DEMO_PASSWORD_HINT, demo_usernames_present

    problems: list[str] = []
    if settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY or len(settings.SECRET_KEY) < 32:
        problems.append(
            "SECRET_KEY 为默认值或过短（至少 32 个字符）/ SECRET_KEY is the default or too short"
        )
    present = demo_usernames_present()
    if present:
        problems.append(
            "数据库中存在演示账号，生产环境拒绝启动 / demo accounts present "
            f"({DEMO_PASSWORD_HINT}): {', '.join(present[:5])}" + (" …" if len(present) > 5 else "")
        )
    return problems
