"""A citizen's own space: the cases they follow, the licences they hold, the notices they got.

Everything here is read for the signed-in person and the enterprises they are a live agent of,
exactly as the case pages decide who an applicant is (``case_list_for_applicant``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import FINAL_STATUSES, CaseStatus, NotificationStatus
from tongban.cases.models import Case, Notification
from tongban.cases.selectors import case_list_for_applicant
from tongban.catalog.models import CertificateType, localized
from tongban.certificates.models import Certificate
from tongban.certificates.services import certificate_status
from tongban.core.errors import FieldError, ValidationFailed
from tongban.exchange.choices import LicenceSource, LicenceStatus
from tongban.exchange.models import ELicence
from tongban.identity import selectors as identity_selectors
from tongban.identity.models import Person, User

#: The groups 我的办件 filters by, beside single statuses.
CASE_GROUPS = {
    "open": lambda: Q(status__in=[s for s in CaseStatus.values if s not in FINAL_STATUSES]),
    "action": lambda: Q(status__in=[CaseStatus.DRAFT, CaseStatus.SUPPLEMENT_REQUIRED]),
    "done": lambda: Q(status__in=list(FINAL_STATUSES)),
}
MAX_QUERY = 100


def my_cases(*, user: User, show: str = "", query: str = "") -> QuerySet[Case]:
    """The caller's cases: ``show`` a group (open/action/done) or a status; ``query`` words of
    the matter's or theme's name or the case number."""
    query = query.strip()
    problems = []
    if show and show not in CASE_GROUPS and show not in CaseStatus.values:
        problems.append(FieldError(field="show", message=_("没有这个筛选条件")))
    if len(query) > MAX_QUERY:
        problems.append(
            FieldError(field="q", message=_("关键词最多 %(n)s 个字") % {"n": MAX_QUERY})
        )
    if problems:
        raise ValidationFailed(_("筛选条件有误"), errors=problems)
    cases = case_list_for_applicant(user=user)
    if show in CASE_GROUPS:
        cases = cases.filter(CASE_GROUPS[show]())
    elif show:
        cases = cases.filter(status=show)
    if query:
        cases = cases.filter(
            Q(case_no__icontains=query)
            | Q(matter__name__icontains=query)
            | Q(matter__name_en__icontains=query)
            | Q(theme__name__icontains=query)
            | Q(theme__name_en__icontains=query)
        )
    return cases


@dataclass(frozen=True)
class HeldLicence:
    """One licence the person or their enterprise holds, from the e-licence library."""

    type_name: str
    number: str
    holder_name: str
    issuer: str
    issued_on: dt.date
    valid_until: dt.date | None
    #: valid | expired | revoked
    status: str
    status_label: str
    #: Issued here (signed, with a PDF and public verification) or imported from before.
    issued_here: bool
    case_id: int | None


def holder_subjects(*, user: User) -> list[str]:
    """The identifiers the caller holds licences under: their ID number, their enterprises'."""
    subjects = list(Person.objects.filter(user=user).values_list("id_number", flat=True))
    subjects += [e.uscc for e in identity_selectors.user_enterprises(user=user)]
    return subjects


def _status_label(status: str) -> str:
    if status == "expired":
        return _("已过期")
    return str(LicenceStatus(status).label)


def my_licences(*, user: User, today: dt.date | None = None) -> list[HeldLicence]:
    """Every licence the caller holds (as a person and through their enterprises), newest first."""
    subjects = holder_subjects(user=user)
    if not subjects:
        return []
    today = today or timezone.localdate()
    rows = list(
        ELicence.objects.filter(holder_subject__in=subjects)
        .select_related("issuer")
        .order_by("-issued_on", "-id")
    )
    issued = {
        c.number: c
        for c in Certificate.objects.filter(number__in=[r.number for r in rows]).select_related(
            "case"
        )
    }
    types = {
        t.code: t for t in CertificateType.objects.filter(code__in={r.licence_type for r in rows})
    }
    held = []
    for row in rows:
        certificate = issued.get(row.number) if row.source == LicenceSource.ISSUED else None
        if certificate is not None:
            status = certificate_status(certificate, today=today)
        elif row.status == LicenceStatus.VALID and row.valid_until and row.valid_until < today:
            status = "expired"
        else:
            status = row.status
        kind = types.get(row.licence_type)
        held.append(
            HeldLicence(
                type_name=localized(kind, "name") if kind else row.licence_type,
                number=row.number,
                holder_name=row.holder_name,
                issuer=localized(row.issuer, "name"),
                issued_on=row.issued_on,
                valid_until=row.valid_until,
                status=status,
                status_label=_status_label(status),
                issued_here=certificate is not None,
                case_id=certificate.case_id if certificate is not None else None,
            )
        )
    return held


def my_notifications(*, user: User) -> QuerySet[Notification]:
    """The notices sent about the caller's cases, newest first (a notice sent within another
    is read there)."""
    cases = case_list_for_applicant(user=user).values("pk")
    return (
        Notification.objects.filter(case__in=cases)
        .exclude(status=NotificationStatus.MERGED)
        .select_related("case")
        .order_by("-created_at", "-id")
    )
