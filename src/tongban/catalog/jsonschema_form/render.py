"""Draw a matter's JSON Schema as form fields, with the posted values and the errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from tongban.catalog.forms import schema_field_title
from tongban.catalog.jsonschema_form.schema import (
    CHECKED,
    MAX_ROWS,
    SCALARS,
    TEXTAREA_FROM,
    Choice,
    Column,
    FormField,
    Row,
    as_list,
    choice_key,
    errors_by_path,
    field_choices,
    field_kind,
    field_type,
    number_text,
    posted_rows,
    schema_properties,
    table_columns,
    value_display,
)
from tongban.core.errors import FieldError


def form_fields(
    schema: Any,
    *,
    data: Mapping[str, Any] | None = None,
    errors: Iterable[FieldError] = (),
    only: Iterable[str] | None = None,
) -> list[FormField]:
    """The inputs of ``schema`` in order, filled from ``data``, with the errors of each field.

    ``data`` is either the saved JSON or the raw POST strings being shown again
    (:func:`form_posted`); ``only`` limits the form to some fields (the ones a
    supplement request names). An error on ``form.<list>.<row>.<column>`` is shown
    at that cell; any other error under a list field at the list.
    """
    data = data or {}
    wanted = set(only) if only is not None else None
    required = set(schema.get("required") or []) if isinstance(schema, Mapping) else set()
    by_path = errors_by_path(errors)
    out: list[FormField] = []
    for name, spec in schema_properties(schema).items():
        if wanted is not None and name not in wanted:
            continue
        kind = field_kind(spec)
        if kind in SCALARS:
            out.append(
                _scalar_field(
                    name,
                    spec,
                    required=name in required,
                    raw=data.get(name),
                    errors=by_path.get(name, []),
                )
            )
            continue
        own = [m for path, ms in by_path.items() if path.split(".", 1)[0] == name for m in ms]
        item = FormField(
            name=name,
            label=schema_field_title(spec, name),
            type="array",
            widget=str(kind),
            required=name in required,
            description=str(spec.get("description") or ""),
            shared=str(spec.get("x-shared") or ""),
        )
        if kind == "checkboxes":
            _fill_checkboxes(item, spec, data.get(name))
            item.errors = own
        elif kind == "lines":
            _fill_lines(item, data.get(name))
            item.errors = own
        else:
            item.errors = _fill_table(item, spec, data, by_path)
        out.append(item)
    return out


def _scalar_field(
    name: str,
    spec: Mapping[str, Any],
    *,
    required: bool,
    raw: Any,
    errors: list[str],
    in_table: bool = False,
) -> FormField:
    kind = field_type(spec)
    choices = field_choices(spec)
    if kind == "boolean" and not choices and in_table:
        # A box left unticked posts nothing, so in a row it could not tell "no" from "empty".
        choices = [(True, _("是")), (False, _("否"))]
    attrs: dict[str, str] = {}
    if choices:
        widget = "select"
    elif kind == "boolean":
        widget = "checkbox"
    elif kind in ("integer", "number"):
        widget = "number"
        attrs["step"] = "1" if kind == "integer" else "any"
        attrs["inputmode"] = "numeric" if kind == "integer" else "decimal"
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if isinstance(spec.get(key), int | float):
                attrs[attr] = number_text(spec[key])
    elif spec.get("format") == "date":
        widget = "date"
    elif spec.get("format") == "email":
        widget = "email"
        attrs["autocomplete"] = "email"
    else:
        long_text = isinstance(spec.get("maxLength"), int) and spec["maxLength"] > TEXTAREA_FROM
        wants_area = long_text or spec.get("x-widget") == "textarea"
        widget = "textarea" if wants_area and not in_table else "text"
    if kind == "string" and not choices:
        if isinstance(spec.get("pattern"), str) and widget in ("text", "email"):
            # The browser's pattern attribute must match the whole value, as ^…$ does.
            attrs["pattern"] = spec["pattern"].removeprefix("^").removesuffix("$")
        if isinstance(spec.get("maxLength"), int):
            attrs["maxlength"] = str(spec["maxLength"])
        if isinstance(spec.get("minLength"), int):
            attrs["minlength"] = str(spec["minLength"])
    return FormField(
        name=name,
        label=schema_field_title(spec, name.rsplit(".", 1)[-1]),
        type=kind,
        widget=widget,
        required=required,
        description=str(spec.get("description") or ""),
        choices=[Choice(choice_key(v), label) for v, label in choices],
        value=_input_value(raw, widget),
        errors=errors,
        attrs=attrs,
        shared=str(spec.get("x-shared") or ""),
    )


def _fill_checkboxes(item: FormField, spec: Mapping[str, Any], raw: Any) -> None:
    choices = field_choices(spec["items"])
    item.choices = [Choice(choice_key(v), label) for v, label in choices]
    item.values = [choice_key(v) if not isinstance(v, str) else v for v in as_list(raw)]
    labels = {c.value: c.label for c in item.choices}
    item.value = _("、").join(labels.get(v, v) for v in item.values)


def _fill_lines(item: FormField, raw: Any) -> None:
    if isinstance(raw, str):  # the text area shown again as it was typed
        item.value = raw
    else:
        item.value = "\n".join(choice_key(v) for v in as_list(raw))


def _fill_table(
    item: FormField,
    spec: Mapping[str, Any],
    data: Mapping[str, Any],
    by_path: Mapping[str, list[str]],
) -> list[str]:
    """Columns and rows of a table field; returns the errors that belong to no cell."""
    items = spec["items"]
    columns = table_columns(items)
    required = set(items.get("required") or [])
    item.columns = [
        Column(col, schema_field_title(s, col), col in required) for col, s in columns.items()
    ]
    # Shown rows are numbered as the parsed list is (empty rows dropped), so the service's
    # errors on "form.<name>.<index>.<column>" land on the row the applicant filled in.
    posted = posted_rows(item.name, data)
    saved = posted if posted is not None else as_list(data.get(item.name))
    rows = [r if isinstance(r, Mapping) else {} for r in saved]
    min_items = spec.get("minItems") if isinstance(spec.get("minItems"), int) else 1
    most = MAX_ROWS
    if isinstance(spec.get("maxItems"), int):
        most = max(1, min(MAX_ROWS, spec["maxItems"]))
    count = min(max(len(rows) + 1, min_items or 1), most)
    count = max(count, min(len(rows), MAX_ROWS))
    placed: set[str] = set()
    for index in range(count):
        values = rows[index] if index < len(rows) else {}
        cells = []
        for col, col_spec in columns.items():
            path = f"{item.name}.{index}.{col}"
            placed.add(path)
            cells.append(
                _scalar_field(
                    path,
                    col_spec,
                    required=col in required,
                    raw=values.get(col),
                    errors=by_path.get(path, []),
                    in_table=True,
                )
            )
        row_path = f"{item.name}.{index}"
        placed.add(row_path)
        item.rows.append(Row(index=index, cells=cells, errors=by_path.get(row_path, [])))
    if posted is None:  # a summary of the saved records, for read-only pages
        item.value = "；".join(
            "，".join(
                number_text(v) if isinstance(v, float) else value_display(v)
                for v in row.values()
                if choice_key(v) != ""
            )
            for row in rows
        )
    return [
        message
        for path, messages in by_path.items()
        if path.split(".", 1)[0] == item.name and path not in placed
        for message in messages
    ]


def _input_value(raw: Any, widget: str) -> str:
    if isinstance(raw, list):  # the same input posted twice: the browser's last one counts
        raw = raw[-1] if raw else ""
    if widget == "checkbox":
        checked = raw is True or (isinstance(raw, str) and raw.strip().lower() in CHECKED)
        return "on" if checked else ""
    if isinstance(raw, str):  # a posted value shown again as it was typed
        return raw
    if widget == "number" and isinstance(raw, float):
        return number_text(raw)
    return choice_key(raw)
