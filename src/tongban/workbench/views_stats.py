"""The internal indicator dashboard (指标看板) for the center admin and department heads.

The center admin sees the whole district and may narrow it to a department or section;
a department head (approver or supervisor) sees their own department only. The figures
come from ``tongban.stats.selectors``; this view checks the filters, shapes the tables
and the chart specs that static/portal/js/dashboard.js draws, and links each overdue case
to its case page when the reader may open it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tongban.cases import selectors as case_selectors
from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.models import localized
from tongban.core.errors import DomainError
from tongban.identity.choices import StaffRole
from tongban.stats import selectors as stats
from tongban.stats.charts import as_of_label, chart
from tongban.workbench.forms import StatsFilterForm
from tongban.workbench.views import STATS_ROLES, StaffRequest, staff_context, staff_required

#: Rows of the slowest matters and of the overdue cases to chase.
SLOWEST_MATTERS = 20
OVERDUE_CASES = 50


def _messages(form: StatsFilterForm, exc: DomainError) -> list[str]:
    """A DomainError's field errors, each named by its filter's label."""
    out = []
    for error in exc.errors:
        field = form.fields.get(error.field)
        out.append(f"{field.label}：{error.message}" if field is not None else str(error.message))
    return out or [str(exc.detail)]


def _forbidden(request: StaffRequest, title: str, message: str) -> HttpResponse:
    context = {**staff_context(request, "stats"), "title": title, "message": message}
    return render(request, "workbench/403.html", context, status=403)


@require_GET
@staff_required
def stats_dashboard(request: StaffRequest) -> HttpResponse:
    roles = set(request.roles)
    if not STATS_ROLES.intersection(roles):
        return _forbidden(
            request,
            _("数据看板仅供中心管理员和部门负责人使用"),
            _("您的岗位没有查看指标看板的权限。部门数据请向本部门审批或监管负责人了解。"),
        )
    is_admin = StaffRole.CENTER_ADMIN in roles
    own = request.staff.department
    if not is_admin and request.GET.get("department", own.code) not in ("", own.code):
        return _forbidden(
            request,
            _("只能查看本部门的数据"),
            _("部门负责人只能查看本部门的指标；全区数据请查看中心管理员的看板或公开数据看板。"),
        )
    departments = [(d.code, localized(d, "name")) for d in catalog_selectors.department_list()]
    if not is_admin:
        departments = [(own.code, localized(own, "name"))]
    sections = [(s.code, localized(s, "name")) for s in catalog_selectors.section_list()]
    data = request.GET.copy()
    if not is_admin:
        data["department"] = own.code
    form = StatsFilterForm(
        data, departments=departments, sections=sections, all_departments=is_admin
    )
    errors: list[str] = []
    period = None
    if form.is_valid():
        # Without dates: the last 12 months up to today (stats' default period).
        start, end = form.cleaned_data["from"], form.cleaned_data["to"]
        try:
            period = stats.period_parse(start or None, end or None)
        except DomainError as exc:
            errors = _messages(form, exc)
    else:
        errors = [
            f"{form.fields[name].label}：{message}"
            for name, messages in form.errors.items()
            for message in messages
        ]
    context: dict[str, Any] = {
        **staff_context(request, "stats"),
        "form": form,
        "errors": errors,
        "is_admin": is_admin,
        # What the form shows: the input as typed (cut short), then the period used.
        "filters": {
            name: data.get(name, "")[:40] for name in ("from", "to", "department", "section")
        },
    }
    if errors or period is None:
        return render(request, "workbench/stats/dashboard.html", context, status=400)
    department = form.cleaned_data["department"] or None
    section = form.cleaned_data["section"] or None
    try:
        context.update(_figures(request, period=period, department=department, section=section))
    except DomainError as exc:
        context["errors"] = _messages(form, exc)
        return render(request, "workbench/stats/dashboard.html", context, status=400)
    context["period"] = period
    context["filters"] = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "department": department or "",
        "section": section or "",
    }
    if is_admin:
        query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        # The API's export takes the page's session (GET, so no CSRF) and keeps the same
        # rule: the center admin only.
        context["export_url"] = f"{reverse('api:stats_export')}?{urlencode(query)}"
    return render(request, "workbench/stats/dashboard.html", context)


def _figures(
    request: StaffRequest, *, period: stats.Period, department: str | None, section: str | None
) -> dict[str, Any]:
    scope = {"department": department, "section": section}
    overview = stats.overview(period=period, **scope)
    trend = stats.trend(period=period, **scope)
    matters = stats.matters(period=period, limit=SLOWEST_MATTERS, **scope)
    slowest = matters[:10]
    overdue = _with_case_links(request, stats.overdue_cases(limit=OVERDUE_CASES, **scope))
    funnel = _funnel_rows(stats.company_funnel(period=period))
    themes = stats.themes(period=period)
    departments = stats.departments(period=period) if department is None else []
    versions = stats.process_versions(period=period, department=department)
    span = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    for row in versions:
        query = {
            **span,
            "version": row["version"],
            **({"department": department} if department else {}),
        }
        row["heatmap_url"] = (
            f"{reverse('workbench:process_heatmap', args=[row['process']])}?{urlencode(query)}"
        )
    charts = {
        "trend": chart(
            "bar",
            [row["month"] for row in trend],
            [
                {"name": _("办件量"), "data": [row["cases"] for row in trend]},
                {
                    "name": _("办理时间中位数（工作日）"),
                    "kind": "line",
                    "axis": 1,
                    "data": [row["median_working_days"] for row in trend],
                },
            ],
            unit2="days",
        ),
        "matters": chart(
            "bar",
            [row["name"] for row in slowest],
            [
                {"name": _("中位数"), "data": [row["median_working_days"] for row in slowest]},
                {"name": "P90", "data": [row["p90_working_days"] for row in slowest]},
                {"name": _("承诺时限"), "data": [row["promised_limit_days"] for row in slowest]},
            ],
            unit="days",
            horizontal=True,
        ),
        "funnel": chart(
            "funnel",
            [row["label"] for row in funnel],
            [{"name": _("开办企业"), "data": [row["count"] for row in funnel]}],
        ),
        "themes": chart(
            "bar",
            [row["name"] for row in themes],
            [
                {"name": _("环节数"), "data": [row["steps"] for row in themes]},
                {
                    "name": _("办理时间中位数（工作日）"),
                    "data": [row["median_working_days"] for row in themes],
                },
            ],
            horizontal=True,
        ),
    }
    return {
        "overview": overview,
        "as_of": as_of_label(overview["as_of"]),
        "trend": trend,
        "matters": matters,
        "overdue": overdue,
        "funnel": funnel if funnel[0]["count"] else [],
        "themes": themes,
        "departments": departments,
        "versions": versions,
        "charts": charts,
        "matters_chart_height": 90 + 56 * len(slowest),
        "themes_chart_height": 90 + 48 * len(themes),
    }


def _funnel_rows(funnel: dict[str, Any]) -> list[dict[str, Any]]:
    """开办企业's stages, each with its count and its share of the applications submitted."""
    stages = [
        ("submitted", _("提交申请"), None),
        ("accepted", _("预审通过"), "accepted_rate"),
        ("approved", _("核准"), "approved_rate"),
        ("completed", _("全部结果办出"), "completed_rate"),
    ]
    return [
        {
            "stage": key,
            "label": label,
            "count": funnel[key],
            "share": funnel[rate] if rate else (1.0 if funnel["submitted"] else None),
        }
        for key, label, rate in stages
    ]


def _with_case_links(request: StaffRequest, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each overdue case with its workbench page, when the reader's department may open it.

    One query for the whole list: the cases among them the reader sees as staff (those on
    which their department has or had a task), as the case page itself decides.
    """
    visible = set(
        case_selectors.case_list_for_staff(user=request.user)
        .filter(id__in=[row["id"] for row in rows])
        .values_list("id", flat=True)
    )
    return [
        {**row, "url": reverse("workbench:case", args=[row["id"]]) if row["id"] in visible else ""}
        for row in rows
    ]
