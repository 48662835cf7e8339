"""``tongban keys rotate`` starts a new certificate signing key; ``tongban keys list``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.certificates.models import SigningKey
from tongban.certificates.services import keys_rotate


class Command(BaseCommand):
    help = "Certificate signing keys: `rotate` starts a new key (old ones keep verifying); `list`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("rotate", help="retire the active key and start a new one")
        actions.add_parser("list", help="list signing keys, newest first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate":
            key = keys_rotate()
            self.stdout.write(_("新的签名密钥：%(kid)s") % {"kid": key.key_id})
            self.stdout.write(key.key_id)
            return
        keys = list(SigningKey.objects.order_by("-created_at", "-id"))
        if not keys:
            self.stdout.write(_("尚无签名密钥（首次签发证照时自动创建）"))
            return
        for key in keys:
            state = _("当前") if key.active else _("已停用")
            retired = (
                timezone.localtime(key.retired_at).strftime("%Y-%m-%d %H:%M")
                if key.retired_at
                else "-"
            )
            created = timezone.localtime(key.created_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"{key.key_id}\t{state}\t{created}\t{retired}\t{key.public_key}")
