"""Pure reads of one case that many places need, each rule written once.

Which guide a case runs under, which form schema applies (a theme parent's is the
merged form of its theme), what it costs and when that is charged, who may act
as its applicant.  Nothing here changes the database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tongban.cases.choices import ApplicantType, MaterialStatus
from tongban.cases.models import Case, CaseMaterial
from tongban.catalog.choices import Channel
from tongban.catalog.services import theme_form_schema
from tongban.counter.selectors import is_center_window_clerk
from tongban.identity import selectors as identity_selectors
from tongban.identity.models import User

logger = logging.getLogger(__name__)

#: Process parameter naming the step at which the fee is charged.
PAYMENT_AT_PARAM = "payment_at"
#: The fee is charged when the case is accepted (the default).
PAYMENT_AT_ACCEPT = "accept"
#: The fee is charged after the positive decision, before the licence is issued.
PAYMENT_AT_DECIDE = "decide"
#: Fees are in yuan with fen precision; 四舍五入 as the finance rules round.
FEN = Decimal("0.01")
EMPTY_FORM_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def case_guide(case: Case) -> dict[str, Any]:
    """The guide of the matter version the case was submitted under ({} for a theme parent)."""
    guide = case.matter_version.guide if case.matter_version is not None else None
    return guide if isinstance(guide, dict) else {}


def is_theme_parent(case: Case) -> bool:
    """Whether ``case`` is the parent case of a theme application."""
    return case.theme_id is not None and case.matter_id is None


def case_form_schema(case: Case) -> dict[str, Any]:
    """The JSON Schema the case's form is checked against (a theme parent: the merged form)."""
    if is_theme_parent(case):
        assert case.theme is not None
        return theme_form_schema(theme=case.theme)
    schema = case_guide(case).get("form_schema")
    if case.matter_version is None and case.matter is not None:
        # Only a case never tied to a published version: the matter's current form.
        schema = case.matter.form_schema
    return schema if isinstance(schema, dict) else dict(EMPTY_FORM_SCHEMA)


def case_fee(*, case: Case) -> Decimal:
    """The fee in yuan, to the fen; 0 when the matter is free or its fee is unreadable."""
    raw = case_guide(case).get("fee")
    try:
        fee = Decimal(str(raw if raw not in (None, "") else "0"))
    except InvalidOperation:
        logger.warning("case %s: unreadable fee %r", case.pk, raw)
        return Decimal("0.00")
    if not fee.is_finite() or fee <= 0:
        return Decimal("0.00")
    return fee.quantize(FEN, rounding=ROUND_HALF_UP)


def case_payment_step(*, case: Case) -> str:
    """The step at which a fee matter charges: ``accept`` (default) or ``decide``."""
    params = case_guide(case).get("process_params")
    value = params.get(PAYMENT_AT_PARAM) if isinstance(params, dict) else None
    return PAYMENT_AT_DECIDE if value == PAYMENT_AT_DECIDE else PAYMENT_AT_ACCEPT


def guide_certificate_type_code(guide: Mapping[str, Any]) -> str:
    """The code of the certificate type a guide issues ("" when it issues none)."""
    ref = guide.get("certificate_type")
    return str(ref.get("code") or "") if isinstance(ref, dict) else ""


def case_certificate_type_code(case: Case) -> str:
    """The code of the certificate type the case's matter issues ("" when it issues none)."""
    return guide_certificate_type_code(case_guide(case))


def acts_for_applicant(actor: User, case: Case) -> bool:
    """The applicant, or — for a walk-in's case (channel ``window``) — a center window clerk
    on duty today, who fills in, uploads the paper scans and submits at the counter."""
    if is_applicant(actor, case):
        return True
    return case.channel == Channel.WINDOW and is_center_window_clerk(user=actor)


def is_applicant(actor: User, case: Case) -> bool:
    """The applicant: the account that applied, or a live agent of the applying enterprise."""
    if case.applicant_user_id == actor.pk:
        return True
    if case.applicant_type != ApplicantType.ENTERPRISE or case.applicant_enterprise_id is None:
        return False
    return identity_selectors.user_is_agent_of_id(
        user=actor, enterprise_id=case.applicant_enterprise_id
    )


def case_deferred_materials(*, case: Case) -> list[CaseMaterial]:
    """Materials accepted as deferred (容缺) and not delivered yet."""
    return list(
        case.materials.filter(status=MaterialStatus.DEFERRED).order_by("deferred_until", "id")
    )


def theme_has_combined_licence(parent: Case) -> bool:
    """Whether a theme parent's approved items go on one combined licence (许可一证通)."""
    return parent.theme is not None and parent.theme.combined_certificate_type_id is not None


def theme_child_issue_withheld(*, case: Case) -> bool:
    """Whether an approved child issues nothing itself (its item goes on a combined licence)."""
    if case.parent_id is None:
        return False
    parent = Case.objects.select_related("theme").get(pk=case.parent_id)
    return theme_has_combined_licence(parent)
