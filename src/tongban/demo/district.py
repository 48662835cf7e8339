"""The demo district as data: the YAML files under ``demo/data/``, read into plain dicts.

One file per topic, one file per department where a topic is kept by
departments (``matters/``, ``resources/``, ``registries/``).  Keys are the
columns the admin's Excel imports use, so a row copied from a file reads as a
row of the sheet.  Nothing here writes: ``tongban.demo.loader`` hands the rows
to the same services production uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML built without libyaml: the same result, a few times slower
    from yaml import SafeLoader  # type: ignore[assignment]

DATA_DIR = Path(__file__).resolve().parent / "data"

Row = dict[str, Any]


@dataclass(frozen=True)
class District:
    """Everything the demo district holds, in load order."""

    departments: list[Row]
    sections: list[Row]
    certificate_types: list[Row]
    #: Matters with their ``materials`` (catalog.Matter and MaterialRequirement columns).
    matters: list[Row]
    #: Themes: catalog.Theme columns, and ``matters`` with their order and stage.
    themes: list[Row]
    #: Words citizens say → space-separated words the catalogue uses.
    synonyms: dict[str, str]
    people: list[Row]
    enterprises: list[Row]
    #: The 政务信息资源目录: resources with their data items (``fields``).
    resources: list[Row]
    #: ``{resource, subject, data}`` of the local registries.
    registry_records: list[Row]
    #: Approved share grants: ``{resource, department, matter, reason}`` (conditional resources).
    grants: list[Row]
    #: E-licences issued before the platform existed (imported into the library).
    elicences: list[Row]
    #: Credit records, as keyword arguments of ``credit_record_create``.
    credit_records: list[Row]
    #: The service center: ``sections`` (hours, letters), ``windows`` (with ``clerks`` and
    #: optional ``matters``) and the ``negative_list``.
    center: Row

    @property
    def demo_enterprise(self) -> Row:
        """The enterprise the demo account ``agent`` acts for."""
        return next(e for e in self.enterprises if "agent" in e["agents"])

    def matter(self, code: str) -> Row:
        return next(m for m in self.matters if m["code"] == code)

    def person(self, name: str) -> Row:
        return next(p for p in self.people if p["name"] == name)


def data_file_read(path: Path) -> Any:
    """One data file's content (plain YAML: mappings, lists, strings, numbers, dates)."""
    with path.open("rb") as stream:
        return yaml.load(stream, Loader=SafeLoader)


def _rows(name: str) -> list[Row]:
    return list(data_file_read(DATA_DIR / name) or [])


def _rows_by_department(folder: str, departments: list[Row]) -> list[Row]:
    """The rows of ``folder/<department>.yaml`` in department order; refuses a stray file."""
    files = {path.stem: path for path in (DATA_DIR / folder).glob("*.yaml")}
    codes = [d["code"] for d in departments]
    stray = sorted(set(files) - set(codes))
    if stray:
        raise ValueError(f"demo data {folder}/: no department named {', '.join(stray)}")
    rows: list[Row] = []
    for code in codes:
        if code in files:
            rows.extend(data_file_read(files[code]) or [])
    return rows


def district_read() -> District:
    """Read every data file of the demo district."""
    departments = _rows("departments.yaml")
    return District(
        departments=departments,
        sections=_rows("sections.yaml"),
        certificate_types=_rows("certificate-types.yaml"),
        matters=_rows_by_department("matters", departments),
        themes=_rows("themes.yaml"),
        synonyms=dict(data_file_read(DATA_DIR / "synonyms.yaml") or {}),
        people=_rows("people.yaml"),
        enterprises=_rows("enterprises.yaml"),
        resources=_rows_by_department("resources", departments),
        registry_records=_rows_by_department("registries", departments),
        grants=_rows("grants.yaml"),
        elicences=_rows("elicences.yaml"),
        credit_records=_rows("credit-records.yaml"),
        center=dict(data_file_read(DATA_DIR / "center.yaml") or {}),
    )
