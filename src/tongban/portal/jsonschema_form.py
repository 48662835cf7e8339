"""An HTML form from a matter's JSON Schema (draft 2020-12), and its POST data back as JSON.

Only the shape of the input is handled here: a number field gets a number, an
empty input is left out. Whether the values are acceptable (required, pattern,
enum, limits) is decided by the cases service with ``jsonschema``; its field
errors (``form.<name>``) are shown next to the inputs by :func:`form_fields`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

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

    @property
    def input_name(self) -> str:
        return PREFIX + self.name

    @property
    def input_id(self) -> str:
        return "f-" + self.name

    @property
    def checked(self) -> bool:
        return self.value == "on"


def _properties(schema: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(schema, Mapping):
        return {}
    properties = schema.get("properties") or {}
    return {
        name: spec
        for name in form_field_order(schema)
        if isinstance(spec := properties.get(name), Mapping) and _type(spec) in _SCALARS
    }


_SCALARS = {"string", "integer", "number", "boolean"}


def form_names(schema: Any) -> list[str]:
    """Names of the fields the generated form shows (scalar properties), in order."""
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


def form_fields(
    schema: Any,
    *,
    data: Mapping[str, Any] | None = None,
    errors: Iterable[FieldError] = (),
    only: Iterable[str] | None = None,
) -> list[FormField]:
    """The inputs of ``schema`` in order, filled from ``data``, with the errors of each field.

    ``data`` is either the saved JSON or the raw POST strings being shown again;
    ``only`` limits the form to some fields (the ones a supplement request names).
    """
    data = data or {}
    wanted = set(only) if only is not None else None
    required = set(schema.get("required") or []) if isinstance(schema, Mapping) else set()
    by_field: dict[str, list[str]] = {}
    for error in errors:
        name = error.field.removeprefix(PREFIX)
        by_field.setdefault(name, []).append(str(error.message))
    out: list[FormField] = []
    for name, spec in _properties(schema).items():
        if wanted is not None and name not in wanted:
            continue
        kind = _type(spec)
        choices = _choices(spec)
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
            widget = "textarea" if long_text or spec.get("x-widget") == "textarea" else "text"
        if kind == "string" and not choices:
            if isinstance(spec.get("pattern"), str) and widget in ("text", "email"):
                # The browser's pattern attribute must match the whole value, as ^…$ does.
                attrs["pattern"] = spec["pattern"].removeprefix("^").removesuffix("$")
            if isinstance(spec.get("maxLength"), int):
                attrs["maxlength"] = str(spec["maxLength"])
            if isinstance(spec.get("minLength"), int):
                attrs["minlength"] = str(spec["minLength"])
        raw = data.get(name)
        out.append(
            FormField(
                name=name,
                label=str(spec.get("title") or name),
                type=kind,
                widget=widget,
                required=name in required,
                description=str(spec.get("description") or ""),
                choices=[Choice(_choice_key(v), label) for v, label in choices],
                value=_input_value(raw, widget),
                errors=by_field.get(name, []),
                attrs=attrs,
                shared=str(spec.get("x-shared") or ""),
            )
        )
    return out


def _input_value(raw: Any, widget: str) -> str:
    if widget == "checkbox":
        checked = raw is True or (isinstance(raw, str) and raw.strip().lower() in _CHECKED)
        return "on" if checked else ""
    if isinstance(raw, str):  # a posted value shown again as it was typed
        return raw
    return _choice_key(raw)


def form_posted(post: Mapping[str, Any]) -> dict[str, Any]:
    """The raw posted inputs by field name, to show a refused form again as it was typed."""
    return {
        key.removeprefix(PREFIX): value
        for key, value in post.items()
        if isinstance(key, str) and key.startswith(PREFIX)
    }


def form_parse(
    schema: Any, post: Mapping[str, Any], *, only: Iterable[str] | None = None
) -> tuple[dict[str, Any], list[FieldError]]:
    """The typed JSON of a posted form, and the inputs that could not be read as their type.

    An empty input is left out (so "required" is the service's to judge); an
    unticked box is ``false``.
    """
    wanted = set(only) if only is not None else None
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, spec in _properties(schema).items():
        if wanted is not None and name not in wanted:
            continue
        kind = _type(spec)
        key = PREFIX + name
        raw = post.get(key)
        text = raw.strip() if isinstance(raw, str) else ""
        choices = _choices(spec)
        if kind == "boolean" and not choices:
            if text.lower() in _CHECKED:
                out[name] = True
            elif text.lower() in _UNCHECKED:
                out[name] = False
            else:
                errors.append(FieldError(key, _("请勾选或取消勾选")))
            continue
        if text == "":
            continue
        if len(text) > MAX_INPUT_LENGTH:
            errors.append(
                FieldError(key, _("内容过长，最多 %(n)s 个字符") % {"n": MAX_INPUT_LENGTH})
            )
            continue
        if choices:
            matches = [v for v, _label in choices if _choice_key(v) == text]
            if matches:
                out[name] = matches[0]
            else:
                errors.append(FieldError(key, _("请从列表中选择")))
            continue
        try:
            out[name] = _convert(text, kind, spec)
        except ValueError as exc:
            errors.append(FieldError(key, str(exc)))
    return out, errors


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
