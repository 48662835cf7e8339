"""``tongban identity sandbox --port 8020``: the development unified identity provider.

A small OpenID Connect provider (tongban.sandbox.identity_provider) with the demo people
and the demo agent to choose from; the portal uses it when OIDC_ISSUER points at it
(scripts/run-dev does so for `make run`).  Refused in production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tongban.sandbox import identity_provider


class Command(BaseCommand):
    help = "Unified identity: run the sandbox OpenID Connect provider (development and tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        sandbox = actions.add_parser("sandbox", help="run the sandbox OpenID Connect provider")
        sandbox.add_argument("--host", default="127.0.0.1")
        sandbox.add_argument("--port", type=int, default=8020, help="0 picks a free port")
        sandbox.add_argument("--public-url", default="", help="the issuer URL browsers use")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(_("沙箱统一身份认证服务不能在生产环境中运行"))
        if not (settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET):
            raise CommandError(_("未设置 OIDC_CLIENT_ID 或 OIDC_CLIENT_SECRET"))
        if not 0 <= options["port"] <= 65535:
            raise CommandError(_("端口必须在 0 到 65535 之间"))
        try:
            identity_provider.serve(
                host=options["host"],
                port=options["port"],
                client_id=settings.OIDC_CLIENT_ID,
                client_secret=settings.OIDC_CLIENT_SECRET,
                public_url=options["public_url"],
            )
        except OSError as exc:
            raise CommandError(
                _("沙箱统一身份认证服务无法启动：%(error)s") % {"error": exc}
            ) from exc
