"""Django admin for the catalogue; saving a matter publishes a new guide version."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import XLSX

from tongban.catalog.models import (
    CertificateType,
    Department,
    MaterialRequirement,
    Matter,
    MatterVersion,
    SearchSynonym,
    Section,
    Theme,
    ThemeMatter,
)
from tongban.catalog.resources import MatterResource
from tongban.catalog.search import keywords_normalize, search_cache_invalidate
from tongban.catalog.services import (
    form_schema_ordered,
    matter_publish_if_changed,
    matter_validate,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "short_name", "order", "in_center")
    list_editable = ("order",)
    list_filter = ("in_center",)
    search_fields = ("code", "name", "name_en", "short_name")


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "order")
    search_fields = ("code", "name", "name_en")


@admin.register(CertificateType)
class CertificateTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "validity_years", "is_combined")
    list_filter = ("is_combined", "department")
    search_fields = ("code", "name", "name_en")


class MaterialRequirementInline(admin.TabularInline):
    model = MaterialRequirement
    extra = 0
    fields = (
        "order",
        "code",
        "name",
        "name_en",
        "required",
        "key",
        "copies",
        "form",
        "source",
        "shared_resource",
        "description",
        "description_en",
    )


class MatterAdminForm(forms.ModelForm):
    class Meta:
        model = Matter
        fields = "__all__"  # noqa: DJ007

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        self.instance.form_schema = form_schema_ordered(self.instance.form_schema)
        self.instance.keywords = keywords_normalize(self.instance.keywords or "")
        # _post_clean copies the cleaned values onto the instance; check the
        # domain rules against those values.
        for error in matter_validate(self.instance):
            if error.field in self.errors:
                continue
            self.add_error(error.field if error.field in self.fields else None, str(error.message))


@admin.register(Matter)
class MatterAdmin(ImportExportModelAdmin):
    form = MatterAdminForm
    resource_classes = [MatterResource]
    import_formats = [XLSX]
    export_formats = [XLSX]
    inlines = [MaterialRequirementInline]
    list_display = (
        "code",
        "name",
        "department",
        "section",
        "audience",
        "online_depth",
        "promised_limit_days",
        "version",
        "is_active",
    )
    list_filter = ("is_active", "audience", "kind", "online_depth", "section", "department")
    search_fields = ("code", "name", "name_en", "keywords")
    list_select_related = ("department", "section")
    readonly_fields = ("version",)
    autocomplete_fields = ("department", "section", "certificate_type")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    ("name", "name_en"),
                    ("kind", "audience"),
                    ("department", "section"),
                    "keywords",
                    ("is_active", "version"),
                )
            },
        ),
        (
            _("办事指南"),
            {
                "fields": (
                    ("summary", "summary_en"),
                    ("legal_basis", "legal_basis_en"),
                    ("conditions", "conditions_en"),
                    ("legal_limit_days", "promised_limit_days"),
                    ("fee", "fee_basis", "fee_basis_en"),
                    ("max_visits", "online_depth"),
                    "channels",
                    "commitment_eligible",
                    ("window_address", "window_address_en", "consult_phone"),
                )
            },
        ),
        (
            _("表单与流程"),
            {"fields": ("form_schema", "process", "process_params", "certificate_type")},
        ),
    )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Materials are saved with the inlines, so publish only after them.
        matter_publish_if_changed(
            matter=form.instance, published_by=getattr(request.user, "username", "")
        )
        transaction.on_commit(search_cache_invalidate)


@admin.register(MatterVersion)
class MatterVersionAdmin(admin.ModelAdmin):
    list_display = ("matter", "version", "published_at", "published_by")
    list_filter = ("matter__department",)
    search_fields = ("matter__code", "matter__name")
    list_select_related = ("matter",)
    readonly_fields = ("matter", "version", "published_at", "published_by", "guide")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ThemeMatterInline(admin.TabularInline):
    model = ThemeMatter
    extra = 0
    autocomplete_fields = ("matter",)
    fields = ("order", "matter", "stage")


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    inlines = [ThemeMatterInline]
    list_display = ("code", "name", "section", "audience", "promised_limit_days", "is_active")
    list_filter = ("is_active", "audience", "section")
    search_fields = ("code", "name", "name_en", "keywords")


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "expansions")
    search_fields = ("term", "expansions")
