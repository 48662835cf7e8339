"""Center admins maintain the working-day calendar here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tongban.workflow.models import CalendarDay, CalendarYear, ProcessDefinition
from tongban.workflow.services import provisional_deadlines_recompute


class YearFilter(admin.SimpleListFilter):
    title = _("年份")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin[CalendarYear]):
    list_display = ["year", "source", "entered_by", "updated_at"]
    search_fields = ["year", "source"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        if not change and not obj.entered_by:
            obj.entered_by = request.user.get_username()
        super().save_model(request, obj, form, change)
        if not change:
            # The days were added first; marking the year entered makes them count.
            provisional_deadlines_recompute(obj.year)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    list_display = ["date", "weekday", "kind", "name", "name_en"]
    list_filter = [YearFilter, "kind"]
    search_fields = ["name", "name_en"]
    date_hierarchy = "date"
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return str(
            [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")][obj.date.weekday()]
        )


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin[ProcessDefinition]):
    """Read-only: a version is uploaded, approved and published in the process studio
    (/workbench/studio/), where the four-eyes rule holds; nothing here may bypass it."""

    list_display = [
        "name",
        "version",
        "kind",
        "status",
        "uploaded_by",
        "created_at",
        "reviewed_by",
        "published_at",
        "studio_link",
    ]
    list_filter = ["kind", "status", "name"]
    search_fields = ["name", "note", "digest"]
    ordering = ["name", "-version"]
    exclude = ["spec"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcessDefinition]:
        return (
            super().get_queryset(request).select_related("uploaded_by", "reviewed_by").defer("spec")
        )

    @admin.display(description=_("流程工作室"))
    def studio_link(self, obj: ProcessDefinition) -> str:
        url = reverse("workbench:studio_version", kwargs={"name": obj.name, "version": obj.version})
        return format_html('<a href="{}">{}</a>', url, _("在流程工作室中查看"))
