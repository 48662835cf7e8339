from __future__ import annotations

from tongban.identity.models import User


def api_token_user(*, token: str) -> User | None:
    """The user a live bearer token belongs to, or None."""
    return None
