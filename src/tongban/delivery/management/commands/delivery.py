"""``tongban delivery advance [--all] [--order N]``: move sandbox parcels one step on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tongban.core.errors import DomainError
from tongban.delivery import selectors, services
from tongban.delivery.choices import DeliveryStatus
from tongban.delivery.models import DeliveryOrder


class Command(BaseCommand):
    help = "Delivery: `advance` moves sandbox parcels one step (揽收 → 运输 → 签收)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        advance = actions.add_parser("advance", help="move sandbox parcels one step on")
        advance.add_argument("--all", action="store_true", help="every open sandbox parcel")
        advance.add_argument("--order", type=int, help="the delivery order with this id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"] == (options["order"] is not None):
            raise CommandError(_("请指定 --all 或 --order N（二选一）"))
        if options["order"] is not None:
            order = DeliveryOrder.objects.filter(pk=options["order"]).first()
            if order is None:
                raise CommandError(_("递送单 %(id)s 不存在") % {"id": options["order"]})
            orders = [order]
        else:
            orders = list(selectors.delivery_orders_open(carrier="sandbox"))
        total = len(orders)
        moved = 0
        for index, order in enumerate(orders, start=1):
            try:
                order = services.delivery_advance(order=order)
            except DomainError as exc:
                if options["order"] is not None:
                    raise CommandError(str(exc.detail)) from exc
                self.stderr.write(f"[{index}/{total}] {order.tracking_no}: {exc.detail}")
                continue
            moved += 1
            self.stdout.write(
                f"[{index}/{total}] {order.tracking_no} → {DeliveryStatus(order.status).label}"
            )
        self.stdout.write(
            _("已推进邮件 %(moved)s 件（共 %(total)s 件）") % {"moved": moved, "total": total}
        )
