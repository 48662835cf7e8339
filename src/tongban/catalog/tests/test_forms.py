"""schema_field_title: a form field's title in the active language."""

from __future__ import annotations

from django.utils import translation

from tongban.catalog.forms import schema_field_title
from tongban.catalog.jsonschema_form.schema import choice_labelled, field_choices

FIELD = {"type": "string", "title": "企业名称", "x-title-en": "Company name"}


def test_it_gives_the_chinese_title_under_chinese() -> None:
    with translation.override("zh-hans"):
        assert schema_field_title(FIELD, "company_name") == "企业名称"


def test_it_gives_the_english_title_under_english() -> None:
    with translation.override("en"):
        assert schema_field_title(FIELD, "company_name") == "Company name"


def test_it_falls_back_to_the_chinese_title_when_there_is_no_english_one() -> None:
    with translation.override("en"):
        assert schema_field_title({"type": "string", "title": "企业名称"}) == "企业名称"


def test_it_falls_back_to_the_key_for_a_field_without_titles_or_a_broken_spec() -> None:
    with translation.override("en"):
        assert schema_field_title({"type": "string"}, "company_name") == "company_name"
        assert schema_field_title(None, "company_name") == "company_name"
        assert schema_field_title({"title": 3, "x-title-en": ""}, "company_name") == "company_name"


def test_choices_read_in_english_where_the_schema_names_them() -> None:
    spec = {
        "type": "string",
        "enum": ["住宅", "非住宅"],
        "x-enumNames-en": ["Residential", "Other"],
    }
    with translation.override("en"):
        assert field_choices(spec) == [("住宅", "Residential"), ("非住宅", "Other")]
        listed = {"type": "array", "items": spec}
        assert choice_labelled(listed, ["非住宅"]) == ["Other"]
        assert choice_labelled(spec, "typed by hand") == "typed by hand"
    with translation.override("zh-hans"):
        assert field_choices(spec) == [("住宅", "住宅"), ("非住宅", "非住宅")]
