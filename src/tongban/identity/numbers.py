"""Makers of valid identity numbers, for demo data and tests.

They compute the check characters with the same arithmetic the validators
use, so every number they make passes validation.
"""

from __future__ import annotations

import datetime as dt

from tongban.identity.validators import USCC_ALPHABET, resident_id_check_char, uscc_check_char

#: GB 11714-1997 organisation code weights; its 9th character is a MOD 11 check.
ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def resident_id_make(*, area: str, birth: dt.date, sequence: int) -> str:
    """A valid 18-character resident ID (GB 11643); odd sequences are men, even women."""
    if len(area) != 6 or not area.isdigit() or area[0] not in "12345678":
        raise ValueError(f"area must be a 6-digit region code, got {area!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0..999, got {sequence}")
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    # Letters count as A=10 … Z=35 in GB 11714; the USCC alphabet skips I O Z S V.
    total = sum(_org_value(c) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def uscc_make(
    *,
    authority: str = "9",
    kind: str = "1",
    area: str = "310114",
    org: str = "MA1G0001",
) -> str:
    """A valid unified social credit code (GB 32100).

    ``org`` is the 9-character organisation code, or its first 8 characters, in
    which case the GB 11714 check character is appended.
    """
    if len(org) == 8:
        org = org + org_code_check_char(org)
    first17 = f"{authority}{kind}{area}{org}".upper()
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError(f"cannot build a credit code from {first17!r}")
    return first17 + uscc_check_char(first17)
