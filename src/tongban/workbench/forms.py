"""Forms of the workbench: they only shape input; the cases services enforce the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from tongban.cases.choices import DECISIONS_BY_KIND, Decision

#: Longest comment or reason accepted from a page (the services keep it as text).
MAX_TEXT = 2000


class DecisionForm(forms.Form):
    """A decision on a task (the supplement request has its own form)."""

    decision = forms.ChoiceField(label=_("决定"), choices=Decision.choices)
    comment = forms.CharField(
        label=_("意见"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = [d for d in DECISIONS_BY_KIND.get(kind, ()) if d != Decision.REQUEST_SUPPLEMENT]
        labels = dict(Decision.choices)
        field = cast(forms.ChoiceField, self.fields["decision"])
        field.choices = [(d, labels[d]) for d in allowed]
        field.error_messages["invalid_choice"] = _("此环节不能作出该决定。")


class SupplementForm(forms.Form):
    """一次性告知: every missing material or field, each with a reason, in one notice."""

    message = forms.CharField(
        label=_("告知说明"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        materials: list[tuple[str, str]],
        fields: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        #: (kind, code, label) of everything the clerk may ask for.
        self.options: list[tuple[str, str, str]] = [
            ("material", code, name) for code, name in materials
        ] + [("field", code, title) for code, title in fields]
        self.items: list[dict[str, str]] = []

    def _posted(self) -> QueryDict:
        return cast(QueryDict, self.data)

    @staticmethod
    def key(kind: str, code: str) -> str:
        return f"{kind}:{code}"

    def rows(self) -> list[dict[str, Any]]:
        """The options with what was ticked and typed, for the template."""
        chosen = set(self._posted().getlist("items")) if self.is_bound else set()
        out = []
        for kind, code, label in self.options:
            key = self.key(kind, code)
            out.append(
                {
                    "key": key,
                    "kind": kind,
                    "label": label,
                    "checked": key in chosen,
                    "reason": self.data.get(f"reason:{key}", "") if self.is_bound else "",
                    "error": self.reason_errors.get(key, ""),
                }
            )
        return out

    @property
    def reason_errors(self) -> dict[str, str]:
        return getattr(self, "_reason_errors", {})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        known = {self.key(kind, code): (kind, code) for kind, code, _label in self.options}
        chosen = [k for k in self._posted().getlist("items") if k in known]
        errors: dict[str, str] = {}
        items = []
        for key in dict.fromkeys(chosen):
            reason = self.data.get(f"reason:{key}", "").strip()[:MAX_TEXT]
            if not reason:
                errors[key] = str(_("请填写需要补正的原因。"))
            kind, code = known[key]
            items.append({"kind": kind, "code": code, "reason": reason})
        self._reason_errors = errors
        if not items:
            raise forms.ValidationError(_("请至少选择一项需要补正的材料或内容。"))
        if errors:
            raise forms.ValidationError(_("每一项补正都要写明原因。"))
        self.items = items
        return cleaned


class ExtensionForm(forms.Form):
    """延期: extra working days with a reason (行政许可法第四十二条), once per case."""

    days = forms.IntegerField(label=_("延期天数（工作日）"), min_value=1, max_value=365)
    reason = forms.CharField(
        label=_("延期理由"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.CharField(label=_("状态"), required=False, max_length=24)


class StatsFilterForm(forms.Form):
    """The internal dashboard's filters; the period itself is checked by stats' period_parse."""

    department = forms.ChoiceField(label=_("部门"), required=False)
    section = forms.ChoiceField(label=_("板块"), required=False)

    def __init__(
        self,
        *args: Any,
        departments: list[tuple[str, str]],
        sections: list[tuple[str, str]],
        all_departments: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the two dates are declared here.
        for name, label in (("from", _("起始日期")), ("to", _("截止日期"))):
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=10,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
        department = cast(forms.ChoiceField, self.fields["department"])
        everything: list[tuple[str, Any]] = [("", _("全部部门"))] if all_departments else []
        department.choices = [*everything, *departments]
        department.error_messages["invalid_choice"] = _("没有这个部门。")
        section = cast(forms.ChoiceField, self.fields["section"])
        section.choices = [("", _("全部板块")), *sections]
        section.error_messages["invalid_choice"] = _("没有这个板块。")
        self.order_fields(["from", "to", "department", "section"])
