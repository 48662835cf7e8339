"""Read posted form data back as the JSON a case's form holds."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from tongban.catalog.jsonschema_form.schema import (
    CHECKED,
    MAX_INPUT_LENGTH,
    MAX_ROWS,
    PREFIX,
    UNCHECKED,
    as_list,
    choice_key,
    field_choices,
    field_kind,
    field_type,
    input_text,
    posted_rows,
    schema_properties,
    table_columns,
)
from tongban.core.errors import FieldError


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
    values = getlist(key) if callable(getlist) else as_list(post.get(key))
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
    for name, spec in schema_properties(schema).items():
        if wanted is not None and name not in wanted:
            continue
        kind = field_kind(spec)
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
    kind = field_type(spec)
    text = input_text(raw)
    choices = field_choices(spec)
    if kind == "boolean" and not choices:
        if in_table:
            choices = [(True, ""), (False, "")]
        elif text.lower() in CHECKED:
            return True, None
        elif text.lower() in UNCHECKED:
            return False, None
        else:
            return _EMPTY, FieldError(key, _("请勾选或取消勾选"))
    if text == "":
        return _EMPTY, None
    if len(text) > MAX_INPUT_LENGTH:
        return _EMPTY, FieldError(key, _("内容过长，最多 %(n)s 个字符") % {"n": MAX_INPUT_LENGTH})
    if choices:
        matches = [v for v, _label in choices if choice_key(v) == text]
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
    choices = field_choices(spec["items"])
    picked: list[Any] = []
    for text in _posted_list(post, key):
        matches = [v for v, _label in choices if choice_key(v) == text]
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
    text = input_text(post.get(key))
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
    columns = table_columns(spec["items"])
    typed = posted_rows(name, {k.removeprefix(PREFIX): v for k, v in post.items()})
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
