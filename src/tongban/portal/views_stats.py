"""The public indicator dashboard (数据看板): the district's headline figures, per department.

A thin view over ``tongban.stats.selectors``: it shapes the selectors' dicts into headline
cards, tables and the chart specs that static/portal/js/dashboard.js draws with ECharts.
Every chart's numbers are also in a table on the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tongban.stats import selectors as stats
from tongban.stats.charts import as_of_label, chart


def channel_rows(overview: dict[str, Any]) -> list[dict[str, Any]]:
    """Cases by channel with each channel's share of all cases."""
    by_channel = overview.get("cases_by_channel") or {}
    labels = {
        "online": _("网上申报"),
        "window": _("线下窗口"),
        "mobile": _("移动端"),
    }
    total = sum(int(by_channel.get(code) or 0) for code in labels)
    return [
        {
            "code": code,
            "label": label,
            "cases": int(by_channel.get(code) or 0),
            "share": (int(by_channel.get(code) or 0) / total) if total else None,
        }
        for code, label in labels.items()
    ]


def department_series(departments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each department's on-time rate, and its satisfaction once any case of it was rated."""
    series = [
        {
            "name": _("按时办结率"),
            "data": [row["on_time_rate"] for row in departments],
        }
    ]
    if any(row["satisfaction_rate"] is not None for row in departments):
        series.append(
            {"name": _("满意率"), "data": [row["satisfaction_rate"] for row in departments]}
        )
    return series


@require_GET
def stats_dashboard(request: HttpRequest) -> HttpResponse:
    # The last 12 months up to today (stats' default period).
    period = stats.period_parse(None, None)
    overview = stats.overview(period=period)
    departments = [
        {**row, "on_time_rate": _on_time(row["overdue_rate"])}
        for row in stats.departments(period=period)
    ]
    # The chart shows the departments that had cases; the table lists every one.
    busy = [row for row in departments if row["cases"]]
    trend = stats.trend(period=period)
    channels = channel_rows(overview)
    charts = {
        "channels": chart(
            "pie",
            [row["label"] for row in channels],
            [{"name": _("办件量"), "data": [row["cases"] for row in channels]}],
        ),
        "departments": chart(
            "bar",
            [row["name"] for row in busy],
            department_series(busy),
            unit="percent",
            horizontal=True,
        ),
        "trend": chart(
            "bar",
            [row["month"] for row in trend],
            [
                {"name": _("办件量"), "data": [row.get("cases") for row in trend]},
                {
                    "name": _("按时办结率"),
                    "kind": "line",
                    "axis": 1,
                    "data": [_on_time(row.get("overdue_rate")) for row in trend],
                },
            ],
            unit="count",
            unit2="percent",
        ),
    }
    context = {
        "overview": overview,
        "as_of": as_of_label(overview.get("as_of")),
        "period": period,
        "channels": channels,
        "departments": departments,
        "trend": trend,
        "charts": charts,
        # Department rows are taller on a phone: the bar chart grows with them.
        "departments_chart_height": 80 + 40 * len(busy),
    }
    return render(request, "portal/stats/dashboard.html", context)


def _on_time(overdue_rate: Any) -> float | None:
    return None if overdue_rate is None else round(1 - float(overdue_rate), 4)
