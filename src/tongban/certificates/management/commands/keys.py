"""``tongban keys rotate|revoke|list``: the certificate signing keys."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.certificates.models import SigningKey
from tongban.certificates.services import keys_revoke, keys_rotate
from tongban.certificates.signing import key_status
from tongban.core.errors import NotFound, ValidationFailed


class Command(BaseCommand):
    help = (
        "Certificate signing keys: `rotate` starts a new key (old ones keep verifying); "
        "`revoke KID --reason …` makes a key's signatures untrusted; `list`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        rotate = actions.add_parser("rotate", help="retire the active key and start a new one")
        rotate.add_argument(
            "--algorithm",
            choices=["ed25519", "sm2"],
            help="algorithm of the new key (default: CERTIFICATE_SIGNATURE_ALGORITHM)",
        )
        revoke = actions.add_parser("revoke", help="revoke a key: nothing it signed verifies")
        revoke.add_argument("key_id")
        revoke.add_argument("--reason", required=True)
        actions.add_parser("list", help="list signing keys, newest first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate":
            key = keys_rotate(algorithm=options.get("algorithm"))
            self.stdout.write(_("新的签名密钥：%(kid)s") % {"kid": key.key_id})
            self.stdout.write(key.key_id)
            return
        if options["action"] == "revoke":
            try:
                key = keys_revoke(key_id=options["key_id"], reason=options["reason"])
            except (NotFound, ValidationFailed) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(_("签名密钥 %(kid)s 已吊销") % {"kid": key.key_id})
            return
        keys = list(SigningKey.objects.order_by("-created_at", "-id"))
        if not keys:
            self.stdout.write(_("尚无签名密钥（首次签发证照时自动创建）"))
            return
        labels = {"active": _("当前"), "retired": _("已停用"), "revoked": _("已吊销")}
        for key in keys:
            retired = (
                timezone.localtime(key.retired_at).strftime("%Y-%m-%d %H:%M")
                if key.retired_at
                else "-"
            )
            created = timezone.localtime(key.created_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                f"{key.key_id}\t{key.algorithm}\t{labels[key_status(key)]}\t{created}\t"
                f"{retired}\t{key.public_key}"
            )
