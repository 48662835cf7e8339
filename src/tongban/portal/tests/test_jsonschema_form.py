"""List fields of the generated form: check boxes, tables of records and one-value-a-line areas."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from django.utils import translation

from tongban.cases.models import Case
from tongban.catalog.forms import form_errors
from tongban.catalog.jsonschema_form import (
    MAX_ROWS,
    form_fields,
    form_names,
    form_parse,
    form_posted,
)
from tongban.core.errors import FieldError
from tongban.identity.models import User

SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-order": ["company_name", "seal_types", "levels", "shareholders", "dates", "notes"],
    "properties": {
        "company_name": {"type": "string", "title": "企业名称"},
        "seal_types": {
            "type": "array",
            "title": "印章种类",
            "x-title-en": "Seal types",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "enum": ["公章", "财务专用章", "发票专用章"]},
        },
        "levels": {
            "type": "array",
            "title": "等级",
            "items": {
                "type": "integer",
                "oneOf": [{"const": 1, "title": "一级"}, {"const": 2, "title": "二级"}],
            },
        },
        "shareholders": {
            "type": "array",
            "title": "股东（发起人）",
            "x-title-en": "Shareholders (founders)",
            "minItems": 2,
            "items": {
                "type": "object",
                "x-order": ["name", "id_number", "subscribed_capital"],
                "properties": {
                    "name": {"type": "string", "title": "股东名称或姓名", "x-title-en": "Name"},
                    "id_number": {"type": "string", "title": "证件号码", "maxLength": 18},
                    "subscribed_capital": {"type": "number", "title": "认缴出资额（万元）"},
                },
                "required": ["name", "subscribed_capital"],
            },
        },
        "dates": {
            "type": "array",
            "title": "演出日期",
            "items": {"type": "string", "format": "date"},
        },
        "notes": {"type": "array", "title": "备注", "items": {"type": "string"}},
        "nested": {
            "type": "array",
            "items": {"type": "object", "properties": {"deep": {"type": "object"}}},
        },
    },
    "required": ["seal_types", "shareholders"],
}


def _by_name(**kwargs: Any) -> dict[str, Any]:
    return {f.name: f for f in form_fields(SCHEMA, **kwargs)}


def _post(pairs: list[tuple[str, str]]) -> QueryDict:
    post = QueryDict(mutable=True)
    for key, value in pairs:
        post.appendlist(key, value)
    return post


# --- rendering ------------------------------------------------------------------------------


def test_each_kind_of_list_gets_its_widget_and_unsupported_lists_are_left_out() -> None:
    fields = _by_name()
    assert list(fields) == [
        "company_name",
        "seal_types",
        "levels",
        "shareholders",
        "dates",
        "notes",
    ]
    assert "nested" not in form_names(SCHEMA)
    assert fields["seal_types"].widget == "checkboxes" and fields["seal_types"].required
    assert fields["levels"].widget == "checkboxes"
    assert fields["shareholders"].widget == "table"
    assert fields["dates"].widget == "lines" and fields["notes"].widget == "lines"


def test_a_check_box_group_offers_the_enum_and_ticks_the_saved_values() -> None:
    fields = _by_name(data={"seal_types": ["公章", "发票专用章"], "levels": [2]})
    seals = fields["seal_types"]
    assert [(c.value, c.label) for c in seals.choices] == [
        ("公章", "公章"),
        ("财务专用章", "财务专用章"),
        ("发票专用章", "发票专用章"),
    ]
    assert seals.values == ["公章", "发票专用章"]
    assert seals.value == "公章、发票专用章"
    levels = fields["levels"]
    assert [(c.value, c.label) for c in levels.choices] == [("1", "一级"), ("2", "二级")]
    assert levels.values == ["2"] and levels.value == "二级"


def test_list_labels_follow_the_language() -> None:
    with translation.override("en"):
        fields = _by_name()
    assert fields["seal_types"].label == "Seal types"
    assert fields["shareholders"].label == "Shareholders (founders)"
    assert fields["shareholders"].columns[0].label == "Name"
    # Option labels stay as the schema gives them.
    assert fields["seal_types"].choices[0].label == "公章"
    assert _by_name()["shareholders"].columns[0].label == "股东名称或姓名"


def test_a_table_shows_the_minimum_rows_when_empty_and_one_spare_row_after_saved_rows() -> None:
    table = _by_name()["shareholders"]
    assert [(c.name, c.label, c.required) for c in table.columns] == [
        ("name", "股东名称或姓名", True),
        ("id_number", "证件号码", False),
        ("subscribed_capital", "认缴出资额（万元）", True),
    ]
    assert len(table.rows) == 2  # minItems
    cell = table.rows[1].cells[2]
    assert cell.input_name == "form.shareholders.1.subscribed_capital"
    assert cell.widget == "number" and cell.value == ""
    assert table.rows[0].cells[1].attrs["maxlength"] == "18"
    saved = [{"name": "甲", "subscribed_capital": 60.0}, {"name": "乙", "subscribed_capital": 40}]
    table = _by_name(data={"shareholders": saved})["shareholders"]
    assert len(table.rows) == 3
    assert [c.value for c in table.rows[0].cells] == ["甲", "", "60"]
    assert [c.value for c in table.rows[2].cells] == ["", "", ""]
    assert table.value == "甲，60；乙，40"


def test_a_table_never_shows_more_than_the_row_limit() -> None:
    saved = [{"name": f"股东{i}", "subscribed_capital": 1} for i in range(MAX_ROWS)]
    table = _by_name(data={"shareholders": saved})["shareholders"]
    assert len(table.rows) == MAX_ROWS


def test_a_lines_field_shows_one_value_a_line() -> None:
    fields = _by_name(data={"dates": ["2026-03-01", "2026-03-02"]})
    assert fields["dates"].value == "2026-03-01\n2026-03-02"


# --- parsing --------------------------------------------------------------------------------


def test_ticked_boxes_become_a_list_and_no_box_ticked_leaves_the_field_out() -> None:
    post = _post(
        [("form.seal_types", "公章"), ("form.seal_types", "发票专用章"), ("form.levels", "2")]
    )
    data, errors = form_parse(SCHEMA, post)
    assert errors == []
    assert data == {"seal_types": ["公章", "发票专用章"], "levels": [2]}
    data, errors = form_parse(SCHEMA, _post([]))
    assert data == {} and errors == []


def test_it_refuses_a_box_value_that_is_not_offered() -> None:
    post = _post([("form.seal_types", "公章"), ("form.seal_types", "x")])
    data, errors = form_parse(SCHEMA, post)
    assert [e.field for e in errors] == ["form.seal_types"]
    assert "seal_types" not in data


def test_table_rows_are_read_with_gaps_closed_empty_rows_dropped_and_numbers_typed() -> None:
    post = _post(
        [
            ("form.shareholders.0.name", "甲"),
            ("form.shareholders.0.id_number", ""),
            ("form.shareholders.0.subscribed_capital", " 60 "),
            ("form.shareholders.1.name", "  "),
            ("form.shareholders.1.subscribed_capital", ""),
            ("form.shareholders.2.name", "乙"),
            ("form.shareholders.2.subscribed_capital", "40.5"),
            ("form.shareholders.3.name", "丙"),
        ]
    )
    data, errors = form_parse(SCHEMA, post)
    assert errors == []
    assert data == {
        "shareholders": [
            {"name": "甲", "subscribed_capital": 60},
            {"name": "乙", "subscribed_capital": 40.5},
            {"name": "丙"},
        ]
    }
    assert isinstance(data["shareholders"][0]["subscribed_capital"], int)


def test_an_all_empty_table_is_left_out() -> None:
    post = _post([("form.shareholders.0.name", ""), ("form.shareholders.1.name", " ")])
    assert form_parse(SCHEMA, post) == ({}, [])


def test_it_refuses_a_bad_number_in_a_row_and_names_that_cell() -> None:
    post = _post(
        [
            ("form.shareholders.0.name", ""),
            ("form.shareholders.1.name", "甲"),
            ("form.shareholders.1.subscribed_capital", "六十"),
        ]
    )
    _data, errors = form_parse(SCHEMA, post)
    # The empty first row is dropped, so the row is the list's first, as the service numbers it.
    assert [e.field for e in errors] == ["form.shareholders.0.subscribed_capital"]
    # Shown again, the typed rows keep that numbering and the error sits on the bad cell.
    table = {f.name: f for f in form_fields(SCHEMA, data=form_posted(post), errors=errors)}[
        "shareholders"
    ]
    assert [c.value for c in table.rows[0].cells] == ["甲", "", "六十"]
    assert table.rows[0].cells[2].errors == ["请输入数字"]
    assert table.errors == []


def test_it_refuses_more_rows_than_the_limit() -> None:
    post = _post([(f"form.shareholders.{i}.name", f"股东{i}") for i in range(MAX_ROWS + 1)])
    data, errors = form_parse(SCHEMA, post)
    assert [e.field for e in errors] == ["form.shareholders"] and "shareholders" not in data


def test_lines_become_a_list_and_a_bad_line_is_named() -> None:
    post = _post([("form.dates", "2026-03-01\n\n 2026-03-02 \n"), ("form.notes", "甲\r\n乙")])
    data, errors = form_parse(SCHEMA, post)
    assert errors == []
    assert data == {"dates": ["2026-03-01", "2026-03-02"], "notes": ["甲", "乙"]}
    data, errors = form_parse(SCHEMA, _post([("form.dates", "2026-03-01\n2026-02-30")]))
    assert [e.field for e in errors] == ["form.dates"] and "第 2 行" in str(errors[0].message)
    assert "dates" not in data


def test_posted_ticked_boxes_are_shown_again_ticked() -> None:
    post = _post([("form.seal_types", "公章"), ("form.seal_types", "财务专用章")])
    assert form_posted(post)["seal_types"] == ["公章", "财务专用章"]
    assert _by_name(data=form_posted(post))["seal_types"].values == ["公章", "财务专用章"]
    one = _post([("form.seal_types", "公章")])
    assert _by_name(data=form_posted(one))["seal_types"].values == ["公章"]


# --- the service's errors -------------------------------------------------------------------


def test_the_services_nested_errors_land_on_the_cell_and_list_errors_on_the_list() -> None:
    form = {
        "seal_types": [],
        "shareholders": [{"name": "甲", "subscribed_capital": 60}, {"name": "乙"}],
    }
    errors = form_errors(schema=SCHEMA, form=form, complete=True)
    fields = {e.field for e in errors}
    assert "form.shareholders.1.subscribed_capital" in fields
    assert "form.seal_types" in fields
    shown = _by_name(data=form, errors=errors)
    table = shown["shareholders"]
    assert table.rows[1].cells[2].errors and not table.rows[1].cells[0].errors
    assert not table.rows[0].cells[2].errors and table.errors == []
    assert shown["seal_types"].errors


def test_an_error_on_a_row_or_item_that_is_not_a_cell_shows_at_the_list() -> None:
    errors = [
        FieldError("form.shareholders", "至少两位"),
        FieldError("form.shareholders.0", "整行有误"),
        FieldError("form.shareholders.12.name", "看不到的行"),
        FieldError("form.seal_types.1", "不在列表中"),
        FieldError("form.dates.0", "日期有误"),
    ]
    shown = _by_name(errors=errors)
    assert shown["shareholders"].errors == ["至少两位", "看不到的行"]
    assert shown["shareholders"].rows[0].errors == ["整行有误"]
    assert shown["seal_types"].errors == ["不在列表中"]
    assert shown["dates"].errors == ["日期有误"]


# --- the open-company theme form in the portal ------------------------------------------------


@pytest.fixture
def demo(db: None) -> None:
    from tongban.demo.loader import demo_load

    demo_load()


def _citizen() -> Client:
    client = Client()
    client.force_login(User.objects.get(username="citizen"))
    return client


THEME_URL = "/apply/theme/open-company/"


def test_the_open_company_form_shows_shareholder_rows_and_seal_and_invoice_boxes(
    demo: None,
) -> None:
    response = _citizen().get(THEME_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="form.shareholders.0.name"' in html
    assert 'name="form.shareholders.0.subscribed_capital"' in html
    assert 'name="form.seal_types" value="财务专用章"' in html
    assert 'name="form.invoice_types" value="数电发票（普通发票）"' in html
    assert "股东（发起人）" in html and "印章种类" in html


def test_the_open_company_form_saves_two_shareholders_and_the_ticked_kinds(demo: None) -> None:
    response = _citizen().post(
        THEME_URL,
        {
            "form.company_name": "上海嘉定示范科技有限公司",
            "form.shareholders.0.name": "张三",
            "form.shareholders.0.subscribed_capital": "60",
            "form.shareholders.1.name": "",
            "form.shareholders.2.name": "李四",
            "form.shareholders.2.subscribed_capital": "40.5",
            "form.seal_types": ["公章", "财务专用章"],
            "form.invoice_types": ["数电发票（普通发票）"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    parent = Case.objects.get(theme__code="open-company", parent__isnull=True)
    assert parent.form_data["shareholders"] == [
        {"name": "张三", "subscribed_capital": 60},
        {"name": "李四", "subscribed_capital": 40.5},
    ]
    assert parent.form_data["seal_types"] == ["公章", "财务专用章"]
    assert parent.form_data["invoice_types"] == ["数电发票（普通发票）"]


def test_the_open_company_form_saves_nothing_on_a_bad_shareholder_value(demo: None) -> None:
    response = _citizen().post(
        THEME_URL,
        {
            "form.company_name": "上海嘉定示范科技有限公司",
            "form.shareholders.0.name": "张三",
            "form.shareholders.0.subscribed_capital": "六十",
            "form.shareholders.1.name": "李四",
            "form.shareholders.1.subscribed_capital": "40",
            "form.seal_types": ["公章"],
        },
    )
    assert response.status_code == 422
    assert not Case.objects.filter(theme__code="open-company").exists()
    html = response.content.decode()
    assert 'data-error-for="shareholders.0.subscribed_capital"' in html
    assert 'value="六十"' in html and 'value="李四"' in html
    assert 'name="form.seal_types" value="公章" checked' in html


# --- the form generated from a JSON Schema -------------------------------------------------


ORDERED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-order": ["count", "when", "size", "agree", "level"],
    "properties": {
        "level": {
            "type": "integer",
            "title": "等级",
            "oneOf": [{"const": 1, "title": "一级"}, {"const": 2, "title": "二级"}],
        },
        "count": {"type": "integer", "title": "人数", "minimum": 1, "maximum": 500},
        "when": {"type": "string", "format": "date", "title": "开业日期"},
        "size": {"type": "string", "title": "说明", "maxLength": 1000},
        "agree": {"type": "boolean", "title": "同意承诺"},
        "rooms": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["count"],
}


def test_schema_fields_follow_x_order_and_pick_widgets() -> None:
    fields = form_fields(ORDERED_SCHEMA)
    # A field x-order misses comes last (here a list, drawn as one value a line).
    assert [f.name for f in fields] == ["count", "when", "size", "agree", "level", "rooms"]
    by_name = {f.name: f for f in fields}
    assert by_name["count"].widget == "number" and by_name["count"].required
    assert by_name["count"].attrs == {"step": "1", "inputmode": "numeric", "min": "1", "max": "500"}
    assert by_name["when"].widget == "date"
    assert by_name["size"].widget == "textarea"
    assert by_name["agree"].widget == "checkbox"
    assert by_name["rooms"].widget == "lines"
    assert [(c.value, c.label) for c in by_name["level"].choices] == [("1", "一级"), ("2", "二级")]


def test_schema_parse_types_values_and_leaves_empty_inputs_out() -> None:
    data, errors = form_parse(
        ORDERED_SCHEMA,
        {"form.count": " 12 ", "form.when": "", "form.level": "2", "form.agree": "on"},
    )
    assert errors == []
    assert data == {"count": 12, "level": 2, "agree": True}
    data, errors = form_parse(ORDERED_SCHEMA, {})
    assert data == {"agree": False} and errors == []


def test_schema_parse_reports_what_it_cannot_read() -> None:
    data, errors = form_parse(
        ORDERED_SCHEMA, {"form.count": "1.5", "form.when": "2026-02-30", "form.level": "3"}
    )
    assert {e.field for e in errors} == {"form.count", "form.when", "form.level"}
    assert "count" not in data and "when" not in data and "level" not in data
