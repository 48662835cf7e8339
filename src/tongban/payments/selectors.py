"""Reads of payment orders; each takes the acting user, so access control cannot be skipped."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tongban.cases.models import Case
from tongban.cases.selectors import user_may_see_case
from tongban.core.errors import NotFound
from tongban.identity.models import User
from tongban.payments.models import PaymentCallback, PaymentOrder


def payment_order_for_case(*, user: User, case: Case) -> PaymentOrder | None:
    """The case's latest order, for someone who may see the case (else NotFound)."""
    if not user_may_see_case(user=user, case=case):
        raise NotFound(_("办件不存在"))
    return PaymentOrder.objects.filter(case=case).order_by("-created_at", "-id").first()


def payment_orders_for_case(*, user: User, case: Case) -> QuerySet[PaymentOrder]:
    """Every order of the case, newest first (a failed payment leaves its order behind)."""
    if not user_may_see_case(user=user, case=case):
        raise NotFound(_("办件不存在"))
    return PaymentOrder.objects.filter(case=case).order_by("-created_at", "-id")


def payment_callbacks_for_order(*, order: PaymentOrder) -> QuerySet[PaymentCallback]:
    """The callbacks received for an order (staff audit), newest first."""
    return PaymentCallback.objects.filter(order=order).order_by("-received_at", "-id")
