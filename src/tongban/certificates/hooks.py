"""What certificates report to the case that produced them (``cases`` connects the receivers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tongban.certificates.models import Certificate
from tongban.core.hooks import Hook
from tongban.identity.models import User


@dataclass(frozen=True)
class CertificateReissued:
    """A certificate was replaced by ``new`` (e.g. one item of a combined licence changed)."""

    old: Certificate
    new: Certificate
    actor: User | None
    #: What changed and why, as the case's timeline should tell it.
    summary: str
    at: datetime


#: Sent inside the transaction that issues the replacement.  Not required: a certificate
#: imported without a case has nobody to tell.
certificate_reissued: Hook[CertificateReissued] = Hook(
    "certificates.certificate_reissued", required=False
)
