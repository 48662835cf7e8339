"""Cases in the Django admin: mostly read-only, since every change goes through a service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.cases.models import Case, CaseMaterial, Notification, Task, TimelineEntry


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MaterialInline(_ReadOnlyInline):
    model = CaseMaterial
    fields = [
        "requirement_code",
        "name",
        "required",
        "status",
        "origin",
        "content_type",
        "size",
        "sha256",
        "original_name",
        "uploaded_at",
        "shared_resource",
    ]
    readonly_fields = fields  # type: ignore[assignment]


class TaskInline(_ReadOnlyInline):
    model = Task
    fields = [
        "kind",
        "department",
        "role",
        "state",
        "due_date",
        "completed_by",
        "decision",
        "comment",
    ]
    readonly_fields = fields  # type: ignore[assignment]


class TimelineInline(_ReadOnlyInline):
    model = TimelineEntry
    fields = ["at", "action", "step", "department", "actor", "comment", "public"]
    readonly_fields = fields  # type: ignore[assignment]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    """Cases are changed only by services (timeline, process, notifications stay consistent)."""

    list_display = [
        "case_no",
        "matter",
        "applicant_name",
        "department",
        "status",
        "submitted_at",
        "due_date",
        "sla_state",
    ]
    list_filter = ["status", "sla_state", "department", "channel"]
    search_fields = ["case_no", "applicant_name", "matter__name", "matter__code"]
    date_hierarchy = "created_at"
    inlines = [MaterialInline, TaskInline, TimelineInline]
    list_select_related = ["matter", "department"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin[Task]):
    list_display = ["case", "kind", "department", "role", "state", "due_date", "claimed_by"]
    list_filter = ["state", "kind", "department", "role"]
    search_fields = ["case__case_no", "case__applicant_name"]
    list_select_related = ["case", "department", "claimed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["created_at", "case", "channel", "recipient", "subject", "status", "attempts"]
    list_filter = ["status", "channel"]
    search_fields = ["recipient", "subject", "case__case_no"]
    readonly_fields = [
        "case",
        "channel",
        "recipient",
        "subject",
        "body",
        "status",
        "attempts",
        "sent_at",
        "provider_message_id",
        "error",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["case"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
