"""Bearer-token and session authentication for the API."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from tongban.identity.models import User
from tongban.identity.selectors import user_memo_start
from tongban.identity.services import api_token_user


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from ``POST /auth/token``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_user(token=token)
        if user is None:
            return None
        # This object lives for this request only: its post and roles are read once.
        user_memo_start(user=user)
        # Handlers and selectors read request.user whichever way the caller signed in.
        request.user = user
        return user


class SessionUserAuth(SessionAuth):
    """The Django session of the web pages (CSRF-protected for unsafe methods)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        if isinstance(user, User):
            user_memo_start(user=user)
        return user if isinstance(user, User) else None


#: Endpoints that need a signed-in caller accept either a bearer token or a session.
signed_in = [BearerAuth(), SessionUserAuth()]
