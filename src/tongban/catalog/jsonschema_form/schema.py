"""The shapes a JSON Schema form is drawn in, and what the drawing and the parsing share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tongban.catalog.services import form_field_order
from tongban.core.errors import FieldError

#: Prefix of the input names (``form.shop_name``), the same as the service's error fields.
PREFIX = "form."
#: Strings longer than this get a text area instead of a one-line input.
TEXTAREA_FROM = 200
#: Longest text accepted from one input before the service sees it.
MAX_INPUT_LENGTH = 10_000

CHECKED = {"on", "true", "1", "yes"}
UNCHECKED = {"", "off", "false", "0", "no"}


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
    #: Where the value was filled from ("实名认证" …), shown next to it; "" when typed.
    source: str = ""
    #: The law does not let the applicant change it (their own ID number): shown read-only.
    locked: bool = False
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


def schema_properties(schema: Any) -> dict[str, Mapping[str, Any]]:
    """The properties of a JSON Schema object that a form can draw, in the form's order."""
    if not isinstance(schema, Mapping):
        return {}
    properties = schema.get("properties") or {}
    return {
        name: spec
        for name in form_field_order(schema)
        if isinstance(spec := properties.get(name), Mapping) and field_kind(spec) is not None
    }


SCALARS = {"string", "integer", "number", "boolean"}
#: Widgets of list fields; their value is only a summary for read-only pages.
LIST_WIDGETS = {"checkboxes", "table", "lines"}
#: Most rows a table of records shows and accepts.
MAX_ROWS = 10


def field_kind(spec: Mapping[str, Any]) -> str | None:
    """How the form draws a property: a scalar type, "checkboxes", "table", "lines", or None."""
    kind = field_type(spec)
    if kind in SCALARS:
        return kind
    if kind != "array":
        return None
    items = spec.get("items")
    if not isinstance(items, Mapping):
        return None
    item_kind = field_type(items)
    if item_kind in SCALARS:
        return "checkboxes" if field_choices(items) else "lines"
    if item_kind == "object" and table_columns(items):
        return "table"
    return None


def table_columns(items: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The scalar properties of a list's records; a record with any other property is not drawn."""
    properties = items.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return {}
    columns = {
        name: properties[name]
        for name in form_field_order(items)
        if isinstance(properties.get(name), Mapping)
    }
    if len(columns) != len(properties) or any(
        field_type(s) not in SCALARS for s in columns.values()
    ):
        return {}
    return columns


def form_names(schema: Any) -> list[str]:
    """Names of the fields the generated form shows (scalar and list properties), in order."""
    return list(schema_properties(schema))


def field_type(spec: Mapping[str, Any]) -> str:
    """The JSON type of a property (from ``type`` or its enum values)."""
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


def field_choices(spec: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """(value, label) pairs from ``enum`` (+ ``x-enumNames``) or ``oneOf`` ``const``/``title``.

    Under English the labels come from ``x-enumNames-en`` (beside ``enum``) or an option's
    ``x-title-en`` (in ``oneOf``) where the schema has them.
    """
    english = (get_language() or "").startswith("en")
    if isinstance(spec.get("enum"), list):
        values = spec["enum"]
        for key in ("x-enumNames-en", "x-enumNames") if english else ("x-enumNames",):
            names = spec.get(key)
            if isinstance(names, list) and len(names) == len(values):
                return [(v, str(n)) for v, n in zip(values, names, strict=True)]
        return [(v, value_display(v)) for v in values]
    if isinstance(spec.get("oneOf"), list):
        return [
            (
                option["const"],
                str(
                    (english and option.get("x-title-en"))
                    or option.get("title")
                    or value_display(option["const"])
                ),
            )
            for option in spec["oneOf"]
            if isinstance(option, Mapping) and "const" in option
        ]
    return []


def choice_labelled(spec: Any, value: Any) -> Any:
    """A stored value with its choices replaced by their labels (a list item by item)."""
    if not isinstance(spec, Mapping):
        return value
    if isinstance(value, list):
        return [choice_labelled(spec.get("items"), v) for v in value]
    if isinstance(value, str | int | bool):
        for choice, label in field_choices(spec):
            if choice == value and type(choice) is type(value):
                return label
    return value


def value_display(value: Any) -> str:
    """A value as the form shows it again (是/否 for booleans, empty for none)."""
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return "" if value is None else str(value)


def number_text(value: Any) -> str:
    """A number as an input shows it (no trailing .0)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def errors_by_path(errors: Iterable[FieldError]) -> dict[str, list[str]]:
    """Field errors grouped by their path under ``form.``."""
    by_path: dict[str, list[str]] = {}
    for error in errors:
        by_path.setdefault(error.field.removeprefix(PREFIX), []).append(str(error.message))
    return by_path


def as_list(raw: Any) -> list[Any]:
    """A posted value as a list (one value or many)."""
    if isinstance(raw, list | tuple):
        return list(raw)
    return [] if raw is None or raw == "" else [raw]


def posted_rows(name: str, data: Mapping[str, Any]) -> list[dict[str, Any]] | None:
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
    return [typed[i] for i in sorted(typed) if not row_empty(typed[i])]


def input_text(raw: Any) -> str:
    """A posted value as stripped text (the last one when the input was posted twice)."""
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return raw.strip() if isinstance(raw, str) else ""


def choice_key(value: Any) -> str:
    """The string an input or option carries for a JSON value."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def row_empty(row: Mapping[str, Any]) -> bool:
    """Whether a posted table row has no value at all (left out)."""
    return all(input_text(v) == "" for v in row.values())
