"""Exchange endpoints: the public data catalogue, share grants, and 谁用了我的数据."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from tongban.catalog.models import Department, localized
from tongban.core.boundary import MAX_PAGE
from tongban.core.errors import NotFound, PermissionDenied
from tongban.exchange import selectors, services
from tongban.exchange.choices import AccessResult, GrantStatus, ShareType
from tongban.exchange.models import AccessLog, DataResource, ShareGrant
from tongban.exchange.schemas import (
    DataAccessPageOut,
    GrantDecideIn,
    GrantIn,
    GrantOut,
    ResourceDetailOut,
    ResourcePageOut,
)
from tongban.identity.auth import signed_in
from tongban.identity.models import User
from tongban.identity.selectors import user_staff

router = Router(tags=["exchange"])

RESOURCE_PAGE_SIZE = 50
ACCESS_PAGE_SIZE = 50


def _department(department: Department) -> dict[str, str]:
    return {"code": department.code, "name": department.name, "name_en": department.name_en}


def _resource(resource: DataResource, field_count: int) -> dict[str, Any]:
    return {
        "code": resource.code,
        "name": resource.name,
        "name_en": resource.name_en,
        "provider": _department(resource.provider),
        "description": resource.description,
        "share_type": resource.share_type,
        "share_type_label": str(ShareType(resource.share_type).label)
        if resource.share_type in ShareType.values
        else resource.share_type,
        "share_condition": resource.share_condition,
        "open_type": resource.open_type,
        "update_cycle": resource.update_cycle,
        "format": resource.format,
        "subject_kind": resource.subject_kind,
        "field_count": field_count,
    }


def _page(items: QuerySet[Any], page: int, size: int) -> tuple[list[Any], int, int, int]:
    total = items.count()
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    return list(items[(page - 1) * size : page * size]), total, page, pages


def _grant(grant: ShareGrant) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "resource": grant.resource.code,
        "department": grant.department.code,
        "matter": grant.matter.code if grant.matter else None,
        "reason": grant.reason,
        "status": grant.status,
        "status_label": str(GrantStatus(grant.status).label),
        "requested_by": grant.requested_by.get_username(),
        "requested_at": grant.created_at,
        "decided_by": grant.decided_by.get_username() if grant.decided_by else None,
        "decided_at": grant.decided_at,
        "decision_note": grant.decision_note,
        "valid_until": grant.valid_until,
    }


@router.get("/exchange/resources", response=ResourcePageOut, auth=None, summary="政务信息资源目录")
def resources(
    request: HttpRequest,
    department: str = "",
    q: str = "",
    page: int = Query(1, ge=1, le=MAX_PAGE, description="页码"),
) -> Any:
    items, total, page, pages = _page(
        selectors.resource_list(department_code=department or None, q=q[:100]),
        page,
        RESOURCE_PAGE_SIZE,
    )
    return {
        "items": [_resource(r, r.field_count) for r in items],
        "total": total,
        "page": page,
        "pages": pages,
        "page_size": RESOURCE_PAGE_SIZE,
    }


@router.get(
    "/exchange/resources/{code}", response=ResourceDetailOut, auth=None, summary="数据资源详情"
)
def resource_detail(request: HttpRequest, code: str) -> Any:
    resource = selectors.resource_get(code)
    fields = list(resource.fields.all())
    return {
        **_resource(resource, len(fields)),
        "fields": [
            {
                "code": f.code,
                "name": f.name,
                "name_en": f.name_en,
                "data_type": f.data_type,
                "description": f.description,
                "sensitive": f.sensitive,
            }
            for f in fields
        ],
    }


@router.post("/exchange/grants", response={201: GrantOut}, auth=signed_in, summary="申请共享授权")
def grant_request(request: HttpRequest, payload: GrantIn) -> Any:
    user = request.user
    assert isinstance(user, User)
    staff = user_staff(user=user)
    if staff is None:
        raise PermissionDenied(_("只有部门工作人员可以申请共享授权"))
    grant = services.grant_request(
        actor=user,
        resource_code=payload.resource.strip(),
        department_code=staff.department.code,
        matter_code=(payload.matter or "").strip() or None,
        reason=payload.reason,
    )
    return Status(201, _grant(grant))


@router.post(
    "/exchange/grants/{grant_id}/decide",
    response=GrantOut,
    auth=signed_in,
    summary="审核共享授权",
)
def grant_decide(request: HttpRequest, grant_id: int, payload: GrantDecideIn) -> Any:
    user = request.user
    assert isinstance(user, User)
    grant = (
        ShareGrant.objects.select_related("resource", "department", "matter", "requested_by")
        .filter(pk=grant_id)
        .first()
    )
    if grant is None:
        raise NotFound(_("共享授权申请不存在"))
    decided = services.grant_decide(
        actor=user,
        grant=grant,
        approve=payload.approve,
        note=payload.note,
        valid_until=payload.valid_until,
    )
    return _grant(decided)


@router.get("/me/data-access", response=DataAccessPageOut, auth=signed_in, summary="谁用了我的数据")
def data_access(
    request: HttpRequest, page: int = Query(1, ge=1, le=MAX_PAGE, description="页码")
) -> Any:
    logs: list[AccessLog]
    logs, total, page, pages = _page(
        selectors.access_log_for_subject(user=request.user), page, ACCESS_PAGE_SIZE
    )
    names = {
        r.code: localized(r, "name")
        for r in DataResource.objects.filter(code__in={log.resource_code for log in logs})
    }
    return {
        "items": [
            {
                "seq": log.seq,
                "at": log.at,
                "department": _department(log.department),
                "resource_code": log.resource_code,
                "resource_name": names.get(log.resource_code, log.resource_code),
                "subject_masked": log.subject_masked,
                "case_no": log.case_no,
                "purpose": log.purpose,
                "fields_returned": [str(f) for f in log.fields_returned or []],
                "result": log.result,
                "result_label": str(AccessResult(log.result).label)
                if log.result in AccessResult.values
                else log.result,
            }
            for log in logs
        ],
        "total": total,
        "page": page,
        "pages": pages,
        "page_size": ACCESS_PAGE_SIZE,
    }
