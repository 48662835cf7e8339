"""统一出件: the center's output window hands over every result waiting for pick-up.

A clerk of a center window on duty checks the identity of whoever collects: the holder
(the applying person), for an enterprise a live agent of it or the agent who applied for
this case, or anyone else showing the holder's written authorisation (授权委托书), which is
recorded.  The hand-over is signed for (a checkbox standing for the signature on paper),
completes the case and counts a visit; who, when and the signature go on the timeline.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import ApplicantType, CaseStatus
from tongban.cases.models import Case
from tongban.cases.services.common import case_lock, status_refused
from tongban.cases.services.outputs import case_handed_over
from tongban.cases.services.walk_in import window_clerk_required
from tongban.core.errors import FieldError, InvalidStateChange, ValidationFailed
from tongban.delivery.choices import DeliveryMethod
from tongban.identity import selectors as identity_selectors
from tongban.identity.masking import mask_id_number, mask_name
from tongban.identity.models import Person, User
from tongban.identity.validators import resident_id_problem

#: Longest description of a written authorisation (its number, who signed it).
AUTHORISATION_MAX = 200


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def output_collector_role(*, case: Case, id_number: str) -> str | None:
    """Who the person with ``id_number`` is to the case: ``holder``, ``agent`` or None."""
    if case.applicant_type == ApplicantType.PERSON:
        person = case.applicant_person
        if person is None:
            person = identity_selectors.user_person(user_id=case.applicant_user_id)
        return "holder" if person is not None and person.id_number == id_number else None
    collector = Person.objects.filter(id_number=id_number).select_related("user").first()
    if collector is None or collector.user is None:
        return None
    if collector.user_id == case.applicant_user_id:
        # The agent who applied at the window (or online) for this very case.
        return "agent"
    if case.applicant_enterprise_id is not None and identity_selectors.user_is_agent_of_id(
        user=collector.user, enterprise_id=case.applicant_enterprise_id
    ):
        return "agent"
    return None


@transaction.atomic
def output_hand_over(
    *,
    actor: User,
    case: Case,
    id_number: str,
    signed: bool,
    agent_authorisation: str = "",
    now: datetime | None = None,
) -> Case:
    """Hand over a result waiting at the output window to the person collecting it."""
    window_clerk_required(actor)
    case = case_lock(case)
    if case.status == CaseStatus.COMPLETED:
        raise InvalidStateChange(_("该办件的结果已经交付，不能重复交付"))
    if case.status != CaseStatus.ISSUED or case.delivery_method != DeliveryMethod.PICKUP:
        raise status_refused(case, _("窗口出件"))
    id_number = (id_number or "").strip().upper()
    errors: list[FieldError] = []
    if problem := resident_id_problem(id_number):
        errors.append(FieldError(field="id_number", message=problem))
    if signed is not True:
        errors.append(FieldError(field="signed", message=_("请领取人签字确认后再交付")))
    authorisation = (agent_authorisation or "").strip()
    if len(authorisation) > AUTHORISATION_MAX or any(ord(c) < 32 for c in authorisation):
        errors.append(
            FieldError(field="agent_authorisation", message=_("授权委托书说明过长或含有无效字符"))
        )
    if errors:
        raise ValidationFailed(_("领取信息有误"), errors=errors)
    role = output_collector_role(case=case, id_number=id_number)
    if role is None and not authorisation:
        raise _refused(
            "id_number",
            _("领取人不是持证人本人或其经办人；他人代领须出示持证人的书面授权委托书"),
        )
    collector = Person.objects.filter(id_number=id_number).first()
    who = (
        _("%(name)s（%(id)s）")
        % {"name": mask_name(collector.name), "id": mask_id_number(id_number)}
        if collector is not None
        else mask_id_number(id_number)
    )
    if role == "holder":
        comment = _("持证人本人领取：%(who)s，已签字确认") % {"who": who}
    elif role == "agent":
        comment = _("企业经办人领取：%(who)s，已签字确认") % {"who": who}
    else:
        comment = _("凭书面授权委托书代领：%(who)s，委托书：%(authorisation)s，已签字确认") % {
            "who": who,
            "authorisation": authorisation,
        }
    return case_handed_over(
        case=case,
        actor=actor,
        now=now or timezone.now(),
        comment=comment,
        note=_("统一出件窗口交付"),
    )
