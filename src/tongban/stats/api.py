"""The indicators over HTTP: thin handlers over ``stats.selectors``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from tongban.core.errors import PermissionDenied
from tongban.identity import selectors as identity_selectors
from tongban.identity.auth import signed_in
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.stats import heatmap, selectors
from tongban.stats.schemas import DepartmentStatsOut, HeatmapOut, OverviewOut, WaitingCasesOut

router = Router(tags=["stats"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/stats/overview",
    response=OverviewOut,
    auth=None,
    summary="改革指标概览",
    url_name="stats_overview",
    by_alias=True,
)
def stats_overview(
    request: HttpRequest,
    from_: str | None = Query(None, alias="from", max_length=40),
    to: str | None = Query(None, max_length=40),
    department: str | None = Query(None, max_length=100),
    section: str | None = Query(None, max_length=100),
) -> dict[str, Any]:
    period = selectors.period_parse(from_, to)
    return selectors.overview(period=period, department=department, section=section)


@router.get(
    "/stats/departments",
    response=list[DepartmentStatsOut],
    auth=None,
    summary="各部门指标",
    url_name="stats_departments",
)
def stats_departments(
    request: HttpRequest,
    from_: str | None = Query(None, alias="from", max_length=40),
    to: str | None = Query(None, max_length=40),
) -> list[dict[str, Any]]:
    return selectors.departments(period=selectors.period_parse(from_, to))


@router.get(
    "/stats/export.xlsx",
    auth=signed_in,
    summary="导出统计表（Excel）",
    url_name="stats_export",
    response={200: None},
)
def stats_export(
    request: HttpRequest,
    from_: str | None = Query(None, alias="from", max_length=40),
    to: str | None = Query(None, max_length=40),
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if StaffRole.CENTER_ADMIN not in identity_selectors.user_roles(user=user):
        raise PermissionDenied(_("只有中心管理员可以导出统计表"))
    period = selectors.period_parse(from_, to)
    response = HttpResponse(selectors.workbook(period=period), content_type=XLSX)
    name = f"tongban-stats-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/processes/{name}/heatmap",
    response=HeatmapOut,
    auth=signed_in,
    summary="流程热力图（各环节经过、停留、补正与连线）",
    url_name="process_heatmap",
    by_alias=True,
)
def process_heatmap(
    request: HttpRequest,
    name: str,
    from_: str | None = Query(None, alias="from", max_length=40),
    to: str | None = Query(None, max_length=40),
    version: int | None = Query(None, ge=1, le=heatmap.MAX_VERSION),
    department: str | None = Query(None, max_length=100),
) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    return heatmap.process_heatmap(
        user=user,
        name=name,
        period=selectors.period_parse(from_, to),
        version=version,
        department=department,
    )


@router.get(
    "/processes/{name}/heatmap/nodes/{node}",
    response=WaitingCasesOut,
    auth=signed_in,
    summary="在某环节等待的办件（本部门）",
    url_name="process_heatmap_node",
)
def process_heatmap_node(
    request: HttpRequest,
    name: str,
    node: str,
    version: int | None = Query(None, ge=1, le=heatmap.MAX_VERSION),
    department: str | None = Query(None, max_length=100),
    limit: int = Query(100, ge=1, le=selectors.MAX_LIMIT),
) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    return heatmap.node_waiting_cases(
        user=user, name=name, node=node, version=version, department=department, limit=limit
    )
