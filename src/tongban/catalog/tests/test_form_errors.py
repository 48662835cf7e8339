"""Field errors of an application form against its JSON Schema, in both languages."""

from __future__ import annotations

from django.utils import translation

from tongban.catalog.forms import form_errors

SCHEMA = {
    "type": "object",
    "required": ["phone"],
    "properties": {
        "phone": {"type": "string", "title": "联系电话", "x-title-en": "Phone", "pattern": "^1"},
        "area": {"type": "number", "title": "面积", "x-title-en": "Area", "minimum": 1},
    },
}


def test_it_names_each_field_and_what_is_wrong_in_chinese() -> None:
    errors = form_errors(schema=SCHEMA, form={"phone": "x", "area": 0}, complete=True)
    assert {e.field: e.message for e in errors} == {
        "form.area": "面积：数值过小",
        "form.phone": "联系电话：格式不正确",
    }


def test_the_same_errors_read_in_english() -> None:
    with translation.override("en"):
        errors = form_errors(schema=SCHEMA, form={"area": "big"}, complete=True)
    assert {e.field: e.message for e in errors} == {
        "form.area": "Area: wrong type",
        "form.phone": "Phone: required",
    }


def test_a_draft_may_leave_required_fields_out() -> None:
    assert form_errors(schema=SCHEMA, form={}, complete=False) == []
