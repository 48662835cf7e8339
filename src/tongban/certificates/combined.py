"""许可一证通: one combined licence listing every licensed item of a theme application.

The approved children of a theme with a ``combined_certificate_type`` issue no
certificate of their own; when all children have ended, the parent gets one
signed certificate whose ``items`` list each licensed matter with its licence
type, item number and its own validity.  Changing one item later reissues the
whole licence and revokes (replaces) the old one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import CertificateType, localized
from tongban.certificates import services
from tongban.certificates.choices import CertificateStatus
from tongban.certificates.hooks import CertificateReissued, certificate_reissued
from tongban.certificates.models import Certificate
from tongban.core.errors import FieldError, InvalidStateChange, PermissionDenied, ValidationFailed
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User

if TYPE_CHECKING:
    from tongban.cases.models import Case

#: Item keys that identify the item and cannot be changed.
FIXED_ITEM_KEYS = frozenset({"matter", "matter_name", "licence_type"})
#: Item keys a change may set.
CHANGEABLE_ITEM_KEYS = frozenset({"licence_type_name", "item_number", "valid_until", "scope"})


def _item_type(child: Case) -> CertificateType | None:
    guide = child.matter_version.guide if child.matter_version is not None else None
    ref = guide.get("certificate_type") if isinstance(guide, dict) else None
    code = ref.get("code") if isinstance(ref, dict) else None
    return CertificateType.objects.filter(code=code).first() if code else None


def combined_licence_items(*, children: Iterable[Case], issued_on: dt.date) -> list[dict[str, Any]]:
    """One entry per licensed child: matter, licence type, item number, its own validity."""
    items: list[dict[str, Any]] = []
    for child in children:
        if child.matter is None:
            continue
        item_type = _item_type(child)
        valid_until = (
            services._valid_until(issued_on, item_type.validity_years) if item_type else None
        )
        items.append(
            {
                "matter": child.matter.code,
                "matter_name": localized(child.matter, "name"),
                "licence_type": item_type.code if item_type else "",
                "licence_type_name": localized(item_type, "name") if item_type else "",
                # The child's case number makes the item traceable to its review.
                "item_number": child.case_no or "",
                "valid_until": valid_until.isoformat() if valid_until else None,
            }
        )
    return items


@transaction.atomic
def combined_licence_issue(
    *, parent: Case, children: Iterable[Case], now: datetime | None = None
) -> Certificate:
    """Issue the one combined licence of a theme application (许可一证通).

    ``children`` are the theme's approved cases (``cases`` decides which), in order.
    """
    theme = parent.theme
    if theme is None or theme.combined_certificate_type_id is None:
        raise InvalidStateChange(_("该申请的主题服务不发放综合许可证"))
    certificate_type = CertificateType.objects.select_related("department").get(
        pk=theme.combined_certificate_type_id
    )
    existing = Certificate.objects.filter(
        case=parent, certificate_type=certificate_type, status=CertificateStatus.VALID
    ).first()
    if existing is not None:
        # Issuing may be retried: never issue twice.
        return existing
    now = now or timezone.now()
    items = combined_licence_items(children=children, issued_on=timezone.localtime(now).date())
    if not items:
        raise InvalidStateChange(_("没有准予许可的事项，不能发放综合许可证"))
    form = parent.form_data if isinstance(parent.form_data, dict) else {}
    fields = services.certificate_fields(certificate_type=certificate_type, form=form)
    fields.pop("licensed_items", None)
    fields["items"] = items
    return services._create_signed(
        certificate_type=certificate_type,
        issuer=certificate_type.department,
        holder=services._holder(parent),
        fields=fields,
        now=now,
        case=parent,
    )


def _changes_clean(item: dict[str, Any], changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise ValidationFailed(
            _("请填写要变更的内容"),
            errors=[FieldError(field="changes", message=_("至少变更一项"))],
        )
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        field = f"changes.{key}"
        if key in FIXED_ITEM_KEYS:
            errors.append(FieldError(field=field, message=_("许可项目的事项和证照类型不能变更")))
        elif key not in CHANGEABLE_ITEM_KEYS:
            errors.append(
                FieldError(
                    field=field,
                    message=_("只能变更：%(keys)s")
                    % {"keys": "、".join(sorted(CHANGEABLE_ITEM_KEYS))},
                )
            )
        elif key == "valid_until":
            try:
                clean[key] = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors.append(FieldError(field=field, message=_("日期格式应为 YYYY-MM-DD")))
        elif not isinstance(value, str) or not value.strip() or len(value) > 200:
            errors.append(FieldError(field=field, message=_("应为 1 至 200 个字的文字")))
        else:
            clean[key] = value.strip()
    if errors:
        raise ValidationFailed(_("许可项目变更内容有误"), errors=errors)
    return clean


@transaction.atomic
def combined_licence_item_change(
    *,
    certificate: Certificate,
    item_matter_code: str,
    changes: dict[str, Any],
    actor: User,
    reason: str,
    now: datetime | None = None,
) -> Certificate:
    """Change one licensed item: the combined licence is reissued and the old one replaced."""
    profile = identity_selectors.user_staff(user=actor)
    roles = identity_selectors.user_roles(user=actor)
    if (
        profile is None
        or profile.department_id != certificate.issuer_id
        or StaffRole.APPROVER not in roles
    ):
        raise PermissionDenied(_("只有发证部门的审批人员可以变更综合许可证"))
    certificate = Certificate.objects.select_related("certificate_type").get(pk=certificate.pk)
    if not certificate.certificate_type.is_combined:
        raise InvalidStateChange(_("该证照不是综合许可证"))
    fields = dict(certificate.fields or {})
    items = [dict(i) for i in fields.get("items") or [] if isinstance(i, dict)]
    index = next((n for n, i in enumerate(items) if i.get("matter") == item_matter_code), None)
    if index is None:
        raise ValidationFailed(
            _("综合许可证中没有该许可项目"),
            errors=[
                FieldError(
                    field="item_matter_code",
                    message=_("可变更的许可项目：%(codes)s")
                    % {"codes": "、".join(str(i.get("matter")) for i in items)},
                )
            ],
        )
    clean = _changes_clean(items[index], changes)
    items[index] = {**items[index], **clean}
    fields["items"] = items
    new = services.certificate_reissue(
        certificate=certificate, fields=fields, reason=reason, now=now
    )
    certificate_reissued.send(
        CertificateReissued(
            old=certificate,
            new=new,
            actor=actor,
            summary=_("“%(matter)s”变更，换发为 %(no)s：%(reason)s")
            % {
                "matter": items[index].get("matter_name") or item_matter_code,
                "no": new.number,
                "reason": reason.strip(),
            },
            at=new.issued_at,
        )
    )
    return new
