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
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import CaseStatus
from tongban.cases.models import Case, TimelineEntry, Visit, VisitKind
from tongban.cases.notifications import notify_applicant
from tongban.core.errors import (
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.delivery.choices import DeliveryMethod
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import Enterprise, User

logger = logging.getLogger(__name__)

#: Process parameter naming the step at which the fee is charged.
PAYMENT_AT_PARAM = "payment_at"
PAYMENT_AT_ACCEPT = "accept"
PAYMENT_AT_DECIDE = "decide"
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


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("matter", "department")
        .get(pk=case.pk)
    )


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
    TimelineEntry.objects.create(
        case=case,
        at=at,
        action=action,
        step=step,
        comment=comment,
        actor=actor,
        # The applicant's own steps are not the department's.
        department=None if by_applicant else case.department,
        public=True,
    )


def _guide(case: Case) -> dict[str, Any]:
    guide = case.matter_version.guide if case.matter_version is not None else {}
    return guide if isinstance(guide, dict) else {}


def case_fee(*, case: Case) -> Decimal:
    """The fee of the case's matter version in yuan (0 when free or unreadable)."""
    try:
        fee = Decimal(str(_guide(case).get("fee") or "0"))
    except InvalidOperation:
        logger.warning("case %s: unreadable fee %r", case.pk, _guide(case).get("fee"))
        return Decimal("0")
    return fee if fee > 0 else Decimal("0")


def case_payment_at(*, case: Case) -> str:
    """The step at which a fee matter charges: ``accept`` (default) or ``decide``."""
    params = _guide(case).get("process_params") or {}
    value = params.get(PAYMENT_AT_PARAM) if isinstance(params, dict) else None
    return PAYMENT_AT_DECIDE if value == PAYMENT_AT_DECIDE else PAYMENT_AT_ACCEPT


def _paid(case: Case) -> bool:
    from tongban.payments.choices import PaymentStatus
    from tongban.payments.models import PaymentOrder

    return PaymentOrder.objects.filter(case=case, status=PaymentStatus.PAID).exists()


def _is_applicant(actor: User, case: Case) -> bool:
    if case.applicant_user_id == actor.pk:
        return True
    if case.applicant_enterprise_id is None:
        return False
    enterprise = Enterprise.objects.filter(pk=case.applicant_enterprise_id).first()
    return enterprise is not None and identity_selectors.user_is_agent_of(
        user=actor, uscc=enterprise.uscc
    )


def _status_refused(case: Case, action: str) -> InvalidStateChange:
    return InvalidStateChange(
        _("办件当前状态为“%(status)s”，不能%(action)s")
        % {"status": CaseStatus(case.status).label, "action": action}
    )


# --- payment ---------------------------------------------------------------------------------


def _payment_order_open(case: Case, *, now: datetime, events: list[str]) -> None:
    """Create (or find) the case's payment order and tell the applicant what to pay."""
    from tongban.payments.services import payment_order_create

    order = payment_order_create(case=case, now=now)
    _timeline(
        case,
        at=now,
        action="payment_required",
        step=_("待缴费"),
        comment=_("应缴金额 %(amount)s 元，缴款单号 %(no)s")
        % {"amount": order.amount, "no": order.order_no},
    )
    events.append("payment_required")


def case_payment_on_accept(case: Case, *, now: datetime, events: list[str]) -> None:
    """At acceptance: a fee matter charging at ``accept`` gets its payment order now."""
    fee_due = case_fee(case=case) > 0 and case_payment_at(case=case) == PAYMENT_AT_ACCEPT
    if fee_due and not _paid(case):
        _payment_order_open(case, now=now, events=events)


def case_payment_confirmed(*, case: Case, order: Any, now: datetime | None = None) -> Case:
    """The case's fee is paid (a verified callback): record it and issue if already approved."""
    from tongban.payments.choices import PaymentStatus

    if order.case_id != case.pk:
        raise NotFound(_("缴款单不存在"))
    if order.status != PaymentStatus.PAID:
        raise InvalidStateChange(_("缴款单尚未缴费成功"))
    case = _locked(case)
    now = now or timezone.now()
    _timeline(
        case,
        at=now,
        action="paid",
        step=_("已缴费"),
        comment=_("缴款单号 %(no)s，金额 %(amount)s 元")
        % {"no": order.order_no, "amount": order.amount},
    )
    events: list[str] = []
    if case.status == CaseStatus.APPROVED:
        _issue(case, now=now, events=events)
    case.save()
    _theme_child_refresh(case, now=now)
    for event in events:
        notify_applicant(case=case, event=event)
    return case


def _theme_child_refresh(case: Case, *, now: datetime) -> None:
    from tongban.cases.themes import theme_child_refresh

    theme_child_refresh(child=case, now=now)


# --- issuing ---------------------------------------------------------------------------------


def case_outputs_issue(case: Case, *, now: datetime, events: list[str]) -> None:
    """An approved case gets its results: waits for the fee, else issues and delivers.

    Called inside ``task_complete`` with the case locked; the caller saves the case
    and sends the notifications named in ``events``.
    """
    if case_fee(case=case) > 0 and not _paid(case):
        # Issuing waits for the payment (行政事业性收费 first, licence after).
        from tongban.payments.choices import PaymentStatus
        from tongban.payments.models import PaymentOrder

        open_order = PaymentOrder.objects.filter(case=case, status=PaymentStatus.PENDING).exists()
        if open_order:
            _timeline(
                case,
                at=now,
                action="payment_waiting",
                step=_("待缴费"),
                comment=_("缴费后即出证"),
            )
        else:
            _payment_order_open(case, now=now, events=events)
        return
    _issue(case, now=now, events=events)


def _issues_certificate(case: Case) -> bool:
    return bool(_guide(case).get("certificate_type"))


def _issue(case: Case, *, now: datetime, events: list[str]) -> None:
    from tongban.cases.themes import theme_child_issue_withheld

    if theme_child_issue_withheld(case=case):
        # 许可一证通: the item goes on the theme's one combined licence (cases.themes).
        return
    from tongban.cases.deferral import case_issue_held

    if case_issue_held(case, now=now):
        # 容缺受理: the licence waits for the deferred materials (the case stays approved).
        return
    certificate = None
    if _issues_certificate(case):
        from tongban.certificates.services import certificate_issue

        certificate = certificate_issue(case=case, now=now)
    case.status = CaseStatus.ISSUED
    if certificate is None:
        # A matter without a certificate has nothing to issue or hand over.
        _complete(case, now=now, events=events)
        return
    _timeline(
        case,
        at=now,
        action="issued",
        step=_("已出证"),
        comment=_("电子证照编号 %(no)s") % {"no": certificate.number},
    )
    events.append("issued")
    if case.delivery_method == DeliveryMethod.POST:
        _ship(case, now=now)
    elif case.delivery_method == DeliveryMethod.PICKUP:
        _timeline(
            case,
            at=now,
            action="pickup_ready",
            step=_("待领取"),
            comment=_("请携带身份证件到窗口领取"),
        )
    else:
        # An e-certificate only: nothing to hand over, the case ends at once.
        _complete(case, now=now, events=events)


def _ship(case: Case, *, now: datetime) -> None:
    from tongban.delivery.services import delivery_order_create

    order = delivery_order_create(case=case, address=dict(case.delivery_address or {}), now=now)
    _timeline(
        case,
        at=now,
        action="shipped",
        step=_("已寄出（运单号%(no)s）") % {"no": order.tracking_no or "—"},
        comment=_("承运商：%(carrier)s") % {"carrier": _carrier_name(order.carrier)},
    )


def _carrier_name(code: str) -> str:
    from tongban.delivery.carriers.base import carrier_get

    try:
        return str(getattr(carrier_get(code), "name", code))
    except ImproperlyConfigured:  # a carrier no longer configured (an old parcel): its code
        return code


def _complete(case: Case, *, now: datetime, events: list[str]) -> None:
    case.status = CaseStatus.COMPLETED
    case.completed_at = now
    _timeline(case, at=now, action="completed", step=_("办结"))
    events.append("completed")


# --- delivery and pick-up --------------------------------------------------------------------


def case_delivery_confirmed(*, case: Case, now: datetime | None = None) -> Case:
    """The carrier reports the licence delivered: the case is completed."""
    case = _locked(case)
    if case.status == CaseStatus.COMPLETED:
        return case
    if case.status != CaseStatus.ISSUED or case.delivery_method != DeliveryMethod.POST:
        raise _status_refused(case, _("确认签收"))
    now = now or timezone.now()
    _timeline(case, at=now, action="delivered", step=_("已签收"))
    events: list[str] = []
    _complete(case, now=now, events=events)
    case.save()
    _theme_child_refresh(case, now=now)
    for event in events:
        notify_applicant(case=case, event=event)
    return case


@transaction.atomic
def case_pickup_confirm(*, actor: User, case: Case, now: datetime | None = None) -> Case:
    """A window clerk of the case's department hands over the licence (one visit)."""
    case = _locked(case)
    profile = identity_selectors.user_staff(user=actor)
    if profile is None or profile.department_id != case.department_id:
        raise NotFound(_("办件不存在"))
    if StaffRole.CLERK not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("只有窗口受理岗位可以确认领取"))
    if case.status != CaseStatus.ISSUED or case.delivery_method != DeliveryMethod.PICKUP:
        raise _status_refused(case, _("确认领取"))
    now = now or timezone.now()
    visit_record(case=case, kind=VisitKind.PICKUP, actor=actor, now=now)
    _timeline(case, at=now, action="picked_up", step=_("已领取"), actor=actor)
    events: list[str] = []
    _complete(case, now=now, events=events)
    case.save()
    _theme_child_refresh(case, now=now)
    for event in events:
        notify_applicant(case=case, event=event)
    return case


def _method_label(method: str) -> str:
    return str(DeliveryMethod(method).label)


@transaction.atomic
def case_delivery_choose(
    *, actor: User, case: Case, method: str, address: dict[str, Any] | None = None
) -> Case:
    """The applicant chooses e-certificate only, window pick-up or post (with an address)."""
    case = _locked(case)
    if not _is_applicant(actor, case):
        raise PermissionDenied(_("只有申请人本人（或企业经办人）可以选择领证方式"))
    if case.status not in DELIVERY_CHOOSABLE:
        raise _status_refused(case, _("更改领证方式"))
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
        from tongban.delivery.services import delivery_address_clean

        if not isinstance(address, dict):
            raise ValidationFailed(
                _("请填写收件地址"),
                errors=[FieldError(field="address", message=_("快递寄送须填写收件地址"))],
            )
        clean = delivery_address_clean(address=address)
    case.delivery_method = method
    case.delivery_address = clean
    case.save(update_fields=["delivery_method", "delivery_address", "updated_at"])
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
        action="delivery_chosen",
        step=_("选择领证方式"),
        comment=comment,
        actor=actor,
        by_applicant=True,
    )
    return case


# --- visits ----------------------------------------------------------------------------------


def visit_record(
    *, case: Case, kind: str, actor: User | None = None, now: datetime | None = None
) -> Visit:
    """Record one in-person visit of the applicant for ``case`` and count it."""
    visit = Visit.objects.create(case=case, kind=kind, at=now or timezone.now(), recorded_by=actor)
    # An UPDATE with F() so two visits recorded at once both count; the caller's copy follows.
    Case.objects.filter(pk=case.pk).update(visit_count=F("visit_count") + 1)
    case.visit_count = Case.objects.values_list("visit_count", flat=True).get(pk=case.pk)
    return visit


# --- what the applicant and staff see --------------------------------------------------------


def certificate_verify_url(number: str) -> str:
    """The public verification page of a certificate (what its QR code opens)."""
    from tongban.certificates.pdf import verify_url

    return verify_url(number)


def certificate_pdf_url(number: str) -> str:
    return f"/api/v1/certificates/{quote(number)}/pdf"


def case_outputs_summary(*, case: Case) -> dict[str, Any]:
    """Certificates, payment and delivery of a case, as the API and the pages show them."""
    from tongban.certificates.models import Certificate
    from tongban.delivery.models import DeliveryOrder
    from tongban.payments.models import PaymentOrder

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
        for c in Certificate.objects.filter(case=case)
        .select_related("certificate_type")
        .order_by("issued_at", "id")
    ]
    order = PaymentOrder.objects.filter(case=case).order_by("-created_at", "-id").first()
    payment = (
        {
            "order_no": order.order_no,
            "amount": str(order.amount),
            "status": order.status,
            "status_label": order.get_status_display(),
            "pay_url": order.pay_url,
            "paid_at": order.paid_at,
        }
        if order is not None
        else None
    )
    parcel = DeliveryOrder.objects.filter(case=case).first()
    delivery: dict[str, Any] = {
        "method": case.delivery_method,
        "method_label": _method_label(case.delivery_method),
        "status": parcel.status if parcel is not None else None,
        "status_label": parcel.get_status_display() if parcel is not None else None,
        "carrier": parcel.carrier if parcel is not None else None,
        "carrier_name": _carrier_name(parcel.carrier) if parcel is not None else None,
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
        "fee": str(case_fee(case=case).quantize(Decimal("0.01"))),
        "visit_count": case.visit_count,
    }
