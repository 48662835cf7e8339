"""The exchange in the Django admin.

Share grants are decided only through ``grant_decide`` (the approve/refuse
actions), and the access log is read-only for everyone, superusers included:
its rows are evidence, and the hash chain would flag any edit anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.core.errors import DomainError
from tongban.exchange.models import (
    AccessLog,
    AuditCheckpoint,
    DataField,
    DataResource,
    ELicence,
    ProviderCircuit,
    RegistryRecord,
    ShareGrant,
)
from tongban.exchange.services import grant_decide
from tongban.identity.models import User


class DataFieldInline(admin.TabularInline):
    model = DataField
    extra = 0
    fields = ["order", "code", "name", "name_en", "data_type", "description", "sensitive"]


@admin.register(DataResource)
class DataResourceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "provider", "share_type", "adapter", "is_active"]
    list_filter = ["share_type", "open_type", "adapter", "is_active", "provider"]
    search_fields = ["code", "name", "name_en", "description"]
    list_select_related = ["provider"]
    inlines = [DataFieldInline]


def _decide(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[ShareGrant],
    approve: bool,
) -> None:
    user = request.user
    assert isinstance(user, User)
    done = 0
    for grant in queryset:
        try:
            grant_decide(actor=user, grant=grant, approve=approve)
        except DomainError as exc:
            modeladmin.message_user(request, f"{grant}：{exc.detail}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request, _("已审核 %(n)s 项授权申请") % {"n": done}, messages.SUCCESS
        )


@admin.action(description=gettext_lazy("批准所选授权申请"))
def grants_approve(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ShareGrant]
) -> None:
    _decide(modeladmin, request, queryset, True)


@admin.action(description=gettext_lazy("拒绝所选授权申请"))
def grants_refuse(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ShareGrant]
) -> None:
    _decide(modeladmin, request, queryset, False)


@admin.register(ShareGrant)
class ShareGrantAdmin(admin.ModelAdmin):
    list_display = ["resource", "department", "matter", "status", "valid_until", "created_at"]
    list_filter = ["status", "department"]
    search_fields = ["resource__code", "resource__name", "reason"]
    list_select_related = ["resource", "department", "matter"]
    autocomplete_fields = ["resource"]
    actions = [grants_approve, grants_refuse]
    # The decision is the service's: it checks the role and the state.
    readonly_fields = ["status", "requested_by", "decided_by", "decided_at", "decision_note"]

    def save_model(self, request: HttpRequest, obj: ShareGrant, form: Any, change: bool) -> None:
        if not change:
            assert isinstance(request.user, User)
            obj.requested_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RegistryRecord)
class RegistryRecordAdmin(admin.ModelAdmin):
    list_display = ["resource", "subject", "updated_at"]
    list_filter = ["resource"]
    search_fields = ["subject", "resource__code"]
    list_select_related = ["resource"]
    autocomplete_fields = ["resource"]


@admin.register(ELicence)
class ELicenceAdmin(admin.ModelAdmin):
    list_display = [
        "licence_type",
        "number",
        "holder_name",
        "issuer",
        "issued_on",
        "valid_until",
        "status",
        "source",
    ]
    list_filter = ["licence_type", "status", "source", "issuer"]
    search_fields = ["number", "holder_subject", "holder_name"]
    list_select_related = ["issuer"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = [
        "seq",
        "at",
        "department",
        "resource_code",
        "subject_masked",
        "case_no",
        "result",
    ]
    list_filter = ["result", "department"]
    search_fields = ["resource_code", "case_no", "purpose"]
    list_select_related = ["department"]
    exclude = ["subject_key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(admin.ModelAdmin):
    """Read-only: a checkpoint is made only by signing (exchange.audit)."""

    list_display = ["number", "seq", "row_at", "at", "key_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderCircuit)
class ProviderCircuitAdmin(admin.ModelAdmin):
    list_display = ["resource_code", "failures", "open_until", "last_error", "updated_at"]
    readonly_fields = ["updated_at"]
