"""Reads of the catalogue and the access log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from tongban.catalog.models import Department
from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.exchange.audit import subject_key
from tongban.exchange.choices import ShareType
from tongban.exchange.models import AccessLog, DataField, DataResource
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
