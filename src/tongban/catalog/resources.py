"""Excel import and export of matters (django-import-export), keyed on the matter code.

An imported row goes through the same rules as ``matter_upsert``: a broken
form schema, a promised limit beyond the legal one, an unknown department or a
code repeated in the file makes the row invalid, and an import with any
invalid row saves nothing.  Materials are edited in the admin, not the sheet.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from tongban.catalog.models import (
    CertificateType,
    Department,
    Matter,
    Section,
    empty_form_schema,
)
from tongban.catalog.search import keywords_normalize
from tongban.catalog.services import (
    form_schema_ordered,
    matter_publish_if_changed,
    matter_validate,
)


class CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related object's code; an unknown code is a field error."""

    def __init__(self, model: type[Any], label: str) -> None:
        super().__init__(model, field="code")
        self.label = label

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                _("%(label)s代码“%(code)s”不存在") % {"label": self.label, "code": value}
            ) from None


class StrictJSONWidget(widgets.JSONWidget):
    """JSON cells; a cell that is not JSON is a field error, not a crash."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if isinstance(value, dict | list):
            return value
        try:
            return super().clean(value, row, **kwargs)
        except ValueError as exc:
            raise ValueError(_("不是有效的 JSON：%(problem)s") % {"problem": exc}) from None


class MatterResource(resources.ModelResource):
    department = fields.Field(
        attribute="department", column_name="department", widget=CodeWidget(Department, "部门")
    )
    section = fields.Field(
        attribute="section", column_name="section", widget=CodeWidget(Section, "板块")
    )
    certificate_type = fields.Field(
        attribute="certificate_type",
        column_name="certificate_type",
        widget=CodeWidget(CertificateType, "证照类型"),
    )
    channels = fields.Field(attribute="channels", column_name="channels", widget=StrictJSONWidget())
    form_schema = fields.Field(
        attribute="form_schema", column_name="form_schema", widget=StrictJSONWidget()
    )
    process_params = fields.Field(
        attribute="process_params", column_name="process_params", widget=StrictJSONWidget()
    )

    class Meta:
        model = Matter
        import_id_fields = ("code",)
        exclude = (
            "id",
            "version",
            "search_text",
            "search_name",
            "search_keywords",
            "created_at",
            "updated_at",
        )
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        codes = [str(code).strip() for code in dataset["code"]] if "code" in dataset.headers else []
        self._repeated_codes = {code for code, n in Counter(codes).items() if n > 1 and code}
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        code = str(row.get("code") or "").strip()
        if code in getattr(self, "_repeated_codes", set()):
            raise ValidationError(
                {"code": _("事项编码“%(code)s”在文件中出现了多次") % {"code": code}}
            )
        super().before_import_row(row, **kwargs)

    def import_instance(self, instance: Matter, row: Any, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        # Empty JSON cells mean "nothing", which the model stores as its default.
        if instance.form_schema is None:
            instance.form_schema = empty_form_schema()
        instance.form_schema = form_schema_ordered(instance.form_schema)
        instance.keywords = keywords_normalize(instance.keywords or "")
        if instance.channels is None:
            instance.channels = []
        if instance.process_params is None:
            instance.process_params = {}

    def validate_instance(
        self,
        instance: Matter,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        errors = dict(import_validation_errors or {})
        for error in matter_validate(instance):
            if error.field not in errors:
                errors[error.field] = [str(error.message)]
        super().validate_instance(instance, errors, validate_unique)

    def after_save_instance(self, instance: Matter, row: Any, **kwargs: Any) -> None:
        # A dry run happens inside a rolled-back transaction, so publishing here is safe.
        user = kwargs.get("user")
        matter_publish_if_changed(
            matter=instance, published_by=getattr(user, "username", "") or "import"
        )
