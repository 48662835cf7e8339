"""Admin forms: normalise numbers before the model validators and uniqueness check run."""

from __future__ import annotations

from django import forms

from tongban.identity.models import Enterprise, Person


class PersonAdminForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["user", "name", "id_number", "gender", "phone", "address"]

    def clean_id_number(self) -> str:
        # A lower-case x is the same number; store one spelling so uniqueness holds.
        return str(self.cleaned_data["id_number"]).strip().upper()


class EnterpriseAdminForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "legal_representative", "address", "established_on"]

    def clean_uscc(self) -> str:
        return str(self.cleaned_data["uscc"]).strip().upper()
