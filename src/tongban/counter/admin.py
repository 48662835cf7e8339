from django.contrib import admin

from tongban.counter.models import GuidanceRequest


@admin.register(GuidanceRequest)
class GuidanceRequestAdmin(admin.ModelAdmin[GuidanceRequest]):
    list_display = (
        "id",
        "kind",
        "matter",
        "applicant_user",
        "status",
        "appointment_at",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("matter__code", "matter__name", "applicant_user__username", "description")
    raw_id_fields = ("matter", "applicant_user", "applicant_enterprise", "answered_by")
    readonly_fields = ("created_at", "updated_at")
