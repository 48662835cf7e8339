"""Credit-differentiated routes (信用分级分类审批) taken at submission.

The DMN table ``processes/credit_route.dmn`` maps the applicant's credit status
(``tongban.credit.selectors.credit_status``) and the matter's settings to a route:
告知承诺 (approval on the applicant's signed commitment, certificate at acceptance,
inspection afterwards), 一般程序, 从严审查 (an extra 重点审查 step) or 不予受理 (joint
punishment).  Every function runs inside ``case_submit``'s transaction with the case
row locked; the caller saves the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from tongban.cases.choices import CaseStatus, CreditRoute, TimelineAction
from tongban.cases.models import Case
from tongban.cases.services.common import timeline_add
from tongban.core.errors import FieldError, ValidationFailed
from tongban.credit.choices import CreditList
from tongban.credit.selectors import CreditStatus, credit_status
from tongban.identity.models import User
from tongban.workflow.engine import decision_evaluate

#: The decision table in src/tongban/processes/.
CREDIT_ROUTE_DECISION = "credit_route"
#: Legal basis of refusing a jointly punished applicant when no record names its own.
JOINT_PUNISHMENT_BASIS = (
    "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》"
    "（国发〔2016〕33号）"
)


def case_credit_subject(*, case: Case) -> str:
    """Whose credit counts: the enterprise's USCC, or the person's resident ID number."""
    if case.applicant_enterprise_id is not None and case.applicant_enterprise is not None:
        return case.applicant_enterprise.uscc
    if case.applicant_person_id is not None and case.applicant_person is not None:
        return case.applicant_person.id_number
    return ""


def case_credit_status(*, case: Case) -> CreditStatus:
    """The applicant's credit status today (empty for an applicant without an identifier)."""
    subject = case_credit_subject(case=case)
    return credit_status(subject=subject) if subject else CreditStatus(subject="")


def _commitment_eligible(case: Case) -> bool:
    return bool(case.matter is not None and case.matter.commitment_eligible)


def credit_route_context(*, status: CreditStatus, commitment_eligible: bool) -> dict[str, Any]:
    """The inputs of credit_route.dmn for one credit status and matter."""
    return {
        "joint_punishment": status.joint_punishment,
        "key_supervision": CreditList.KEY_SUPERVISION in status.lists,
        "red": CreditList.RED in status.lists,
        "level": status.level,
        "has_records": status.has_records,
        "commitment_eligible": commitment_eligible,
    }


def case_route_decide(*, case: Case) -> tuple[str, str]:
    """The route of ``case`` and why, from the DMN table on the applicant's credit today."""
    status = case_credit_status(case=case)
    result = decision_evaluate(
        name=CREDIT_ROUTE_DECISION,
        context=credit_route_context(status=status, commitment_eligible=_commitment_eligible(case)),
    )
    route = str(result.get("route") or CreditRoute.NORMAL)
    if route not in CreditRoute.values:
        route = CreditRoute.NORMAL
    # The reason texts live in the DMN table, where the analyst edits them with the rules.
    reason = str(result.get("reason") or "")
    if route == CreditRoute.REFUSED:
        bases = status.legal_bases or [JOINT_PUNISHMENT_BASIS]
        reason = _("%(reason)s，依据%(bases)s实施联合惩戒") % {
            "reason": reason,
            "bases": "、".join(bases),
        }
    return route, reason


def commitment_text(*, case: Case) -> str:
    """The standard commitment (告知承诺书) the applicant signs for the case's matter."""
    matter = case.matter.name if case.matter is not None else ""
    return _(
        "本人/本单位申请办理“%(matter)s”，承诺所填报信息及提交的材料真实、准确、完整，"
        "已知晓并符合该事项的许可条件和标准，能够在规定期限内满足相关要求，"
        "并接受行政机关的事后核查。如有虚假，愿意承担相应法律责任并接受撤销许可。"
    ) % {"matter": matter}


def commitment_signed(commitment: Mapping[str, Any] | None) -> bool:
    """Whether the submission carries a signed commitment (``{"signed": true}``)."""
    return isinstance(commitment, Mapping) and commitment.get("signed") is True


def case_route_take(
    *, case: Case, now: datetime, commitment: Mapping[str, Any] | None = None
) -> str:
    """Decide the route of a submitted case and record it on the case (not saved).

    A commitment route needs the applicant's signature: without it the submission is
    refused with a field error and nothing changes.
    """
    route, reason = case_route_decide(case=case)
    if route == CreditRoute.COMMITMENT:
        if not commitment_signed(commitment):
            raise ValidationFailed(
                _("本事项适用告知承诺，请签署告知承诺书后再提交"),
                errors=[FieldError(field="commitment", message=_("请签署告知承诺书"))],
            )
        case.commitment_signed_at = now
        case.commitment_text = commitment_text(case=case)
    case.route = route
    case.route_reason = reason
    return route


def case_route_timeline(*, case: Case, now: datetime, actor: User | None = None) -> None:
    """The public timeline entry "审批路径：告知承诺（信用等级A级）" of a route out of the ordinary.

    The normal route is every case's default and is shown on the case, not announced.
    """
    if case.route in ("", CreditRoute.NORMAL):
        return
    timeline_add(
        case,
        at=now,
        action=TimelineAction.ROUTE,
        step=_("审批路径：%(route)s（%(reason)s）")
        % {"route": CreditRoute(case.route).label, "reason": _short(case.route_reason)},
        comment=case.route_reason,
        department=case.department,
        public=True,
    )
    # A commitment signed as a material of a case on another route is recorded with it
    # (cases.services.documents).
    if case.route == CreditRoute.COMMITMENT and case.commitment_signed_at is not None:
        timeline_add(
            case,
            at=now,
            action=TimelineAction.COMMITMENT_SIGNED,
            step=_("签署告知承诺书"),
            comment=case.commitment_text,
            actor=actor,
            public=True,
        )


def _short(reason: str) -> str:
    return reason.split("，", 1)[0]


def case_refuse_on_credit(*, case: Case, now: datetime) -> None:
    """Reject a jointly punished applicant's case at once, with the reason and legal basis."""
    case.status = CaseStatus.REJECTED
    case.outcome_reason = _("不予受理：%(reason)s。") % {"reason": case.route_reason}
    case.completed_at = now
    timeline_add(
        case,
        at=now,
        action=TimelineAction.REJECTED,
        step=_("不予受理"),
        comment=case.outcome_reason,
        department=case.department,
        public=True,
    )


def route_label(route: str) -> str:
    """The Chinese name of a route ("" for none)."""
    return str(CreditRoute(route).label) if route in CreditRoute.values else ""


def case_route_out(*, case: Case) -> dict[str, Any]:
    """The route fields of a case as the API and the pages show them."""
    eligible = _commitment_eligible(case)
    text = case.commitment_text
    if not text and eligible and case.status == CaseStatus.DRAFT:
        text = commitment_text(case=case)
    return {
        "route": case.route,
        "route_label": route_label(case.route),
        "route_reason": case.route_reason,
        "commitment_eligible": eligible,
        "commitment_text": text,
        "commitment_signed_at": case.commitment_signed_at,
    }
