"""Reads of the catalogue and the access log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.catalog.models import Department
from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.exchange.audit import subject_key
from tongban.exchange.choices import GrantStatus, ShareType, SubjectKind
from tongban.exchange.models import (
    AccessLog,
    DataField,
    DataResource,
    ProviderCircuit,
    ShareGrant,
)
from tongban.exchange.providers import ProviderUnavailable, provider_for
from tongban.identity.models import Person
from tongban.identity.selectors import user_enterprises


def resource_list(*, department_code: str | None = None, q: str = "") -> QuerySet[DataResource]:
    """Active resources of the public catalogue (with ``field_count``), by department and words."""
    resources = (
        DataResource.objects.filter(is_active=True)
        .select_related("provider")
        .annotate(field_count=Count("fields"))
    )
    if department_code:
        resources = resources.filter(provider__code=department_code)
    q = (q or "").strip()
    if q:
        resources = resources.filter(
            Q(code__icontains=q)
            | Q(name__icontains=q)
            | Q(name_en__icontains=q)
            | Q(description__icontains=q)
        )
    return resources.order_by("provider__order", "provider__code", "code")


def resource_get(code: str) -> DataResource:
    """One active resource with its fields prefetched; NotFound otherwise."""
    resource = (
        DataResource.objects.filter(code=code, is_active=True)
        .select_related("provider")
        .prefetch_related("fields")
        .first()
    )
    if resource is None:
        raise NotFound(_("数据资源 %(code)s 不存在") % {"code": code})
    return resource


def catalogue_counts() -> list[tuple[Department, int, int]]:
    """(department, active resources, their data items) for each providing department."""
    active = Q(data_resources__is_active=True)
    departments = (
        Department.objects.annotate(
            resource_count=Count("data_resources", filter=active, distinct=True),
            field_count=Count("data_resources__fields", filter=active, distinct=True),
        )
        .filter(resource_count__gt=0)
        .order_by("order", "code")
    )
    return [(d, d.resource_count, d.field_count) for d in departments]


# --- the public catalogue pages ---------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentCount:
    code: str
    name: str
    resources: int
    fields: int


def catalogue_department_counts() -> list[DepartmentCount]:
    """Active resources and their data items per providing department, in department order."""
    return [
        DepartmentCount(code=d.code, name=d.display_name, resources=resources, fields=fields)
        for d, resources, fields in catalogue_counts()
    ]


def catalogue_resource_list(
    *, department: str | None = None, share_type: str | None = None, query: str = ""
) -> list[DataResource]:
    """Active resources filtered by provider, share type and words in names or data items."""
    errors: list[FieldError] = []
    if department and not Department.objects.filter(code=department).exists():
        errors.append(
            FieldError("department", _("未知的部门代码 '%(value)s'") % {"value": department})
        )
    if share_type and share_type not in ShareType.values:
        errors.append(
            FieldError("share_type", _("无效的共享类型 '%(value)s'") % {"value": share_type})
        )
    if len(query) > 50:
        errors.append(FieldError("q", _("搜索内容不能超过50个字")))
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors=errors)
    resources = DataResource.objects.filter(is_active=True).select_related("provider")
    if department:
        resources = resources.filter(provider__code=department)
    if share_type:
        resources = resources.filter(share_type=share_type)
    for word in query.split():
        matching = DataField.objects.filter(name__icontains=word).values("resource_id")
        resources = resources.filter(
            Q(name__icontains=word)
            | Q(code__icontains=word)
            | Q(description__icontains=word)
            | Q(id__in=matching)
        )
    return list(resources.annotate(field_count=Count("fields")).order_by("provider__order", "code"))


def catalogue_resource_get(*, code: str) -> DataResource:
    """One active resource with its provider; NotFound otherwise."""
    resource = (
        DataResource.objects.filter(code=code, is_active=True).select_related("provider").first()
    )
    if resource is None:
        raise NotFound(_("数据资源 %(code)s 不存在") % {"code": code})
    return resource


def _subjects_of(user: Any) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    subjects = list(Person.objects.filter(user=user).values_list("id_number", flat=True))
    subjects += [e.uscc for e in user_enterprises(user=user)]
    return subjects


def access_log_for_subject(*, user: Any) -> QuerySet[AccessLog]:
    """Every access to the data of ``user`` (their ID, their enterprises as agent), newest first."""
    keys = [subject_key(s) for s in _subjects_of(user)]
    if not keys:
        return AccessLog.objects.none()
    return (
        AccessLog.objects.filter(subject_key__in=keys)
        .select_related("department", "case")
        .order_by("-seq")
    )


def access_log_for_case(*, case: Any) -> QuerySet[AccessLog]:
    """The queries made for ``case``, in order (the caller checks who may see the case)."""
    return AccessLog.objects.filter(case=case).select_related("department").order_by("seq")


# --- the promise of once-only (免提交) ------------------------------------------------------


def share_denial(
    *,
    resource: DataResource,
    department_id: int,
    matter_code: str | None,
    matter_id: int | None,
) -> str | None:
    """Why the department may not use ``resource`` (None when it may): the share type and grants."""
    if resource.provider_id == department_id:
        return None
    if resource.share_type == ShareType.UNCONDITIONAL:
        return None
    if resource.share_type == ShareType.NONE:
        return _("该数据资源不予共享，仅限提供部门使用")
    today = timezone.localdate()
    grants = ShareGrant.objects.filter(
        resource_id=resource.pk, department_id=department_id, status=GrantStatus.APPROVED
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    # A matter-specific grant covers only that matter; a grant without one covers all.
    matter_match = Q(matter__isnull=True)
    if matter_code:
        matter_match |= Q(matter__code=matter_code)
    elif matter_id is not None:
        matter_match |= Q(matter_id=matter_id)
    if grants.filter(matter_match).exists():
        return None
    return _("本部门没有该有条件共享资源的有效授权，请先申请共享授权")


@dataclass(frozen=True)
class SharePromise:
    """Whether the exchange will supply one resource to a matter (for an applicant, or anyone)."""

    resource_code: str
    shared: bool
    #: Why not, in plain words for the applicant, who uploads instead ("" when shared).
    reason: str = ""
    #: Why not, for staff: the rule or the system that failed.
    detail: str = ""


def _subject_for(kind: str, person: str | None, enterprise: str | None) -> str | None:
    value = enterprise if kind == SubjectKind.ENTERPRISE else person
    return (value or "").strip().upper() or None


def share_promises(
    *,
    department_id: int,
    matter_id: int | None,
    resource_codes: Iterable[str],
    applicant_known: bool = False,
    person: str | None = None,
    enterprise: str | None = None,
) -> dict[str, SharePromise]:
    """The one rule of 免提交: whether each resource will be supplied for the department's matter.

    A resource is promised when it is active and the department may use it (its own, an
    unconditional one, or an approved, valid grant for the department or this matter).
    For a known applicant (``applicant_known``; ``person`` is their resident ID, ``enterprise``
    the USCC when they apply for one), the record must also be there and its provider up.
    The guide asks for anyone; the application pages and the submit check for the applicant,
    so none of them can promise what another one takes back.
    """
    codes = list(dict.fromkeys(c for c in resource_codes if c))
    if not codes:
        return {}
    resources = {r.code: r for r in DataResource.objects.filter(code__in=codes, is_active=True)}
    now = timezone.now()
    open_circuits = set(
        ProviderCircuit.objects.filter(resource_code__in=codes, open_until__gt=now).values_list(
            "resource_code", flat=True
        )
    )
    out: dict[str, SharePromise] = {}
    for code in codes:
        resource = resources.get(code)
        if resource is None:
            out[code] = SharePromise(
                code,
                False,
                _("该材料暂不能通过数据共享获取，请上传"),
                _("数据资源目录中没有该资源"),
            )
            continue
        denial = share_denial(
            resource=resource, department_id=department_id, matter_code=None, matter_id=matter_id
        )
        if denial is not None:
            out[code] = SharePromise(code, False, _("该材料暂不能通过数据共享获取，请上传"), denial)
            continue
        if not applicant_known:
            out[code] = SharePromise(code, True)
            continue
        out[code] = _promise_for_subject(
            resource, _subject_for(resource.subject_kind, person, enterprise), open_circuits
        )
    return out


def _promise_for_subject(
    resource: DataResource, subject: str | None, open_circuits: set[str]
) -> SharePromise:
    code = resource.code
    if subject is None:
        return SharePromise(
            code,
            False,
            _("以本次申请人的身份无法共享该材料，请上传"),
            _("申请人类型与数据资源的查询主体不符"),
        )
    if code in open_circuits:
        return SharePromise(
            code,
            False,
            _("提供该数据的部门系统暂时无法访问，请上传"),
            _("数据提供方暂不可用（熔断中）"),
        )
    try:
        provider = provider_for(resource)
    except ProviderUnavailable as exc:
        return SharePromise(
            code, False, _("提供该数据的部门系统暂时无法访问，请上传"), str(exc.detail)
        )
    has_record = getattr(provider, "has_record", None)
    # A remote provider cannot be asked without a case to log the query against: it is
    # promised, and a failure at the query itself still falls back to an upload.
    if callable(has_record) and not has_record(resource=resource, subject=subject):
        return SharePromise(
            code,
            False,
            _("共享数据中没有您的这项记录，请上传"),
            _("未查询到该对象的记录"),
        )
    return SharePromise(code, True)
