"""Sign-in through the city's unified identity (统一身份认证, OpenID Connect).

``/login/oidc/`` sends the browser to the provider; ``/login/oidc/callback/`` checks the
answer (identity.oidc), finds or creates the account (identity.services) and signs in.
Every refusal is a page saying why, with nothing created or changed.  Sign-out also ends
the provider's session when it offers RP-initiated logout.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tongban.core.errors import DomainError
from tongban.identity import oidc
from tongban.identity.services import oidc_user_resolve

logger = logging.getLogger(__name__)

#: The backend recorded in the session of an OIDC sign-in (the account has no password).
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refused(
    request: HttpRequest, error: oidc.OidcError | DomainError, status: int
) -> HttpResponse:
    return render(
        request,
        "registration/oidc_error.html",
        {"detail": error.detail, "kind": getattr(error, "kind", "claims")},
        status=status,
    )


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


@never_cache
@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not oidc.oidc_enabled():
        return redirect("portal:login")
    try:
        url = oidc.authorization_url(
            session=request.session,
            redirect_uri=request.build_absolute_uri(reverse("portal:oidc_callback")),
            next_url=_safe_next(request, request.GET.get("next", "")),
        )
    except oidc.OidcError as exc:
        logger.warning("unified identity sign-in refused: %s", exc)
        return _refused(request, exc, exc.status)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.oidc_enabled():
        return redirect("portal:login")
    params = {k: request.GET.get(k, "") for k in ("state", "code", "error")}
    if any("\x00" in v or len(v) > 2000 for v in params.values()):
        return _refused(request, oidc.OidcError("malformed", _("登录回调参数无效")), 400)
    try:
        claims, id_token, next_url = oidc.authorization_finish(
            session=request.session,
            params=params,
            redirect_uri=request.build_absolute_uri(reverse("portal:oidc_callback")),
        )
        user = oidc_user_resolve(claims=claims)
    except oidc.OidcError as exc:
        logger.warning("unified identity sign-in refused: %s", exc)
        return _refused(request, exc, exc.status)
    except DomainError as exc:
        logger.warning("unified identity sign-in refused: %s", exc)
        return _refused(request, exc, exc.status)
    login(request, user, backend=SESSION_BACKEND)
    request.session[oidc.ID_TOKEN_KEY] = id_token
    return redirect(_safe_next(request, next_url))


class PortalLogoutView(auth_views.LogoutView):
    """Sign out; after a unified-identity sign-in, the provider's session ends too."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        id_token = request.session.get(oidc.ID_TOKEN_KEY, "")
        response = super().post(request, *args, **kwargs)
        if id_token and oidc.oidc_enabled():
            url = oidc.end_session_url(
                id_token=id_token,
                post_logout_redirect_uri=request.build_absolute_uri(
                    reverse(settings.LOGOUT_REDIRECT_URL)
                ),
            )
            if url:
                return HttpResponseRedirect(url)
        return response
