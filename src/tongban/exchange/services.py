"""The exchange: share-rule checks, provider calls, the access log, share grants, e-licences.

Transactions and the access log
-------------------------------
Every query, whatever its outcome, leaves an AccessLog row, and a denial must be
on record even though the caller goes on to fail.  ``exchange_query`` is
therefore deliberately *not* atomic with its caller: it appends the log row in
an ``atomic()`` block of its own, which commits at once when no transaction is
open, and only then returns or raises.  **Call it outside your own
``transaction.atomic()``** (``cases.sharing`` queries before it opens the
case's transaction): inside an outer atomic block the row is only a savepoint,
and a rollback of the outer block would erase the record of the access.  Doing
so also keeps a slow provider from holding the caller's locks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import Department, Matter
from tongban.core.dbcursor import statement_cursor
from tongban.core.errors import (
    FieldError,
    InvalidStateChange,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongban.exchange.audit import access_log_append, subject_key
from tongban.exchange.choices import (
    AccessResult,
    GrantStatus,
    LicenceSource,
    LicenceStatus,
    ShareType,
)
from tongban.exchange.models import AccessLog, DataField, DataResource, ELicence, ShareGrant
from tongban.exchange.providers import ProviderUnavailable, provider_for
from tongban.exchange.selectors import share_denial
from tongban.identity.choices import StaffRole
from tongban.identity.masking import mask_id_number
from tongban.identity.models import User
from tongban.identity.selectors import user_roles, user_staff

__all__ = [
    "ProviderUnavailable",
    "SharedRecord",
    "elicence_record",
    "exchange_query",
    "grant_decide",
    "grant_request",
]

logger = logging.getLogger(__name__)

PURPOSE_MAX_LENGTH = 200
#: Roles that decide share grants.
GRANT_DECIDERS: frozenset[str] = frozenset(
    {StaffRole.DATA_STEWARD.value, StaffRole.CENTER_ADMIN.value}
)


@dataclass(frozen=True)
class SharedRecord:
    resource_code: str
    resource_name: str
    #: Code of the department that provides the resource.
    provider_department: str
    subject_masked: str
    #: Field code → value, only the resource's declared fields.
    fields: dict[str, object]
    fetched_at: dt.datetime
    #: ``seq`` of the AccessLog row written for this query.
    log_seq: int


# --- queries -------------------------------------------------------------------------------


def _log(
    *,
    actor: User | None,
    department_id: int,
    resource_code: str,
    subject: str,
    case: Any,
    purpose: str,
    result: str,
    fields_returned: list[str] | None = None,
    detail: str = "",
) -> AccessLog:
    row = AccessLog(
        at=timezone.now(),
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        department_id=department_id,
        resource_code=resource_code,
        subject_key=subject_key(subject),
        subject_masked=mask_id_number(subject),
        case=case,
        case_no=(case.case_no or "") if case is not None else "",
        purpose=purpose,
        fields_returned=fields_returned or [],
        result=result,
        detail=detail[:300],
    )
    return access_log_append(row)


#: Columns of DataResource a provider may read, in the order _definition selects them.
_RESOURCE_COLUMNS = [
    "id",
    "code",
    "name",
    "name_en",
    "provider_id",
    "share_type",
    "open_type",
    "update_cycle",
    "format",
    "subject_kind",
    "adapter",
    "adapter_config",
    "is_active",
]


def _definition(
    *, resource_code: str, department_code: str
) -> tuple[DataResource | None, int | None, list[str]]:
    """The active resource (with ``provider_code``), the asking department's id, the field codes.

    One statement instead of four ORM queries: this runs on every look-up of
    shared data, and the ORM's query building would dominate its cost.
    """
    quote = connection.ops.quote_name
    resource_table = quote(DataResource._meta.db_table)
    department_table = quote(Department._meta.db_table)
    field_table = quote(DataField._meta.db_table)
    columns = ", ".join(f"r.{quote(c)}" for c in _RESOURCE_COLUMNS)
    # Identifiers come from the models' metadata; every value is a parameter.
    sql = (
        f"SELECT {columns}, p.code, f.code, "  # noqa: S608
        f"(SELECT d.id FROM {department_table} d WHERE d.code = %s) "
        f"FROM {resource_table} r "
        f"JOIN {department_table} p ON p.id = r.provider_id "
        f"LEFT JOIN {field_table} f ON f.resource_id = r.id "
        f"WHERE r.code = %s AND r.is_active = %s "
        f"ORDER BY f.{quote('order')}, f.id"
    )
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, [department_code, resource_code, True])
        rows = cursor.fetchall()
    if not rows:
        department_id = (
            Department.objects.filter(code=department_code).values_list("id", flat=True).first()
        )
        return None, department_id, []
    n = len(_RESOURCE_COLUMNS)
    values = dict(zip(_RESOURCE_COLUMNS, rows[0][:n], strict=True))
    # JSON arrives as text from SQLite (and from psycopg as Django configures it).
    config = values["adapter_config"]
    values["adapter_config"] = (json.loads(config) if isinstance(config, str) else config) or {}
    values["is_active"] = bool(values["is_active"])
    resource = DataResource(**values)
    resource._state.adding = False
    resource.provider_code = rows[0][n]  # type: ignore[attr-defined]
    field_codes = [str(row[n + 1]) for row in rows if row[n + 1]]
    return resource, rows[0][n + 2], field_codes


def exchange_query(
    *,
    actor: User | None,
    department_code: str,
    resource_code: str,
    subject: str,
    case: Any,
    purpose: str,
    matter_code: str | None = None,
) -> SharedRecord:
    """Fetch the record about ``subject`` for ``department_code``'s case, enforcing the share type.

    Call it OUTSIDE any ``transaction.atomic()`` of yours: its AccessLog row
    (written for every outcome — ok, not_found, denied, unavailable) commits on
    its own before this returns or raises, and must not be rolled back with
    you.  ``matter_code`` defaults to the case's matter (for matter-specific
    grants).  Raises ValidationFailed (no case or purpose: nothing fetched,
    nothing logged), NotFound (no such department, resource or record),
    PermissionDenied (no right to the resource) or ProviderUnavailable.
    """
    purpose = (purpose or "").strip()
    subject = (subject or "").strip().upper()
    errors: list[FieldError] = []
    if case is None:
        errors.append(FieldError("case", _("查询共享数据必须关联办件")))
    if not purpose:
        errors.append(FieldError("purpose", _("请说明查询共享数据的用途")))
    elif len(purpose) > PURPOSE_MAX_LENGTH:
        errors.append(
            FieldError("purpose", _("用途不能超过 %(n)s 个字") % {"n": PURPOSE_MAX_LENGTH})
        )
    if not subject:
        errors.append(FieldError("subject", _("请提供查询对象的证件号码")))
    if errors:
        raise ValidationFailed(_("查询共享数据须注明办件和用途"), errors=errors)

    resource, department_id, field_codes = _definition(
        resource_code=resource_code, department_code=department_code
    )
    if department_id is None:
        raise NotFound(_("部门 %(code)s 不存在") % {"code": department_code})

    def log(result: str, **kwargs: Any) -> AccessLog:
        return _log(
            actor=actor,
            department_id=department_id,
            resource_code=resource_code,
            subject=subject,
            case=case,
            purpose=purpose,
            result=result,
            **kwargs,
        )

    if resource is None:
        message = _("数据资源 %(code)s 不存在或已停用") % {"code": resource_code}
        log(AccessResult.NOT_FOUND, detail=message)
        raise NotFound(message)

    denial = share_denial(
        resource=resource,
        department_id=department_id,
        matter_code=matter_code,
        matter_id=getattr(case, "matter_id", None),
    )
    if denial is not None:
        log(AccessResult.DENIED, detail=denial)
        raise PermissionDenied(denial)

    try:
        record = provider_for(resource).fetch(resource=resource, subject=subject)
    except ProviderUnavailable as exc:
        log(AccessResult.UNAVAILABLE, detail=str(exc.detail))
        raise
    except Exception as exc:
        # A district's plug-in may fail in any way; staff get a message, not a crash.
        logger.exception("provider of %s failed", resource.code)
        log(AccessResult.UNAVAILABLE, detail=f"{type(exc).__name__}")
        raise ProviderUnavailable(_("数据提供方暂不可用")) from exc
    if record is None:
        message = _("未查询到该对象的记录")
        log(AccessResult.NOT_FOUND, detail=message)
        raise NotFound(message)

    fields = {code: record[code] for code in field_codes if code in record}
    row = log(AccessResult.OK, fields_returned=list(fields))
    return SharedRecord(
        resource_code=resource.code,
        resource_name=resource.name,
        provider_department=str(getattr(resource, "provider_code", "")),
        subject_masked=row.subject_masked,
        fields=fields,
        fetched_at=row.at,
        log_seq=row.seq,
    )


# --- share grants --------------------------------------------------------------------------


@transaction.atomic
def grant_request(
    *,
    actor: User,
    resource_code: str,
    department_code: str,
    matter_code: str | None,
    reason: str,
) -> ShareGrant:
    """Ask, as staff of ``department_code``, for the use of a conditional resource."""
    staff = user_staff(user=actor)
    if staff is None or staff.department.code != department_code:
        raise PermissionDenied(_("只有本部门工作人员可以为本部门申请共享授权"))
    department = staff.department
    reason = (reason or "").strip()
    errors: list[FieldError] = []
    if not reason:
        errors.append(FieldError("reason", _("请填写申请理由")))
    resource = DataResource.objects.filter(code=resource_code).select_related("provider").first()
    if resource is None:
        errors.append(FieldError("resource", _("数据资源不存在")))
    elif resource.provider_id == department.pk:
        errors.append(FieldError("resource", _("本部门提供的数据资源无需申请授权")))
    elif resource.share_type == ShareType.UNCONDITIONAL:
        errors.append(
            FieldError("resource", _("该资源为无条件共享，任何部门均可使用，无需申请授权"))
        )
    elif resource.share_type == ShareType.NONE:
        errors.append(FieldError("resource", _("该资源不予共享，不能申请授权")))
    matter = None
    if matter_code:
        matter = Matter.objects.filter(code=matter_code).first()
        if matter is None:
            errors.append(FieldError("matter", _("事项不存在")))
    if errors:
        raise ValidationFailed(_("共享授权申请有误"), errors=errors)
    assert resource is not None
    today = timezone.localdate()
    pending = ShareGrant.objects.filter(
        resource=resource, department=department, matter=matter
    ).filter(
        Q(status=GrantStatus.REQUESTED)
        | Q(status=GrantStatus.APPROVED, valid_until__isnull=True)
        | Q(status=GrantStatus.APPROVED, valid_until__gte=today)
    )
    if pending.exists():
        raise InvalidStateChange(_("已有待审核或有效的同一授权，无需重复申请"))
    return ShareGrant.objects.create(
        resource=resource,
        department=department,
        matter=matter,
        reason=reason,
        requested_by=actor,
    )


@transaction.atomic
def grant_decide(
    *,
    actor: User,
    grant: ShareGrant,
    approve: bool,
    note: str = "",
    valid_until: dt.date | None = None,
) -> ShareGrant:
    """Approve or refuse a requested share grant (data stewards and center admins)."""
    if not GRANT_DECIDERS & set(user_roles(user=actor)):
        raise PermissionDenied(_("只有数据管理员或中心管理员可以审核共享授权"))
    locked = ShareGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.status != GrantStatus.REQUESTED:
        raise InvalidStateChange(_("该授权申请已审核，不能重复审核"))
    if approve and valid_until is not None and valid_until < timezone.localdate():
        raise ValidationFailed(
            _("有效期有误"), errors=[FieldError("valid_until", _("有效期不能早于今天"))]
        )
    locked.status = GrantStatus.APPROVED if approve else GrantStatus.REFUSED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = (note or "").strip()
    locked.valid_until = valid_until if approve else None
    locked.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "valid_until",
            "updated_at",
        ]
    )
    return locked


# --- the e-licence library -----------------------------------------------------------------


def elicence_record(
    *,
    licence_type: str,
    number: str,
    holder_subject: str,
    holder_name: str,
    issuer_code: str,
    issued_on: dt.date,
    valid_until: dt.date | None,
    data: dict[str, Any],
    source: str = LicenceSource.ISSUED,
) -> ELicence:
    """Put a licence into the e-licence library (or update it under the same type and number)."""
    errors: list[FieldError] = []
    if not licence_type.strip():
        errors.append(FieldError("licence_type", _("请填写证照类型")))
    if not number.strip():
        errors.append(FieldError("number", _("请填写证照编号")))
    if not holder_subject.strip():
        errors.append(FieldError("holder_subject", _("请填写持证主体标识")))
    if source not in LicenceSource.values:
        errors.append(FieldError("source", _("来源取值无效")))
    if valid_until is not None and valid_until < issued_on:
        errors.append(FieldError("valid_until", _("有效期不能早于发证日期")))
    issuer = Department.objects.filter(code=issuer_code).first()
    if issuer is None:
        errors.append(FieldError("issuer", _("发证部门不存在")))
    if errors:
        raise ValidationFailed(_("电子证照信息有误"), errors=errors)
    values = {
        "holder_subject": holder_subject.strip().upper(),
        "holder_name": holder_name.strip(),
        "issuer": issuer,
        "issued_on": issued_on,
        "valid_until": valid_until,
        "status": LicenceStatus.VALID,
        "source": source,
        "data": dict(data),
    }
    licence = ELicence(licence_type=licence_type.strip(), number=number.strip(), **values)
    # One statement, INSERT … ON CONFLICT (type, number) DO UPDATE: a licence is issued in
    # the step that approves a case, where update_or_create made six (a locked read, two
    # savepoint pairs and the insert).
    ELicence.objects.bulk_create(
        [licence],
        update_conflicts=True,
        unique_fields=["licence_type", "number"],
        update_fields=[*values, "updated_at"],
    )
    return licence
