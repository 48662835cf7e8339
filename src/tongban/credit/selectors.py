"""Reads of credit records: a subject's credit status today, and who may manage records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core.prepared import Param, Prepared
from tongban.credit.choices import LEVEL_ORDER, CreditLevel, CreditList
from tongban.credit.models import CreditRecord
from tongban.identity.choices import StaffRole
from tongban.identity.selectors import user_roles


@dataclass(frozen=True)
class CreditStatus:
    """What the credit records valid on one day say about a subject."""

    subject: str
    #: The worst valid level ("A".."D", D worst), "" when no valid record gives one.
    level: str = ""
    #: CreditList values (red / black / key_supervision) the subject is on.
    lists: set[str] = field(default_factory=set)
    #: On the black list: joint punishment (联合惩戒) applies.
    joint_punishment: bool = False
    records: list[CreditRecord] = field(default_factory=list)
    #: One Chinese sentence per valid record, for staff and refusal letters.
    reasons: list[str] = field(default_factory=list)
    #: Legal bases of the valid records (black list first), without repeats.
    legal_bases: list[str] = field(default_factory=list)

    @property
    def has_records(self) -> bool:
        return bool(self.records)


def subject_normalize(subject: str) -> str:
    return subject.strip().upper()


def credit_records_for(*, subject: str) -> QuerySet[CreditRecord]:
    """Every credit record of ``subject`` (valid, expired and ended), newest first."""
    return CreditRecord.objects.select_related("source").filter(subject=subject_normalize(subject))


def credit_records_valid_on(*, subject: str, day: dt.date) -> QuerySet[CreditRecord]:
    """Records of ``subject`` that hold on ``day``."""
    return _valid_on(credit_records_for(subject=subject), day)


def _valid_on(records: QuerySet[CreditRecord], day: Any) -> QuerySet[CreditRecord]:
    return records.filter(
        Q(valid_from__lte=day),
        Q(valid_until__isnull=True) | Q(valid_until__gte=day),
        Q(ended_on__isnull=True) | Q(ended_on__gt=day),
    )


#: Every submission reads its applicant's credit: compiled once (core/prepared.py).
_VALID_ON: Prepared[CreditRecord] = Prepared(
    lambda: _valid_on(
        CreditRecord.objects.select_related("source").filter(subject=Param("subject")),
        Param("day", CreditRecord._meta.get_field("valid_from")),
    )
)


def _reason(record: CreditRecord) -> str:
    source = record.source.name
    if record.list_kind != CreditList.NONE:
        head = _("列入%(list)s（%(source)s）") % {
            "list": CreditList(record.list_kind).label,
            "source": source,
        }
    else:
        head = _("信用等级 %(level)s（%(source)s）") % {
            "level": CreditLevel(record.level).label,
            "source": source,
        }
    if record.list_kind != CreditList.NONE and record.level:
        head += _("，信用等级 %(level)s") % {"level": CreditLevel(record.level).label}
    if record.reason:
        head += _("：%(reason)s") % {"reason": record.reason}
    if record.legal_basis:
        head += _("（依据：%(basis)s）") % {"basis": record.legal_basis}
    return head


def credit_status(*, subject: str, today: dt.date | None = None) -> CreditStatus:
    """The credit status of a person (resident ID) or enterprise (USCC) on ``today``."""
    day = today or timezone.localdate()
    records = _VALID_ON.all(subject=subject_normalize(subject), day=day)
    lists = {r.list_kind for r in records if r.list_kind != CreditList.NONE}
    levels = [r.level for r in records if r.level]
    level = max(levels, key=LEVEL_ORDER.index) if levels else ""
    # Black-list bases first: they are what a refusal must cite.
    ordered = sorted(records, key=lambda r: r.list_kind != CreditList.BLACK)
    bases: list[str] = []
    for record in ordered:
        if record.legal_basis and record.legal_basis not in bases:
            bases.append(record.legal_basis)
    return CreditStatus(
        subject=subject_normalize(subject),
        level=level,
        lists=lists,
        joint_punishment=CreditList.BLACK in lists,
        records=records,
        reasons=[_reason(r) for r in ordered],
        legal_bases=bases,
    )


def credit_manager_is(*, user: Any) -> bool:
    """Whether ``user`` may enter, import and end credit records (center admins, superusers)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return StaffRole.CENTER_ADMIN in user_roles(user=user)
