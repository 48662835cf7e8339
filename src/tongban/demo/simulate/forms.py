"""Filled-in application forms for any matter or theme, from its JSON Schema and the applicant.

A field the applicant's identity answers (name, ID number, credit code, phone, address) takes
it; other fields get a plausible value of their type that meets the schema's limits (enum,
pattern, length, minimum/maximum, items).  Patterns are the catalogue's few known ones; an
unknown pattern is an error here, not a form the service would refuse later.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tongban.demo.simulate.population import (
    company_name_new,
    mobile,
    person_name,
    street_address,
)

ID_NUMBER_PATTERN = r"^\d{17}[\dX]$"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
PHONE_PATTERN = r"^1[3-9]\d{9}$"
PROJECT_CODE_PATTERN = r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$"
#: A medical device category (分类目录 code, e.g. 07 or 07-01).
DEVICE_CATEGORY_PATTERN = r"^\d{2}(-\d{2})?$"
DIGITS_PATTERN = re.compile(r"^\^\\d\{(\d+),(\d+)\}\$$")


class UnknownPattern(ValueError):
    """A form field whose pattern the simulator cannot fill."""


@dataclass(frozen=True)
class Who:
    """What the applicant's identity answers on a form."""

    name: str
    id_number: str
    phone: str
    address: str
    company_name: str = ""
    uscc: str = ""
    #: Another person's valid ID number and name (a partner, a seller or a buyer).
    other_name: str = ""
    other_id_number: str = ""


def form_fill(
    schema: Mapping[str, Any], *, who: Who, today: dt.date, rng: random.Random
) -> dict[str, Any]:
    """Every property of ``schema`` filled in (required and optional alike)."""
    properties = schema.get("properties") or {}
    values = {
        name: _value(name, prop, who=who, today=today, rng=rng)
        for name, prop in properties.items()
        if isinstance(prop, Mapping)
    }
    # What the applicant has not got (a person's credit code) is left out, not sent empty.
    return {name: value for name, value in values.items() if value != ""}


def _value(
    name: str, prop: Mapping[str, Any], *, who: Who, today: dt.date, rng: random.Random
) -> Any:
    kind = prop.get("type")
    if "enum" in prop:
        return rng.choice(list(prop["enum"]))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("number", "integer"):
        return _number(name, prop, rng=rng, integer=kind == "integer")
    if kind == "array":
        return _array(name, prop, who=who, today=today, rng=rng)
    if kind == "object":
        return form_fill(prop, who=who, today=today, rng=rng)
    return _string(name, prop, who=who, today=today, rng=rng)


def _number(name: str, prop: Mapping[str, Any], *, rng: random.Random, integer: bool) -> Any:
    low = prop.get("minimum", prop.get("exclusiveMinimum", 0))
    high = prop.get("maximum", prop.get("exclusiveMaximum", max(low, 0) + 1000))
    high = min(high, max(low, 0) + 1000)
    if integer:
        start = int(low) + (1 if "exclusiveMinimum" in prop else 0)
        return rng.randint(start, max(start, int(high) - ("exclusiveMaximum" in prop)))
    value = round(rng.uniform(max(low, 0) + 1, max(high, low + 2) - 0.01), 2)
    return value


def _array(
    name: str, prop: Mapping[str, Any], *, who: Who, today: dt.date, rng: random.Random
) -> list[Any]:
    items = prop.get("items") or {}
    size = max(int(prop.get("minItems", 1)), 1)
    if "enum" in items:
        choices = list(items["enum"])
        return rng.sample(choices, min(len(choices), size + rng.randint(0, 1)))
    if items.get("type") == "object":
        rows: list[dict[str, Any]] = []
        for _ in range(size):
            row = form_fill(items, who=who, today=today, rng=rng)
            if "name" in row:
                row["name"] = who.name if not rows else person_name(rng)
            rows.append(row)
        return rows
    return [_value(name, items, who=who, today=today, rng=rng) for _ in range(size)]


def _string(
    name: str, prop: Mapping[str, Any], *, who: Who, today: dt.date, rng: random.Random
) -> str:
    pattern = prop.get("pattern")
    if prop.get("format") == "date":
        # An end lies after its start; both lie ahead of the application.
        ahead = rng.randint(60, 200) if "end" in name else rng.randint(5, 40)
        return (today + dt.timedelta(days=ahead)).isoformat()
    if prop.get("format") == "email":
        return f"user{rng.randint(1000, 99999)}@example.cn"
    if prop.get("format") == "resident-id":
        pattern = ID_NUMBER_PATTERN
    elif prop.get("format") == "uscc":
        pattern = USCC_PATTERN
    if pattern is not None:
        return _patterned(name, pattern, who=who, rng=rng)
    text = _text(name, who=who, today=today, rng=rng)
    low, high = int(prop.get("minLength", 0)), int(prop.get("maxLength", 200))
    if len(text) < low:
        text = text + "（" + "说明" * low + "）"
    return text[:high]


def _patterned(name: str, pattern: str, *, who: Who, rng: random.Random) -> str:
    if pattern == ID_NUMBER_PATTERN:
        own = name in ("id_number", "seller_id_number") or not who.other_id_number
        return who.id_number if own else who.other_id_number
    if pattern == USCC_PATTERN:
        return who.uscc
    if pattern == PHONE_PATTERN:
        return who.phone or mobile(rng)
    if pattern == PROJECT_CODE_PATTERN:
        return (
            f"{rng.randint(2019, 2026)}-310114-{rng.randint(10, 99)}-"
            f"{rng.randint(1, 3):02d}-{rng.randint(0, 999_999):06d}"
        )
    if pattern == DEVICE_CATEGORY_PATTERN:
        return f"{rng.randint(1, 22):02d}-{rng.randint(1, 12):02d}"
    digits = DIGITS_PATTERN.match(pattern)
    if digits:
        low = int(digits.group(1))
        return "".join(str(rng.randint(0, 9)) for _ in range(max(low, 16)))
    raise UnknownPattern(f"{name}: the simulator cannot fill pattern {pattern}")


#: Text fields by the words their names contain: what a resident would type.
TEXT_BY_NAME = (
    # A company to be opened gets a name of its own: one open application per company name.
    ("company_name", lambda w, r: w.company_name or company_name_new(r)),
    ("business_name", lambda w, r: w.company_name or f"嘉定{r.randint(100, 999)}号店"),
    ("venue_name", lambda w, r: f"{w.company_name[:6] or '嘉定'}经营场所"),
    ("project_name", lambda w, r: f"嘉定区{r.randint(1, 99)}号地块建设项目"),
    ("construction_unit", lambda w, r: w.company_name or "上海嘉定新城建设发展有限公司"),
    ("seller_name", lambda w, r: w.name),
    ("buyer_name", lambda w, r: w.other_name or person_name(r)),
    ("partner_name", lambda w, r: w.other_name or person_name(r)),
    ("applicant_name", lambda w, r: w.name),
    ("legal_representative", lambda w, r: w.name),
    ("contact_name", lambda w, r: w.name),
    ("_manager", lambda w, r: person_name(r)),
    ("pharmacist_name", lambda w, r: person_name(r)),
    ("contractor_name", lambda w, r: "上海嘉建工程有限公司"),
    ("supervisor_name", lambda w, r: "上海嘉监工程监理有限公司"),
    ("employer_name", lambda w, r: "上海市嘉定区中心医院"),
    ("address", lambda w, r: w.address or street_address(r)),
    ("scope", lambda w, r: "技术开发、技术咨询、技术服务；货物进出口"),
    ("certificate_no", lambda w, r: f"沪（2024）嘉字不动产权第{r.randint(1, 99999):06d}号"),
    ("registration_no", lambda w, r: f"YS{r.randint(10_000_000, 99_999_999)}"),
    ("mortgagee", lambda w, r: "中国工商银行上海市嘉定支行"),
    ("bank_account", lambda w, r: "".join(str(r.randint(0, 9)) for _ in range(19))),
    ("reason", lambda w, r: "因业务需要申请办理"),
    ("river", lambda w, r: "横沥河"),
    ("point", lambda w, r: "城中路市政污水管网"),
)


def _text(name: str, *, who: Who, today: dt.date, rng: random.Random) -> str:
    for word, make in TEXT_BY_NAME:
        if word in name:
            return str(make(who, rng))
    return f"{rng.choice(('见附件', '按规定办理', '详见申请材料', '无特殊情况'))}"
