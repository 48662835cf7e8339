from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.core.errors import ValidationFailed
from tongban.credit.choices import SubjectType
from tongban.credit.forms import CreditImportForm
from tongban.credit.models import CreditRecord
from tongban.credit.selectors import credit_manager_is
from tongban.credit.services import credit_import_xlsx, credit_template_xlsx
from tongban.identity.masking import mask_id_number
from tongban.identity.models import User

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@admin.register(CreditRecord)
class CreditRecordAdmin(admin.ModelAdmin):
    """Read-only list of credit records; new ones come from the Excel import."""

    change_list_template = "admin/credit/creditrecord/change_list.html"
    list_display = (
        "subject_name",
        "masked_subject",
        "subject_type",
        "list_kind",
        "level",
        "source",
        "valid_from",
        "valid_until",
        "ended_on",
    )
    list_filter = ("list_kind", "level", "source", "subject_type")
    # Only an exact identifier matches, so the list never leaks ID numbers by prefix.
    search_fields = ("subject_name", "=subject")
    list_select_related = ("source",)
    readonly_fields = ("masked_subject",)
    exclude = ("subject",)

    @admin.display(description=gettext_lazy("主体标识"))
    def masked_subject(self, obj: CreditRecord) -> str:
        if obj.subject_type == SubjectType.PERSON:
            return mask_id_number(obj.subject)
        return obj.subject

    # Center admins keep credit records although their group holds no credit permissions:
    # records are entered through the checked import and never changed or deleted here.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return credit_manager_is(user=request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return credit_manager_is(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="credit_creditrecord_import",
            ),
            path(
                "import/template/",
                self.admin_site.admin_view(self.template_view),
                name="credit_creditrecord_import_template",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_import": credit_manager_is(user=request.user),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not credit_manager_is(user=request.user):
            raise DjangoPermissionDenied
        errors: list[str] = []
        summary = ""
        if request.method == "POST":
            form = CreditImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    result = credit_import_xlsx(
                        actor=cast(User, request.user), file=form.cleaned_data["file"]
                    )
                except ValidationFailed as exc:
                    summary = str(exc.detail)
                    errors = [str(e.message) for e in exc.errors]
                else:
                    self.message_user(
                        request,
                        _("已导入 %(n)d 条信用记录") % {"n": result.created},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:credit_creditrecord_changelist"))
        else:
            form = CreditImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("从 Excel 导入信用记录"),
            "form": form,
            "summary": summary,
            "row_errors": errors,
        }
        return TemplateResponse(
            request,
            "admin/credit/creditrecord/import.html",
            context,
            status=422 if summary else 200,
        )

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not credit_manager_is(user=request.user):
            raise DjangoPermissionDenied
        response = HttpResponse(credit_template_xlsx(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = "attachment; filename=credit-import-template.xlsx"
        return response
