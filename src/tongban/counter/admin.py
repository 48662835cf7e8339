"""Django admin of the service center: a center admin configures sections, windows, staffing,
the negative list and appointments here; tickets are shown, not edited."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongban.counter.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    CenterSection,
    GuidanceRequest,
    NegativeListEntry,
    Ticket,
    Window,
    WindowAssignment,
)


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


@admin.register(CenterSection)
class CenterSectionAdmin(admin.ModelAdmin[CenterSection]):
    list_display = (
        "section",
        "letter",
        "opens_at",
        "closes_at",
        "break_start",
        "break_end",
        "slot_minutes",
        "slot_capacity",
        "default_service_minutes",
        "is_open",
    )
    list_editable = ("is_open",)
    fieldsets = (
        (None, {"fields": ("section", "letter", "is_open")}),
        (_("办公时间"), {"fields": ("opens_at", "closes_at", "break_start", "break_end")}),
        (_("预约与排队"), {"fields": ("slot_minutes", "slot_capacity", "default_service_minutes")}),
    )


class WindowAssignmentInline(admin.TabularInline[WindowAssignment, Window]):
    model = WindowAssignment
    extra = 1
    raw_id_fields = ("clerk",)
    fields = ("clerk", "date")


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin[Window]):
    list_display = ("code", "name", "name_en", "section", "kind", "is_active", "order")
    list_editable = ("is_active", "order")
    list_filter = ("section", "kind", "is_active")
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("matters",)
    inlines = (WindowAssignmentInline,)


@admin.register(WindowAssignment)
class WindowAssignmentAdmin(admin.ModelAdmin[WindowAssignment]):
    list_display = ("window", "clerk", "date")
    list_filter = ("window__section", "date")
    search_fields = ("window__code", "clerk__username", "clerk__first_name")
    raw_id_fields = ("clerk",)
    date_hierarchy = "date"


@admin.register(NegativeListEntry)
class NegativeListEntryAdmin(admin.ModelAdmin[NegativeListEntry]):
    list_display = ("matter", "handled_at", "reason")
    search_fields = ("matter__code", "matter__name", "reason", "handled_at")
    raw_id_fields = ("matter",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    """Tickets are written by the queue services only; the admin reads them."""

    list_display = (
        "number",
        "day",
        "section",
        "status",
        "source",
        "priority",
        "window",
        "issued_at",
        "called_at",
        "finished_at",
    )
    list_filter = ("day", "section", "status", "source")
    search_fields = ("number",)
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False


class AppointmentInline(admin.TabularInline[Appointment, AppointmentSlot]):
    model = Appointment
    extra = 0
    fields = ("code", "user", "matter", "status", "checked_in_at", "cancelled_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: AppointmentSlot | None = None) -> bool:
        return False


class AppointmentSlotForm(forms.ModelForm[AppointmentSlot]):
    class Meta:
        model = AppointmentSlot
        fields = ("capacity",)

    def clean_capacity(self) -> int:
        capacity = int(self.cleaned_data["capacity"])
        if capacity < self.instance.booked:
            raise forms.ValidationError(
                _("已有 %(n)s 人预约，容量不能少于此数") % {"n": self.instance.booked}
            )
        return capacity


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(admin.ModelAdmin[AppointmentSlot]):
    """A slot's capacity may be raised or lowered, never below what is booked."""

    form = AppointmentSlotForm
    list_display = ("section", "matter", "start", "end", "capacity", "booked")
    list_filter = ("section",)
    date_hierarchy = "start"
    readonly_fields = ("section", "matter", "start", "end", "booked")
    inlines = (AppointmentInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    """Bookings change through the booking services (the slot's count must follow)."""

    list_display = ("code", "slot", "user", "matter", "status", "checked_in_at")
    list_filter = ("status", "slot__section")
    search_fields = ("code", "user__username")
    readonly_fields = (
        "code",
        "slot",
        "user",
        "matter",
        "status",
        "guidance",
        "cancelled_at",
        "checked_in_at",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False


@admin.register(BookingSuspension)
class BookingSuspensionAdmin(admin.ModelAdmin[BookingSuspension]):
    """A center admin may lift a suspension early by moving ``until`` or deleting it."""

    list_display = ("user", "until", "reason", "created_at")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
