"""Check characters of Chinese identity numbers, as pure functions (no app of ours needed).

- Resident identity number (公民身份号码), GB 11643-1999: 17 digits and an
  ISO 7064 MOD 11-2 check character (0-9 or X), with a valid birth date.
- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters
  over a 31-symbol alphabet with a MOD 31 check character.

``identity`` validates its Person and Enterprise with them, and ``catalog``'s form checker
uses them for the ``resident-id`` / ``uscc`` formats of any application form field.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
#: 登记管理部门码: 1 机构编制, 5 民政, 9 工商, Y 其他 and the codes added since.
USCC_AUTHORITIES = set("123456789ABCDEFGNY")


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def resident_id_birth_date(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def resident_id_problem(value: str, *, today: dt.date | None = None) -> str | None:
    """Why ``value`` is not a valid resident ID number, or None when it is."""
    v = value.strip().upper()
    if len(v) != 18:
        return str(_("身份证号应为18位"))
    if not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        return str(_("身份证号前17位应为数字，末位为数字或X"))
    if v[0] not in "12345678":
        return str(_("身份证号的地区码无效"))
    born = resident_id_birth_date(v)
    today = today or dt.date.today()
    if born is None or born.year < 1900 or born > today:
        return str(_("身份证号中的出生日期无效"))
    if resident_id_check_char(v[:17]) != v[17]:
        return str(_("身份证号校验码错误"))
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Why ``value`` is not a valid unified social credit code, or None when it is."""
    v = value.strip().upper()
    if len(v) != 18:
        return str(_("统一社会信用代码应为18位"))
    if any(c not in USCC_ALPHABET for c in v):
        return str(_("统一社会信用代码含有无效字符（不使用I、O、Z、S、V）"))
    if v[0] not in USCC_AUTHORITIES:
        return str(_("统一社会信用代码的登记管理部门码无效"))
    if not v[2:8].isdigit():
        return str(_("统一社会信用代码的行政区划码应为6位数字"))
    if uscc_check_char(v[:17]) != v[17]:
        return str(_("统一社会信用代码校验码错误"))
    return None
