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

from tongban.catalog.jsonschema_form.parse import form_errors_split, form_parse, form_posted
from tongban.catalog.jsonschema_form.render import form_fields
from tongban.catalog.jsonschema_form.schema import (
    MAX_INPUT_LENGTH,
    MAX_ROWS,
    PREFIX,
    FormField,
    choice_labelled,
    form_names,
)

__all__ = [
    "MAX_INPUT_LENGTH",
    "MAX_ROWS",
    "PREFIX",
    "FormField",
    "choice_labelled",
    "form_errors_split",
    "form_fields",
    "form_names",
    "form_parse",
    "form_posted",
]
