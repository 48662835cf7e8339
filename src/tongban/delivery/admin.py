"""Delivery orders in the Django admin: read-only, since status changes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.delivery.models import DeliveryEvent, DeliveryOrder


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    fields = ["at", "status", "location", "note"]
    readonly_fields = fields  # type: ignore[assignment]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeliveryOrder)
class DeliveryOrderAdmin(admin.ModelAdmin):
    list_display = ["tracking_no", "case", "carrier", "status", "attempts", "shipped_at"]
    list_filter = ["status", "carrier"]
    search_fields = ["tracking_no", "case__case_no", "recipient"]
    # Guarded transitions (no going back, delivered is final) live in delivery.services.
    readonly_fields = [
        "case",
        "carrier",
        "tracking_no",
        "status",
        "attempts",
        "shipped_at",
        "delivered_at",
    ]
    inlines = [DeliveryEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
