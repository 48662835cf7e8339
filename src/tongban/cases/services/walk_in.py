"""前台综合受理: who applies when a center window clerk accepts a walk-in's application.

The walk-in is identified by their resident ID number (GB 11643) or, for an enterprise, by
its unified social credit code (GB 32100) with the agent's ID number; the person (and the
enterprise) is looked up or registered.  The case belongs to the person's account, so they
find it under 我的办件 once signed in; a person without an account gets one with no usable
password (``identity.services.person_account_ensure``, see docs/adr/0012-walk-in-applicants.md).
An enterprise's agent is authorised for this case only: the case is theirs as its applying
account, without making them a standing agent (经办人) of the enterprise.

Everything here runs inside the creating transaction: a refusal later in the same request
leaves no person, account or enterprise behind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.cases.choices import ApplicantType
from tongban.catalog.models import Section, localized
from tongban.core.errors import FieldError, PermissionDenied, ValidationFailed
from tongban.counter.models import Ticket, Window
from tongban.counter.selectors import is_center_window_clerk, windows_staffed_by
from tongban.identity import services as identity_services
from tongban.identity.masking import mask_id_number, mask_name
from tongban.identity.models import Enterprise, Person, User
from tongban.identity.validators import resident_id_problem, uscc_problem
from tongban.workflow.calendar import SHANGHAI

#: 手机号码: 11 digits starting with 1.
MOBILE = re.compile(r"1\d{10}")
#: ``A012``: a section letter and the day's sequence.
TICKET_NUMBER = re.compile(r"[A-Z]\d{1,6}")
PERSON_NAME_MAX = 50
ENTERPRISE_NAME_MAX = 200


@dataclass(frozen=True)
class Applicant:
    """Who applies, and — at the counter — where and through whom."""

    user: User
    type: str
    person: Person | None
    enterprise: Enterprise | None
    name: str
    window: Window | None = None
    window_clerk: User | None = None
    ticket: Ticket | None = None
    #: The walk-in's agent (an enterprise's 经办人), for the timeline.
    agent: Person | None = None

    def case_fields(self) -> dict[str, Any]:
        """The Case columns this fills in."""
        return {
            "applicant_user": self.user,
            "applicant_type": self.type,
            "applicant_person": self.person,
            "applicant_enterprise": self.enterprise,
            "applicant_name": self.name,
            "window": self.window,
            "window_clerk": self.window_clerk,
            "ticket": self.ticket,
        }

    def counter_note(self) -> str:
        """The timeline's words for a window acceptance ("" online)."""
        if self.window is None:
            return ""
        parts = [_("窗口：%(window)s") % {"window": localized(self.window, "name")}]
        if self.ticket is not None:
            parts.append(_("排队号：%(number)s") % {"number": self.ticket.number})
        if self.agent is not None:
            parts.append(
                _("经办人：%(name)s（%(id)s），凭企业授权办理本件")
                % {"name": mask_name(self.agent.name), "id": mask_id_number(self.agent.id_number)}
            )
        return "；".join(parts)


def window_clerk_required(actor: User) -> None:
    """Refuse a window application by anyone but a center window clerk on duty today."""
    if not is_center_window_clerk(user=actor):
        raise PermissionDenied(_("只有今日在岗的中心综合窗口工作人员可以受理窗口申请"))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _name_errors(field: str, name: str, limit: int) -> list[FieldError]:
    if not name:
        return [FieldError(field=field, message=_("必填"))]
    if len(name) > limit or any(ord(c) < 32 for c in name):
        return [FieldError(field=field, message=_("名称过长或含有无效字符"))]
    return []


def _person_errors(prefix: str, data: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    id_number = _text(data.get("id_number")).upper()
    if not id_number:
        errors.append(FieldError(field=f"{prefix}.id_number", message=_("必填")))
    elif problem := resident_id_problem(id_number):
        errors.append(FieldError(field=f"{prefix}.id_number", message=problem))
    errors += _name_errors(f"{prefix}.name", _text(data.get("name")), PERSON_NAME_MAX)
    mobile = _text(data.get("mobile"))
    if not MOBILE.fullmatch(mobile):
        errors.append(
            FieldError(field=f"{prefix}.mobile", message=_("请填写11位手机号码（以1开头）"))
        )
    return errors


def _mismatch(field: str) -> ValidationFailed:
    message = _("姓名与该证件号码的登记信息不一致，请核对证件")
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _person_ensure(prefix: str, data: Mapping[str, Any]) -> tuple[Person, User]:
    """The person with this ID number (registered now if new) and their account."""
    id_number = _text(data.get("id_number")).upper()
    name = _text(data.get("name"))
    person = Person.objects.filter(id_number=id_number).first()
    if person is None:
        person = identity_services.person_create(
            name=name, id_number=id_number, phone=_text(data.get("mobile"))
        )
    elif person.name != name:
        raise _mismatch(f"{prefix}.name")
    return person, identity_services.person_account_ensure(person=person)


def _window_for(actor: User, *, section: Section | None, code: str | None) -> Window:
    """The window the clerk accepts at: the one named, else theirs in the matter's section."""
    today = timezone.now().astimezone(SHANGHAI).date()
    mine = sorted(windows_staffed_by(user=actor, day=today), key=lambda w: (w.order, w.code))
    if code:
        named = [w for w in mine if w.code == code]
        if not named:
            raise ValidationFailed(
                _("您今日不在该窗口"),
                errors=[FieldError(field="window", message=_("您今日不在该窗口"))],
            )
        return named[0]
    same_section = [w for w in mine if section is not None and w.section_id == section.pk]
    # window_clerk_required has already made sure there is one.
    return (same_section or mine)[0]


def _ticket_for(number: str | None) -> Ticket | None:
    number = _text(number).upper()
    if not number:
        return None
    today = timezone.now().astimezone(SHANGHAI).date()
    ticket = (
        Ticket.objects.filter(day=today, number=number).first()
        if TICKET_NUMBER.fullmatch(number)
        else None
    )
    if ticket is None:
        raise ValidationFailed(
            _("今日没有这个排队号"),
            errors=[FieldError(field="ticket", message=_("今日没有这个排队号"))],
        )
    return ticket


def walk_in_applicant(
    *,
    actor: User,
    applicant: Mapping[str, Any] | None,
    section: Section | None,
    window_code: str | None = None,
    ticket_number: str | None = None,
) -> Applicant:
    """Identify the walk-in (checking every number first), then find or register them."""
    data: Mapping[str, Any] = applicant if isinstance(applicant, Mapping) else {}
    kind = data.get("type") or ApplicantType.PERSON
    if kind == ApplicantType.PERSON:
        errors = _person_errors("applicant", data)
    elif kind == ApplicantType.ENTERPRISE:
        errors = []
        uscc = _text(data.get("uscc")).upper()
        if not uscc:
            errors.append(FieldError(field="applicant.uscc", message=_("必填")))
        elif problem := uscc_problem(uscc):
            errors.append(FieldError(field="applicant.uscc", message=problem))
        errors += _name_errors("applicant.name", _text(data.get("name")), ENTERPRISE_NAME_MAX)
        agent = data.get("agent")
        if not isinstance(agent, Mapping):
            errors.append(FieldError(field="applicant.agent", message=_("请填写经办人信息")))
        else:
            errors += _person_errors("applicant.agent", agent)
    else:
        errors = [
            FieldError(field="applicant.type", message=_("只能是 person 或 enterprise")),
        ]
    if errors:
        raise ValidationFailed(_("申请人身份信息有误"), errors=errors)
    window = _window_for(actor, section=section, code=_text(window_code) or None)
    ticket = _ticket_for(ticket_number)
    if kind == ApplicantType.PERSON:
        person, user = _person_ensure("applicant", data)
        return Applicant(
            user=user,
            type=ApplicantType.PERSON,
            person=person,
            enterprise=None,
            name=person.name,
            window=window,
            window_clerk=actor,
            ticket=ticket,
        )
    uscc = _text(data.get("uscc")).upper()
    name = _text(data.get("name"))
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        enterprise = identity_services.enterprise_create(uscc=uscc, name=name)
    elif enterprise.name != name:
        message = _("企业名称与该统一社会信用代码的登记信息不一致")
        raise ValidationFailed(
            message, errors=[FieldError(field="applicant.name", message=message)]
        )
    agent_data = data["agent"]
    agent_person, agent_user = _person_ensure("applicant.agent", agent_data)
    return Applicant(
        user=agent_user,
        type=ApplicantType.ENTERPRISE,
        person=None,
        enterprise=enterprise,
        name=enterprise.name,
        agent=agent_person,
        window=window,
        window_clerk=actor,
        ticket=ticket,
    )
