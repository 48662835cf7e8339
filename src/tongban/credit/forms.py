from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CreditImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel 文件（.xlsx）"),
        help_text=_("第一张工作表，第一行为表头；任何一行有误则整份文件不导入。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
