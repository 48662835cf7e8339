"""Texts stored in Chinese (our own messages, perhaps with values) read in the active language.

Timeline steps and route reasons are written once, in Chinese, and read by people in either
language. A stored text that is exactly one of our messages is translated as it is; one made from
a message with values (``"已寄出（运单号%(no)s）"``) is recognised by the caller's patterns, its
values translated where they are messages themselves, and the translated pattern filled again.
Anything else (what a person typed) is shown as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from django.utils.translation import get_language, gettext

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=256)
def _pattern(message: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(message)
    # split() alternates text and placeholder names: text, name, text, name, text …
    regex = "".join(
        f"(?P<{part}>.+?)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


#: The separator of a list inside a stored value ("身份证、户口簿").
LIST_SEPARATOR = "、"


def _chinese() -> bool:
    return (get_language() or "zh").startswith("zh")


def _value_read(value: str, names: Mapping[str, str]) -> str:
    """A value of a stored message in the active language: one of our messages, or a list of
    names the caller knows in this language (a case's material names), item by item."""
    translated = gettext(value)
    if translated != value or not names or _chinese():
        return translated
    items = value.split(LIST_SEPARATOR)
    if not any(item in names for item in items):
        return value
    return ", ".join(names.get(item) or gettext(item) for item in items)


def stored_text(
    text: str, patterns: Iterable[str] = (), names: Mapping[str, str] | None = None
) -> str:
    """``text`` (stored in Chinese) in the active language, as far as it is our own words.

    ``names`` maps names stored in Chinese inside values (a case's materials) to the active
    language's.
    """
    if not text:
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    for message in patterns:
        match = _pattern(message).match(text)
        if match is not None:
            values = {
                name: _value_read(value, names or {}) for name, value in match.groupdict().items()
            }
            return gettext(message) % values
    return text


#: The separator of a stored text made of several of our messages (a timeline comment).
PART_SEPARATOR = "；"


def stored_parts(
    text: str, patterns: Iterable[str] = (), names: Mapping[str, str] | None = None
) -> str:
    """``text`` made of parts joined by "；", each read as :func:`stored_text`."""
    if PART_SEPARATOR not in text:
        return stored_text(text, patterns, names)
    parts = [stored_text(part, patterns, names) for part in text.split(PART_SEPARATOR)]
    return (PART_SEPARATOR if _chinese() else "; ").join(parts)
