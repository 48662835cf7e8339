"""The data files of the demo district: where each row lives, and how they are read."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tongban.demo import district as district_module
from tongban.demo.district import DATA_DIR, data_file_read, district_read

DISTRICT = district_read()


def _rows_of(folder: str) -> dict[str, list[dict]]:
    return {path.stem: data_file_read(path) for path in sorted((DATA_DIR / folder).glob("*.yaml"))}


def test_each_department_file_holds_only_that_departments_rows() -> None:
    for code, matters in _rows_of("matters").items():
        assert {m["department"] for m in matters} == {code}, code
    for code, resources in _rows_of("resources").items():
        assert {r["provider"] for r in resources} == {code}, code
        assert all(r["code"].startswith(f"{code}.") for r in resources), code
    for code, records in _rows_of("registries").items():
        assert {r["resource"].split(".")[0] for r in records} == {code}, code


def test_it_reads_every_topic_of_the_district() -> None:
    assert len(DISTRICT.departments) == 20
    assert len(DISTRICT.sections) == 6
    assert len(DISTRICT.matters) >= 60
    assert len(DISTRICT.resources) == 125
    assert sum(len(r["fields"]) for r in DISTRICT.resources) == 2076
    assert DISTRICT.registry_records and DISTRICT.elicences and DISTRICT.credit_records
    assert DISTRICT.demo_enterprise["agents"] == ["agent"]


def test_dates_are_dates_and_numbers_that_look_like_dates_stay_text() -> None:
    assert isinstance(DISTRICT.enterprises[0]["established_on"], dt.date)
    assert isinstance(DISTRICT.credit_records[0]["valid_from"], dt.date)
    # Registry data is JSON: what a registry wrote as text stays text.
    population = next(r for r in DISTRICT.registry_records if r["resource"] == "police.population")
    assert isinstance(population["data"]["birth_date"], str)
    assert isinstance(population["subject"], str)
    assert all(isinstance(p["id_number"], str) for p in DISTRICT.people)


def test_a_file_named_after_no_department_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    (copy / "matters" / "space-agency.yaml").write_text("[]\n", encoding="utf-8")
    monkeypatch.setattr(district_module, "DATA_DIR", copy)
    with pytest.raises(ValueError, match="space-agency"):
        district_read()
