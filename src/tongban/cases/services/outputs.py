"""The results of an approved case (只跑一次): payment, e-certificate, delivery, visits.

The chain after a positive decision is: the fee is paid (if the matter has one),
the certificate is issued (``issued``), and the paper licence reaches the
applicant — at once for an e-certificate only, when the parcel is delivered for
post, when a clerk confirms the pick-up at the window.  Every function runs in
the caller's transaction with the case row locked, writes the public timeline
and queues the applicant's notifications.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import CaseStatus, NotificationEvent, TimelineAction
from tongban.cases.models import Case, CaseMaterial, VisitKind
from tongban.cases.rules import (
    PAYMENT_AT_ACCEPT,
    PAYMENT_AT_DECIDE,
    acts_for_applicant,
    case_certificate_type_code,
    case_deferred_materials,
    case_fee,
    case_payment_step,
    is_applicant,
    is_theme_parent,
    theme_child_issue_withheld,
)
from tongban.cases.services.common import case_lock, status_refused, timeline_add
from tongban.cases.services.deferral import case_issue_held
from tongban.cases.services.notifications import notify_applicant, notify_applicant_events
from tongban.cases.services.themes import theme_child_refresh
from tongban.cases.services.visits import visit_record
from tongban.certificates.models import Certificate
from tongban.certificates.pdf import verify_url
from tongban.certificates.services import certificate_issue
from tongban.core.errors import (
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.core.prepared import Param, Prepared
from tongban.delivery.choices import DeliveryMethod
from tongban.delivery.hooks import ParcelDelivered
from tongban.delivery.models import DeliveryOrder
from tongban.delivery.selectors import carrier_name
from tongban.delivery.services import delivery_address_clean, delivery_order_create
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.payments.choices import PaymentStatus, failure_reason
from tongban.payments.hooks import OrderFailed, OrderPaid
from tongban.payments.models import PaymentOrder
from tongban.payments.services import (
    PaymentProviderUnavailable,
    payment_order_create,
)

logger = logging.getLogger(__name__)

#: Statuses in which a fee may be paid when the process asks for payment at acceptance.
PAYABLE_AFTER_ACCEPT = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.UNDER_REVIEW,
        CaseStatus.SUPPLEMENT_REQUIRED,
        CaseStatus.APPROVED,
    }
)
#: Statuses in which the applicant may still choose how the licence reaches them.
DELIVERY_CHOOSABLE = frozenset(
    {
        CaseStatus.DRAFT,
        CaseStatus.SUBMITTED,
        CaseStatus.ACCEPTED,
        CaseStatus.SUPPLEMENT_REQUIRED,
        CaseStatus.UNDER_REVIEW,
        CaseStatus.APPROVED,
    }
)


# --- small helpers ---------------------------------------------------------------------------


def _timeline(
    case: Case,
    *,
    at: datetime,
    action: str,
    step: str,
    comment: str = "",
    actor: User | None = None,
    by_applicant: bool = False,
) -> None:
    timeline_add(
        case,
        at=at,
        action=action,
        step=step,
        comment=comment,
        actor=actor,
        # The applicant's own steps are not the department's.
        department=None if by_applicant else case.department,
    )


def _paid(case: Case) -> bool:
    return PaymentOrder.objects.filter(case=case, status=PaymentStatus.PAID).exists()


# --- payment ---------------------------------------------------------------------------------


def _payment_order_open(case: Case, *, now: datetime, events: list[str]) -> None:
    """Create (or find) the case's payment order and tell the applicant what to pay."""
    order = payment_order_create(case=case, amount=case_fee(case=case), now=now)
    _timeline(
        case,
        at=now,
        action=TimelineAction.PAYMENT_REQUIRED,
        step=_("待缴费"),
        comment=_("应缴金额 %(amount)s 元，缴款单号 %(no)s")
        % {"amount": order.amount, "no": order.order_no},
    )
    events.append(NotificationEvent.PAYMENT_REQUIRED)


def case_payment_on_accept(case: Case, *, now: datetime, events: list[str]) -> None:
    """At acceptance: a fee matter charging at ``accept`` gets its payment order now."""
    fee_due = case_fee(case=case) > 0 and case_payment_step(case=case) == PAYMENT_AT_ACCEPT
    if fee_due and not _paid(case):
        _payment_order_open(case, now=now, events=events)


def _saved_and_told(case: Case, *, now: datetime, events: list[str]) -> None:
    """Save a case a result moved on, tell its theme parent, and notify the applicant."""
    case.save()
    theme_child_refresh(child=case, now=now)
    notify_applicant_events(case=case, events=events)


def _payable_check(case: Case) -> None:
    if case_payment_step(case=case) == PAYMENT_AT_DECIDE:
        if case.status != CaseStatus.APPROVED:
            raise InvalidStateChange(_("该事项在准予许可后缴费，当前还不能缴费"))
    elif case.status not in PAYABLE_AFTER_ACCEPT:
        raise status_refused(case, _("缴费"))


@transaction.atomic
def case_payment_order(*, actor: User, case: Case) -> PaymentOrder:
    """The applicant asks to pay: the case's order, created when the case may pay now.

    An order created while the provider is down is kept (with no pay page yet), and the
    next request opens that same order rather than a second one.
    """
    case = case_lock(case)
    if not is_applicant(actor, case):
        raise PermissionDenied(_("只有申请人本人（或企业经办人）可以缴费"))
    return payment_order_create(
        case=case, amount=case_fee(case=case), before_create=lambda: _payable_check(case)
    )


def case_payment_request(*, actor: User, case: Case) -> PaymentOrder:
    """``case_payment_order`` for the API: an order the provider could not open is a 503."""
    order = case_payment_order(actor=actor, case=case)
    if order.status == PaymentStatus.PENDING and not order.pay_url:
        raise PaymentProviderUnavailable(_("支付渠道暂不可用，请稍后再试"))
    return order


def case_payment_confirmed(event: OrderPaid) -> None:
    """The case's fee is paid (a verified callback): record it and issue if already approved.

    The receiver of ``payments.hooks.order_paid``, in the transaction that marked it paid.
    """
    order, now = event.order, event.at
    if order.status != PaymentStatus.PAID:
        raise InvalidStateChange(_("缴款单尚未缴费成功"))
    case = case_lock(order.case)
    _timeline(
        case,
        at=now,
        action=TimelineAction.PAID,
        step=_("已缴费"),
        comment=_("缴款单号 %(no)s，金额 %(amount)s 元")
        % {"no": order.order_no, "amount": order.amount},
    )
    events: list[str] = []
    if case.status == CaseStatus.APPROVED:
        _issue(case, now=now, events=events)
    _saved_and_told(case, now=now, events=events)


def case_payment_failed(event: OrderFailed) -> None:
    """The applicant's payment failed: the case says why, and the applicant is told to pay again.

    The receiver of ``payments.hooks.order_failed``, in the transaction that marked it failed.
    """
    order, now = event.order, event.at
    case = case_lock(order.case)
    _timeline(
        case,
        at=now,
        action=TimelineAction.PAYMENT_FAILED,
        step=_("缴费失败"),
        comment=_("缴款单号 %(no)s：%(reason)s")
        % {"no": order.order_no, "reason": failure_reason(order.failure_code)},
    )
    notify_applicant(
        case=case,
        event=NotificationEvent.PAYMENT_FAILED,
        detail=_("原因：%(reason)s") % {"reason": failure_reason(order.failure_code)},
    )


# --- issuing ---------------------------------------------------------------------------------


def case_outputs_issue(case: Case, *, now: datetime, events: list[str]) -> None:
    """An approved case gets its results: waits for the fee, else issues and delivers.

    Called inside ``task_complete`` with the case locked; the caller saves the case
    and sends the notifications named in ``events``.
    """
    if case_fee(case=case) > 0 and not _paid(case):
        # Issuing waits for the payment (行政事业性收费 first, licence after).
        open_order = PaymentOrder.objects.filter(case=case, status=PaymentStatus.PENDING).exists()
        if open_order:
            _timeline(
                case,
                at=now,
                action=TimelineAction.PAYMENT_WAITING,
                step=_("待缴费"),
                comment=_("缴费后即出证"),
            )
        else:
            _payment_order_open(case, now=now, events=events)
        return
    _issue(case, now=now, events=events)


def _issue(case: Case, *, now: datetime, events: list[str]) -> None:
    if theme_child_issue_withheld(case=case):
        # 许可一证通: the item goes on the theme's one combined licence (cases.themes).
        return
    if case_issue_held(case, now=now):
        # 容缺受理: the licence waits for the deferred materials (the case stays approved).
        return
    certificate = None
    if case_certificate_type_code(case):
        certificate = certificate_issue(case=case, now=now)
    case.status = CaseStatus.ISSUED
    if certificate is None:
        # A matter without a certificate has nothing to issue or hand over.
        _complete(case, now=now, events=events)
        return
    _timeline(
        case,
        at=now,
        action=TimelineAction.ISSUED,
        step=_("已出证"),
        comment=_("电子证照编号 %(no)s") % {"no": certificate.number},
    )
    events.append(NotificationEvent.ISSUED)
    if case.delivery_method == DeliveryMethod.POST:
        _ship(case, now=now)
    elif case.delivery_method == DeliveryMethod.PICKUP:
        _timeline(
            case,
            at=now,
            action=TimelineAction.PICKUP_READY,
            step=_("待领取"),
            comment=_("请携带身份证件到窗口领取"),
        )
    else:
        # An e-certificate only: nothing to hand over, the case ends at once.
        _complete(case, now=now, events=events)


def _ship(case: Case, *, now: datetime) -> None:
    order = delivery_order_create(case=case, address=dict(case.delivery_address or {}), now=now)
    _timeline(
        case,
        at=now,
        action=TimelineAction.SHIPPED,
        step=_("已寄出（运单号%(no)s）") % {"no": order.tracking_no or "—"},
        comment=_("承运商：%(carrier)s") % {"carrier": carrier_name(order.carrier)},
    )


def _complete(case: Case, *, now: datetime, events: list[str]) -> None:
    case.status = CaseStatus.COMPLETED
    case.completed_at = now
    _timeline(case, at=now, action=TimelineAction.COMPLETED, step=_("办结"))
    events.append(NotificationEvent.COMPLETED)


def deferral_material_arrived(
    *, case: Case, material: CaseMaterial, actor: User | None, now: datetime
) -> None:
    """A deferred (容缺) material was uploaded: note it, and issue when none is outstanding.

    ``case`` is the caller's locked row; this saves it when issuing moves it on.
    """
    timeline_add(
        case,
        at=now,
        action=TimelineAction.DEFERRAL_RECEIVED,
        step=_("容缺材料已补交"),
        actor=actor,
        comment=material.name,
    )
    if case.status != CaseStatus.APPROVED or case_deferred_materials(case=case):
        return
    events: list[str] = []
    case_outputs_issue(case, now=now, events=events)
    _saved_and_told(case, now=now, events=events)


# --- delivery and pick-up --------------------------------------------------------------------


def case_delivery_confirmed(event: ParcelDelivered) -> None:
    """The carrier reports the licence delivered: the case is completed.

    The receiver of ``delivery.hooks.parcel_delivered``, in the transaction of the scan.
    """
    _case_delivered(case=event.order.case, now=event.at)


def _case_delivered(*, case: Case, now: datetime) -> Case:
    case = case_lock(case)
    if case.status == CaseStatus.COMPLETED:
        return case
    if case.status != CaseStatus.ISSUED or case.delivery_method != DeliveryMethod.POST:
        raise status_refused(case, _("确认签收"))
    _timeline(case, at=now, action=TimelineAction.DELIVERED, step=_("已签收"))
    events: list[str] = []
    _complete(case, now=now, events=events)
    _saved_and_told(case, now=now, events=events)
    return case


@transaction.atomic
def case_pickup_confirm(*, actor: User, case: Case, now: datetime | None = None) -> Case:
    """A window clerk of the case's department hands over the licence (one visit)."""
    case = case_lock(case)
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != case.department_id:
        raise NotFound(_("办件不存在"))
    if StaffRole.CLERK not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("只有窗口受理岗位可以确认领取"))
    if case.status != CaseStatus.ISSUED or case.delivery_method != DeliveryMethod.PICKUP:
        raise status_refused(case, _("确认领取"))
    return case_handed_over(case=case, actor=actor, now=now or timezone.now())


def case_handed_over(
    *, case: Case, actor: User, now: datetime, comment: str = "", note: str = ""
) -> Case:
    """The licence waiting for pick-up was handed over: one visit, the case completed.

    ``case`` is the caller's locked row, issued for pick-up; ``comment`` (the timeline's)
    and ``note`` (the visit's) say who collected it.
    """
    visit = visit_record(case=case, kind=VisitKind.PICKUP, actor=actor, now=now)
    if note:
        visit.note = note[:200]
        visit.save(update_fields=["note"])
    _timeline(
        case,
        at=now,
        action=TimelineAction.PICKED_UP,
        step=_("已领取"),
        actor=actor,
        comment=comment,
    )
    events: list[str] = []
    _complete(case, now=now, events=events)
    _saved_and_told(case, now=now, events=events)
    return case


def _method_label(method: str) -> str:
    return str(DeliveryMethod(method).label)


def delivery_post_switchable(case: Case) -> bool:
    """统一出件: a licence waiting at the output window may still be posted instead (递送)."""
    return case.status == CaseStatus.ISSUED and case.delivery_method == DeliveryMethod.PICKUP


@transaction.atomic
def case_delivery_choose(
    *, actor: User, case: Case, method: str, address: dict[str, Any] | None = None
) -> Case:
    """The applicant chooses e-certificate only, window pick-up or post (with an address).

    At the counter the window clerk records the walk-in's choice; a theme's choice holds
    for its matters that have not issued yet.
    """
    case = case_lock(case)
    if not acts_for_applicant(actor, case):
        raise PermissionDenied(_("只有申请人本人（或企业经办人）可以选择领证方式"))
    switch_to_post = delivery_post_switchable(case) and method == DeliveryMethod.POST
    if case.status not in DELIVERY_CHOOSABLE and not switch_to_post:
        raise status_refused(case, _("更改领证方式"))
    if method not in DeliveryMethod.values:
        raise ValidationFailed(
            _("领证方式无效"),
            errors=[
                FieldError(
                    field="method",
                    message=_("只能是：%(values)s")
                    % {
                        "values": "、".join(
                            f"{label}（{v}）" for v, label in DeliveryMethod.choices
                        )
                    },
                )
            ],
        )
    clean: dict[str, Any] = {}
    if method == DeliveryMethod.POST:
        if not isinstance(address, dict):
            raise ValidationFailed(
                _("请填写收件地址"),
                errors=[FieldError(field="address", message=_("快递寄送须填写收件地址"))],
            )
        clean = delivery_address_clean(address=address)
    case.delivery_method = method
    case.delivery_address = clean
    case.save(update_fields=["delivery_method", "delivery_address", "updated_at"])
    if is_theme_parent(case):
        Case.objects.filter(parent=case, status__in=DELIVERY_CHOOSABLE).update(
            delivery_method=method, delivery_address=clean
        )
    comment = _method_label(method)
    if clean:
        comment += _("：%(province)s%(city)s%(district)s") % {
            "province": clean.get("province", ""),
            "city": clean.get("city", ""),
            "district": clean.get("district", ""),
        }
    _timeline(
        case,
        at=timezone.now(),
        action=TimelineAction.DELIVERY_CHOSEN,
        step=_("选择领证方式"),
        comment=comment,
        actor=actor,
        by_applicant=True,
    )
    if switch_to_post:
        _ship(case, now=timezone.now())
    return case


# --- what the applicant and staff see --------------------------------------------------------


def certificate_verify_url(number: str) -> str:
    """The public verification page of a certificate (what its QR code opens)."""
    return verify_url(number)


def certificate_pdf_url(number: str) -> str:
    return f"/api/v1/certificates/{quote(number)}/pdf"


#: Every answer about a decided case lists its results: compiled once (core/prepared.py).
_CERTIFICATES: Prepared[Certificate] = Prepared(
    lambda: (
        Certificate.objects.filter(case_id=Param("case", Case._meta.pk))
        .select_related("certificate_type")
        .order_by("issued_at", "id")
    )
)
_PAYMENT_LAST: Prepared[PaymentOrder] = Prepared(
    lambda: PaymentOrder.objects.filter(case_id=Param("case", Case._meta.pk)).order_by(
        "-created_at", "-id"
    )[:1]
)
_PARCEL: Prepared[DeliveryOrder] = Prepared(
    lambda: DeliveryOrder.objects.filter(case_id=Param("case", Case._meta.pk)).order_by(
        *(DeliveryOrder._meta.ordering or ["pk"])
    )[:1]
)


def case_outputs_summary(*, case: Case) -> dict[str, Any]:
    """Certificates, payment and delivery of a case, as the API and the pages show them.

    A matter's case that is still a draft or waits for acceptance has none of them (the
    payment order comes at acceptance at the earliest), and one not decided yet has no
    certificate or parcel (they come with the approval): they are not looked up.
    """
    draft = (
        case.matter_id is not None
        and case.status in (CaseStatus.DRAFT, CaseStatus.SUBMITTED)
        and case.accepted_at is None
        and case.decided_at is None
    )
    undecided = case.matter_id is not None and case.decided_at is None
    certificates = [
        {
            "number": c.number,
            "type": c.certificate_type.name,
            "status": c.status,
            "status_label": c.get_status_display(),
            "issued_at": c.issued_at,
            "valid_until": c.valid_until,
            "pdf_url": certificate_pdf_url(c.number),
            "verify_url": certificate_verify_url(c.number),
        }
        for c in ([] if undecided else _CERTIFICATES.all(case=case.pk))
    ]
    order = None if draft else _PAYMENT_LAST.first(case=case.pk)
    payment = (
        {
            "order_no": order.order_no,
            "amount": str(order.amount),
            "status": order.status,
            "status_label": order.get_status_display(),
            "pay_url": order.pay_url,
            "paid_at": order.paid_at,
            # A failed payment says why, in the payer's words (the page offers to pay again).
            "failure_reason": (
                failure_reason(order.failure_code) if order.status == PaymentStatus.FAILED else ""
            ),
        }
        if order is not None
        else None
    )
    parcel = None if undecided else _PARCEL.first(case=case.pk)
    delivery: dict[str, Any] = {
        "method": case.delivery_method,
        "method_label": _method_label(case.delivery_method),
        "status": parcel.status if parcel is not None else None,
        "status_label": parcel.get_status_display() if parcel is not None else None,
        "carrier": parcel.carrier if parcel is not None else None,
        "carrier_name": carrier_name(parcel.carrier) if parcel is not None else None,
        "tracking_no": parcel.tracking_no if parcel is not None else None,
        "address": dict(case.delivery_address or {}),
        "events": [
            {
                "at": e.at,
                "status": e.status,
                "status_label": e.get_status_display(),
                "location": e.location,
                "note": e.note,
            }
            for e in parcel.events.order_by("at", "id")
        ]
        if parcel is not None
        else [],
    }
    return {
        "certificates": certificates,
        "payment": payment,
        "delivery": delivery,
        "fee": str(case_fee(case=case)),
        "visit_count": case.visit_count,
    }
