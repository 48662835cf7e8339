"""Text rules shared by several apps (pure functions, no models: migrations may use them)."""

from __future__ import annotations

import unicodedata

#: Legal-form suffixes that name the same kind of company (公司法第七条: 有限责任公司 may call
#: itself 有限公司; 股份有限公司 may call itself 股份公司), longest first.
COMPANY_FORM_VARIANTS = (
    ("股份有限公司", "股份公司"),
    ("有限责任公司", "有限公司"),
)
#: How long an object key may be (Case.object_key).
OBJECT_KEY_MAX = 200


def object_key_normalize(value: str) -> str:
    """What identifies an application's object, the same however it was typed.

    Full-width and half-width forms are one (NFKC: "沪（2024）" is "沪(2024)", "Ａ" is "a"),
    white space is dropped, Latin letters are compared without case, and a company's legal
    form is compared by its short name ("…有限责任公司" is "…有限公司").
    """
    text = "".join(unicodedata.normalize("NFKC", value).split()).casefold()
    for long, short in COMPANY_FORM_VARIANTS:
        if text.endswith(long):
            text = text[: -len(long)] + short
            break
    return text[:OBJECT_KEY_MAX]
