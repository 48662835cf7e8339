"""``tongban verify-audit``: check the hash chain of the data-sharing access log."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from tongban.exchange.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the exchange access log; exit 1 when it is broken."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(_("正在校验数据访问日志的哈希链……"))

        def progress(checked: int) -> None:
            self.stdout.write(_("已校验 %(n)s 条") % {"n": checked})

        verdict = audit_verify(progress=progress)
        if not verdict.ok:
            self.stderr.write(_("审计链已被破坏：%(reason)s") % {"reason": verdict.reason})
            sys.exit(1)
        self.stdout.write(_("审计链完整：共 %(n)s 条记录") % {"n": verdict.checked})
