"""Reading and checking the JSON Schema application forms of matters and themes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaValidationError

from tongban.core.errors import FieldError
from tongban.core.gbcodes import resident_id_problem, uscc_problem

# A JSON-Schema annotation next to "title": the field's English title.
TITLE_EN = "x-title-en"


def schema_field_title(prop: Any, fallback: str = "") -> str:
    """A form field's title in the active language: ``x-title-en`` under English, else ``title``."""
    if not isinstance(prop, dict):
        return fallback
    if (get_language() or "").startswith("en"):
        english = prop.get(TITLE_EN)
        if isinstance(english, str) and english:
            return english
    title = prop.get("title")
    if isinstance(title, str) and title:
        return title
    return fallback


_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMAS = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _without_required(schema: Any) -> Any:
    """The schema with every ``required`` dropped: a draft may be partial."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _without_required(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMAS:
            out[key] = _without_required(value)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [_without_required(sub) for sub in value]
        else:
            out[key] = value
    return out


#: What a JSON-Schema keyword's failure means to the applicant (translated when shown).
_PROBLEMS = {
    "type": gettext_noop("类型不正确"),
    "format": gettext_noop("格式不正确"),
    "pattern": gettext_noop("格式不正确"),
    "enum": gettext_noop("取值无效"),
    "const": gettext_noop("取值无效"),
    "minLength": gettext_noop("内容过短"),
    "maxLength": gettext_noop("内容过长"),
    "minimum": gettext_noop("数值过小"),
    "exclusiveMinimum": gettext_noop("数值过小"),
    "maximum": gettext_noop("数值过大"),
    "exclusiveMaximum": gettext_noop("数值过大"),
    "minItems": gettext_noop("选择的项目过少"),
    "maxItems": gettext_noop("选择的项目过多"),
}


#: ``"format"`` values of identity numbers, checked wherever a form has them: the check
#: character and (for IDs) the birth date, not only the shape a ``pattern`` sees.
RESIDENT_ID_FORMAT = "resident-id"
USCC_FORMAT = "uscc"
_NUMBER_PROBLEMS: dict[str, Callable[[str], str | None]] = {
    RESIDENT_ID_FORMAT: resident_id_problem,
    USCC_FORMAT: uscc_problem,
}

FORMAT_CHECKER = FormatChecker(formats=())
FORMAT_CHECKER.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
for _format, _problem in _NUMBER_PROBLEMS.items():
    FORMAT_CHECKER.checks(_format)(
        lambda value, problem=_problem: not isinstance(value, str) or problem(value) is None
    )


def number_problem(fmt: Any, value: Any) -> str | None:
    """Why ``value`` is not a valid number of the identity ``fmt`` (None: valid or not one)."""
    check = _NUMBER_PROBLEMS.get(fmt) if isinstance(fmt, str) else None
    if check is None or not isinstance(value, str):
        return None
    return check(value)


def _schema_error_fields(err: SchemaValidationError) -> list[FieldError]:
    path = [str(p) for p in err.absolute_path]
    if err.validator == "required":
        properties = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        instance = err.instance if isinstance(err.instance, dict) else {}
        return [
            FieldError(
                field=".".join(["form", *path, str(name)]),
                message=_("%(title)s：必填")
                % {"title": schema_field_title(properties.get(name), str(name))},
            )
            for name in err.validator_value
            if name not in instance
        ]
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        return [
            FieldError(field=".".join(["form", *path, str(name)]), message=_("未知字段"))
            for name in err.instance
            if name not in known
        ]
    problem = _PROBLEMS.get(str(err.validator), gettext_noop("内容不符合要求"))
    title = schema_field_title(err.schema, path[-1] if path else _("申请表"))
    if err.validator == "format" and (why := number_problem(err.validator_value, err.instance)):
        # GB 11643 / GB 32100: say what is wrong with the number (check digit, birth date …).
        return [
            FieldError(
                field=".".join(["form", *path]),
                message=_("%(title)s：%(problem)s") % {"title": title, "problem": why},
            )
        ]
    return [
        FieldError(
            field=".".join(["form", *path]),
            message=_("%(title)s：%(problem)s") % {"title": title, "problem": _(problem)},
        )
    ]


def form_errors(*, schema: Mapping[str, Any], form: Any, complete: bool) -> list[FieldError]:
    """Field errors of ``form`` against the matter's JSON Schema; ``complete`` checks required."""
    checked = dict(schema) if complete else _without_required(dict(schema))
    validator = Draft202012Validator(checked, format_checker=FORMAT_CHECKER)
    errors: list[FieldError] = []
    seen: set[str] = set()
    for err in sorted(validator.iter_errors(form), key=lambda e: [str(p) for p in e.path]):
        # One error per field: "required" reports each missing name, and a value may break
        # several keywords at once.
        for item in _schema_error_fields(err):
            if item.field not in seen:
                seen.add(item.field)
                errors.append(item)
    return errors
