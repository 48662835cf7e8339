from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongban.identity.choices import StaffRole
from tongban.identity.forms import EnterpriseAdminForm, PersonAdminForm
from tongban.identity.masking import mask_id_number, mask_phone
from tongban.identity.models import Agent, ApiToken, Enterprise, Person, StaffProfile, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "masked_phone", "is_staff", "is_active")
    search_fields = ("username", "first_name", "last_name", "email", "=phone")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("联系方式"), {"fields": ("phone",)}),
    )

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonAdminForm
    list_display = ("name", "masked_id_number", "gender", "masked_phone", "user")
    # Only an exact ID number matches, so the list never leaks numbers by prefix.
    search_fields = ("name", "=id_number")
    list_filter = ("gender",)
    raw_id_fields = ("user",)

    @admin.display(description=_("身份证号"))
    def masked_id_number(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: Person) -> str:
        return mask_phone(obj.phone)


class AgentInline(admin.TabularInline):
    model = Agent
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    form = EnterpriseAdminForm
    list_display = ("name", "uscc", "legal_representative", "established_on")
    search_fields = ("name", "uscc")
    inlines = [AgentInline]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("user", "enterprise", "valid_until", "revoked")
    list_filter = ("revoked",)
    search_fields = ("user__username", "enterprise__name", "enterprise__uscc")
    raw_id_fields = ("user", "enterprise")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "department", "title", "roles")
    list_filter = ("department",)
    search_fields = ("user__username", "user__first_name")
    raw_id_fields = ("user",)

    @admin.display(description=_("角色"))
    def roles(self, obj: StaffProfile) -> str:
        labels = dict(StaffRole.choices)
        names = obj.user.groups.values_list("name", flat=True)
        return "、".join(str(labels.get(name, name)) for name in names)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be inspected and deleted (revoked), never created or read back."""

    list_display = ("user", "created_at", "expires_at")
    fields = ("user", "created_at", "expires_at")
    readonly_fields = ("user", "created_at", "expires_at")
    search_fields = ("user__username",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
