"""``tongban verify-audit``: check the access log's hash chain and its signed checkpoints."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.exchange.audit import (
    AuditVerdict,
    audit_checkpoint,
    audit_verify,
    checkpoint_digest,
    checkpoint_key_new,
    checkpoint_signing_key,
    key_id_of,
)
from tongban.exchange.models import AuditCheckpoint


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


class Command(BaseCommand):
    help = (
        "Verify the hash chain of the exchange access log and its signed checkpoints; say which "
        "rows are proven and which are not yet; exit 1 when it is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint", action="store_true", help="sign a checkpoint of the chain now first"
        )
        parser.add_argument(
            "--expect-checkpoint",
            metavar="N:DIGEST",
            help="a checkpoint recorded earlier outside the system (printed by this command): "
            "it must still be there, unchanged",
        )
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="print a new checkpoint key (for AUDIT_CHECKPOINT_KEY) and exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            seed, public = checkpoint_key_new()
            self.stdout.write(f"AUDIT_CHECKPOINT_KEY={seed}")
            self.stdout.write(_("公钥（供审计人员核对）：%(public)s") % {"public": public})
            return
        key_id = key_id_of(checkpoint_signing_key().public_key())
        self.stdout.write(_("检查点密钥：%(kid)s") % {"kid": key_id})
        if options["checkpoint"]:
            checkpoint = audit_checkpoint()
            self.stdout.write(
                _("已签署第 %(n)s 个检查点（覆盖至第 %(seq)s 条）")
                % {"n": checkpoint.number, "seq": checkpoint.seq}
            )
        self.stdout.write(_("正在校验数据访问日志的哈希链与签名检查点……"))

        def progress(checked: int) -> None:
            self.stdout.write(_("已校验 %(n)s 条") % {"n": checked})

        expect = None
        if options.get("expect_checkpoint"):
            number, _sep, digest = str(options["expect_checkpoint"]).partition(":")
            if not number.isdigit() or len(digest) != 64 or len(number) > 18:
                raise CommandError(_("--expect-checkpoint 的格式应为 编号:64位十六进制摘要"))
            expect = (int(number), digest)
        verdict = audit_verify(progress=progress, expect=expect)
        if not verdict.ok:
            self._proven(verdict)
            self.stderr.write(_("审计链已被破坏：%(reason)s") % {"reason": verdict.reason})
            sys.exit(1)
        self.stdout.write(_("审计链完整：共 %(n)s 条记录") % {"n": verdict.checked})
        self._proven(verdict)
        if verdict.unproven_from is not None:
            self.stdout.write(
                _(
                    "未经检查点证明：第 %(a)s–%(b)s 条（%(t1)s 至 %(t2)s），"
                    "尚无签名检查点覆盖：链本身完整，但不能排除被整体重算"
                )
                % {
                    "a": verdict.unproven_from,
                    "b": verdict.unproven_to,
                    "t1": _when(verdict.unproven_first_at),
                    "t2": _when(verdict.unproven_last_at),
                }
            )
        if verdict.warning:
            self.stdout.write(_("注意：%(warning)s") % {"warning": verdict.warning})
        latest = AuditCheckpoint.objects.order_by("-number").first()
        if latest is not None:
            self.stdout.write(
                _(
                    "最新检查点（请在系统之外留存，日后以 --expect-checkpoint 核对）："
                    "%(n)s:%(digest)s"
                )
                % {"n": latest.number, "digest": checkpoint_digest(latest)}
            )

    def _proven(self, verdict: AuditVerdict) -> None:
        if verdict.proven_seq:
            self.stdout.write(
                _(
                    "已由签名检查点证明：第 1–%(seq)s 条（截至 %(row_at)s，检查点签于 %(at)s；"
                    "共 %(n)s 个检查点）"
                )
                % {
                    "seq": verdict.proven_seq,
                    "row_at": _when(verdict.proven_row_at),
                    "at": _when(verdict.proven_signed_at),
                    "n": verdict.checkpoints,
                }
            )
        else:
            self.stdout.write(_("尚无签名检查点证明任何记录"))
