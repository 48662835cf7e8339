"""``tongban payments sandbox --port 8010``: the payments command plus the sandbox gateway.

It replaces the payments app's ``payments`` command (tongban.sandbox comes first in
INSTALLED_APPS), so ``tongban payments reconcile`` works unchanged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tongban.payments.management.commands import payments
from tongban.sandbox import payment_gateway


class Command(payments.Command):
    help = "Payments: run the sandbox gateway, or reconcile one day with the provider."

    def add_actions(self, actions: Any) -> None:
        sandbox = actions.add_parser("sandbox", help="run the sandbox payment gateway")
        sandbox.add_argument("--host", default="127.0.0.1")
        sandbox.add_argument("--port", type=int, default=8010, help="0 picks a free port")
        sandbox.add_argument("--public-url", default="", help="URL the payer's browser uses")
        super().add_actions(actions)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "sandbox":
            super().handle(*args, **options)
            return
        secret = settings.PAYMENT_SANDBOX_SECRET
        if not secret:
            raise CommandError(_("未设置 PAYMENT_SANDBOX_SECRET"))
        if not 0 <= options["port"] <= 65535:
            raise CommandError(_("端口必须在 0 到 65535 之间"))
        try:
            payment_gateway.serve(
                host=options["host"],
                port=options["port"],
                secret=secret,
                public_url=options["public_url"],
            )
        except OSError as exc:
            raise CommandError(_("沙箱支付网关无法启动：%(error)s") % {"error": exc}) from exc
