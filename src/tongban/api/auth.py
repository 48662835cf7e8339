"""Bearer-token and session authentication for the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from tongban.identity.services import api_token_user


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token=token)
        if user is None:
            return None
        request.user = user
        return user


class SessionUserAuth(SessionAuth):
    """The Django session of the web pages (CSRF-protected)."""


#: Endpoints that need a signed-in caller accept either a bearer token or a session.
signed_in = [BearerAuth(), SessionUserAuth()]
