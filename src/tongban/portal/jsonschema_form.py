"""An HTML form from a matter's JSON Schema (draft 2020-12), and its POST data back as JSON.

Only the shape of the input is handled here: a number field gets a number, an
empty input is left out. Lists are drawn without script: a list of choices is a
group of check boxes, a list of records (shareholders) a small table of rows
``form.<name>.<row>.<column>``, any other list a text area with one value a line.

Whether the values are acceptable (required, pattern, enum, limits) is decided
by the cases service with ``jsonschema``; its field errors (``form.<name>``,
``form.<name>.<row>.<column>``) are shown next to the inputs by :func:`form_fields`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tongban.catalog.forms import schema_field_title
from tongban.catalog.services import form_field_order
from tongban.core.errors import FieldError

#: Prefix of the input names (``form.shop_name``), the same as the service's error fields.
PREFIX = "form."
#: Strings longer than this get a text area instead of a one-line input.
TEXTAREA_FROM = 200
#: Longest text accepted from one input before the service sees it.
MAX_INPUT_LENGTH = 10_000

_CHECKED = {"on", "true", "1", "yes"}
_UNCHECKED = {"", "off", "false", "0", "no"}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    required: bool


@dataclass
class Row:
    """One record of a table field: its cells are inputs named ``form.<name>.<index>.<column>``."""

    index: int
    cells: list[FormField]
    errors: list[str] = field(default_factory=list)


@dataclass
class FormField:
    """One input of the generated form, as the template draws it."""

    name: str
    label: str
    type: str
    widget: str  # text | email | date | number | textarea | select | checkbox
    required: bool
    description: str = ""
    choices: list[Choice] = field(default_factory=list)
    #: The value as the input shows it (a string; "on" for a ticked box).
    value: str = ""
    errors: list[str] = field(default_factory=list)
    #: HTML attributes that help the browser (pattern, maxlength, min, step …).
    attrs: dict[str, str] = field(default_factory=dict)
    #: "<resource>#<field>" when data sharing can fill the field (x-shared), else "".
    shared: str = ""
    #: The ticked values of a group of check boxes (widget "checkboxes").
    values: list[str] = field(default_factory=list)
    #: Column headings and rows of a table of records (widget "table").
    columns: list[Column] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def input_name(self) -> str:
        return PREFIX + self.name

    @property
    def input_id(self) -> str:
        return "f-" + self.name

    @property
    def checked(self) -> bool:
        return self.value == "on"

    @property
    def is_list(self) -> bool:
        return self.widget in LIST_WIDGETS


def _properties(schema: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(schema, Mapping):
        return {}
    properties = schema.get("properties") or {}
    return {
        name: spec
        for name in form_field_order(schema)
        if isinstance(spec := properties.get(name), Mapping) and _kind(spec) is not None
    }


_SCALARS = {"string", "integer", "number", "boolean"}
#: Widgets of list fields; their value is only a summary for read-only pages.
LIST_WIDGETS = {"checkboxes", "table", "lines"}
#: Most rows a table of records shows and accepts.
MAX_ROWS = 10


def _kind(spec: Mapping[str, Any]) -> str | None:
    """How the form draws a property: a scalar type, "checkboxes", "table", "lines", or None."""
    kind = _type(spec)
    if kind in _SCALARS:
        return kind
    if kind != "array":
        return None
    items = spec.get("items")
    if not isinstance(items, Mapping):
        return None
    item_kind = _type(items)
    if item_kind in _SCALARS:
        return "checkboxes" if _choices(items) else "lines"
    if item_kind == "object" and _columns(items):
        return "table"
    return None


def _columns(items: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The scalar properties of a list's records; a record with any other property is not drawn."""
    properties = items.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return {}
    columns = {
        name: properties[name]
        for name in form_field_order(items)
        if isinstance(properties.get(name), Mapping)
    }
    if len(columns) != len(properties) or any(_type(s) not in _SCALARS for s in columns.values()):
        return {}
    return columns


def form_names(schema: Any) -> list[str]:
    """Names of the fields the generated form shows (scalar and list properties), in order."""
    return list(_properties(schema))


def _type(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and isinstance(spec.get("enum"), list) and spec["enum"]:
        kind = {bool: "boolean", int: "integer", float: "number"}.get(
            type(spec["enum"][0]), "string"
        )
    if kind is None and isinstance(spec.get("oneOf"), list):
        kind = "string"
    return str(kind or "string")


def _choices(spec: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """(value, label) pairs from ``enum`` (+ ``x-enumNames``) or ``oneOf`` ``const``/``title``."""
    if isinstance(spec.get("enum"), list):
        names = spec.get("x-enumNames")
        values = spec["enum"]
        if isinstance(names, list) and len(names) == len(values):
            return [(v, str(n)) for v, n in zip(values, names, strict=True)]
        return [(v, _display(v)) for v in values]
    if isinstance(spec.get("oneOf"), list):
        return [
            (option["const"], str(option.get("title") or _display(option["const"])))
            for option in spec["oneOf"]
            if isinstance(option, Mapping) and "const" in option
        ]
    return []


def _display(value: Any) -> str:
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return "" if value is None else str(value)


def _number_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _errors_by_path(errors: Iterable[FieldError]) -> dict[str, list[str]]:
    by_path: dict[str, list[str]] = {}
    for error in errors:
        by_path.setdefault(error.field.removeprefix(PREFIX), []).append(str(error.message))
    return by_path


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
    by_path = _errors_by_path(errors)
    out: list[FormField] = []
    for name, spec in _properties(schema).items():
        if wanted is not None and name not in wanted:
            continue
        kind = _kind(spec)
        if kind in _SCALARS:
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
    kind = _type(spec)
    choices = _choices(spec)
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
                attrs[attr] = _number_text(spec[key])
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
        choices=[Choice(_choice_key(v), label) for v, label in choices],
        value=_input_value(raw, widget),
        errors=errors,
        attrs=attrs,
        shared=str(spec.get("x-shared") or ""),
    )


def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, list | tuple):
        return list(raw)
    return [] if raw is None or raw == "" else [raw]


def _fill_checkboxes(item: FormField, spec: Mapping[str, Any], raw: Any) -> None:
    choices = _choices(spec["items"])
    item.choices = [Choice(_choice_key(v), label) for v, label in choices]
    item.values = [_choice_key(v) if not isinstance(v, str) else v for v in _as_list(raw)]
    labels = {c.value: c.label for c in item.choices}
    item.value = "、".join(labels.get(v, v) for v in item.values)


def _fill_lines(item: FormField, raw: Any) -> None:
    if isinstance(raw, str):  # the text area shown again as it was typed
        item.value = raw
    else:
        item.value = "\n".join(_choice_key(v) for v in _as_list(raw))


def _posted_rows(name: str, data: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Rows typed into a table (``<name>.<row>.<column>`` keys), empty rows left out; else None."""
    prefix = name + "."
    typed: dict[int, dict[str, Any]] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.startswith(prefix):
            continue
        index, _dot, column = key.removeprefix(prefix).partition(".")
        if index.isdigit() and column:
            typed.setdefault(int(index), {})[column] = value
    if not typed:
        return None
    return [typed[i] for i in sorted(typed) if not _row_empty(typed[i])]


def _row_empty(row: Mapping[str, Any]) -> bool:
    return all(_text(v) == "" for v in row.values())


def _text(raw: Any) -> str:
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return raw.strip() if isinstance(raw, str) else ""


def _fill_table(
    item: FormField,
    spec: Mapping[str, Any],
    data: Mapping[str, Any],
    by_path: Mapping[str, list[str]],
) -> list[str]:
    """Columns and rows of a table field; returns the errors that belong to no cell."""
    items = spec["items"]
    columns = _columns(items)
    required = set(items.get("required") or [])
    item.columns = [
        Column(col, schema_field_title(s, col), col in required) for col, s in columns.items()
    ]
    # Shown rows are numbered as the parsed list is (empty rows dropped), so the service's
    # errors on "form.<name>.<index>.<column>" land on the row the applicant filled in.
    posted = _posted_rows(item.name, data)
    saved = posted if posted is not None else _as_list(data.get(item.name))
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
                _number_text(v) if isinstance(v, float) else _display(v)
                for v in row.values()
                if _choice_key(v) != ""
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
        checked = raw is True or (isinstance(raw, str) and raw.strip().lower() in _CHECKED)
        return "on" if checked else ""
    if isinstance(raw, str):  # a posted value shown again as it was typed
        return raw
    if widget == "number" and isinstance(raw, float):
        return _number_text(raw)
    return _choice_key(raw)


def form_posted(post: Mapping[str, Any]) -> dict[str, Any]:
    """The raw posted inputs by field name, to show a refused form again as it was typed.

    A name posted more than once (the ticked boxes of a list) gives the list of its values.
    """
    lists = getattr(post, "lists", None)
    pairs = lists() if callable(lists) else post.items()
    out: dict[str, Any] = {}
    for key, value in pairs:
        if not isinstance(key, str) or not key.startswith(PREFIX):
            continue
        if isinstance(value, list) and len(value) <= 1:
            value = value[0] if value else ""
        out[key.removeprefix(PREFIX)] = value
    return out


def _posted_list(post: Mapping[str, Any], key: str) -> list[str]:
    getlist = getattr(post, "getlist", None)
    values = getlist(key) if callable(getlist) else _as_list(post.get(key))
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def form_parse(
    schema: Any, post: Mapping[str, Any], *, only: Iterable[str] | None = None
) -> tuple[dict[str, Any], list[FieldError]]:
    """The typed JSON of a posted form, and the inputs that could not be read as their type.

    An empty input is left out (so "required" is the service's to judge); an
    unticked box is ``false``. A list is left out when nothing is ticked, typed or
    filled in; empty rows of a table are dropped and the rest renumbered.
    """
    wanted = set(only) if only is not None else None
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, spec in _properties(schema).items():
        if wanted is not None and name not in wanted:
            continue
        kind = _kind(spec)
        key = PREFIX + name
        if kind == "checkboxes":
            _parse_checkboxes(name, spec, post, out, errors)
            continue
        if kind == "lines":
            _parse_lines(name, spec, post, out, errors)
            continue
        if kind == "table":
            _parse_table(name, spec, post, out, errors)
            continue
        value, error = _parse_scalar(key, spec, post.get(key))
        if error is not None:
            errors.append(error)
        elif value is not _EMPTY:
            out[name] = value
    return out, errors


#: Marks an input left empty (JSON null is a value of its own).
_EMPTY: Any = object()


def _parse_scalar(
    key: str, spec: Mapping[str, Any], raw: Any, *, in_table: bool = False
) -> tuple[Any, FieldError | None]:
    kind = _type(spec)
    text = _text(raw)
    choices = _choices(spec)
    if kind == "boolean" and not choices:
        if in_table:
            choices = [(True, ""), (False, "")]
        elif text.lower() in _CHECKED:
            return True, None
        elif text.lower() in _UNCHECKED:
            return False, None
        else:
            return _EMPTY, FieldError(key, _("请勾选或取消勾选"))
    if text == "":
        return _EMPTY, None
    if len(text) > MAX_INPUT_LENGTH:
        return _EMPTY, FieldError(key, _("内容过长，最多 %(n)s 个字符") % {"n": MAX_INPUT_LENGTH})
    if choices:
        matches = [v for v, _label in choices if _choice_key(v) == text]
        if matches:
            return matches[0], None
        return _EMPTY, FieldError(key, _("请从列表中选择"))
    try:
        return _convert(text, kind, spec), None
    except ValueError as exc:
        return _EMPTY, FieldError(key, str(exc))


def _parse_checkboxes(
    name: str,
    spec: Mapping[str, Any],
    post: Mapping[str, Any],
    out: dict[str, Any],
    errors: list[FieldError],
) -> None:
    key = PREFIX + name
    choices = _choices(spec["items"])
    picked: list[Any] = []
    for text in _posted_list(post, key):
        matches = [v for v, _label in choices if _choice_key(v) == text]
        if not matches:
            errors.append(FieldError(key, _("请从列表中选择")))
            return
        picked.append(matches[0])
    if picked:
        out[name] = picked


def _parse_lines(
    name: str,
    spec: Mapping[str, Any],
    post: Mapping[str, Any],
    out: dict[str, Any],
    errors: list[FieldError],
) -> None:
    key = PREFIX + name
    text = _text(post.get(key))
    if len(text) > MAX_INPUT_LENGTH:
        errors.append(FieldError(key, _("内容过长，最多 %(n)s 个字符") % {"n": MAX_INPUT_LENGTH}))
        return
    values: list[Any] = []
    for number, line in enumerate((ln.strip() for ln in text.splitlines()), start=1):
        if not line:
            continue
        value, error = _parse_scalar(key, spec["items"], line)
        if error is not None:
            errors.append(
                FieldError(
                    key,
                    _("第 %(n)s 行：%(problem)s") % {"n": number, "problem": error.message},
                )
            )
            return
        values.append(value)
    if values:
        out[name] = values


def _parse_table(
    name: str,
    spec: Mapping[str, Any],
    post: Mapping[str, Any],
    out: dict[str, Any],
    errors: list[FieldError],
) -> None:
    columns = _columns(spec["items"])
    typed = _posted_rows(name, {k.removeprefix(PREFIX): v for k, v in post.items()})
    if not typed:
        return
    if len(typed) > MAX_ROWS:
        errors.append(FieldError(PREFIX + name, _("最多填写 %(n)s 行") % {"n": MAX_ROWS}))
        return
    rows: list[dict[str, Any]] = []
    for index, row in enumerate(typed):
        record: dict[str, Any] = {}
        for col, col_spec in columns.items():
            key = f"{PREFIX}{name}.{index}.{col}"
            value, error = _parse_scalar(key, col_spec, row.get(col), in_table=True)
            if error is not None:
                errors.append(error)
            elif value is not _EMPTY:
                record[col] = value
        rows.append(record)
    out[name] = rows


def _choice_key(value: Any) -> str:
    """The string an input or option carries for a JSON value."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _convert(text: str, kind: str, spec: Mapping[str, Any]) -> Any:
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(_("请输入整数")) from None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("请输入数字")) from None
        if not math.isfinite(number):
            raise ValueError(_("请输入数字"))
        return int(number) if number.is_integer() and "." not in text else number
    if spec.get("format") == "date":
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(_("请输入有效日期，格式为 年-月-日（如 2026-03-01）")) from None
    return text


def form_errors_split(errors: Iterable[FieldError]) -> tuple[list[FieldError], list[FieldError]]:
    """Errors of form fields (``form.<name>``) and all the others (materials, the case)."""
    fields: list[FieldError] = []
    others: list[FieldError] = []
    for error in errors:
        (fields if error.field.startswith(PREFIX) else others).append(error)
    return fields, others
