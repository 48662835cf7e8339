"""Setting the center up from data: sections' hours, windows, staffing, the negative list."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog.models import Department
from tongban.core.errors import ValidationFailed
from tongban.counter.models import CenterSection, NegativeListEntry, Window, WindowAssignment
from tongban.counter.services.center import (
    center_section_upsert,
    negative_list_upsert,
    window_assignment_ensure,
    window_upsert,
)
from tongban.counter.tests.factories import center_section, section_matter
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

HOURS = {"letter": "a", "opens_at": "09:00", "closes_at": "17:00"}


def test_a_section_gets_its_letter_and_hours(departments: dict[str, Department]) -> None:
    center_section("commerce", "Q")
    center = center_section_upsert(
        section_code="commerce",
        fields={**HOURS, "break_start": "12:00", "break_end": "13:30", "slot_capacity": 3},
    )
    assert (center.letter, f"{center.break_start:%H:%M}", center.slot_capacity) == ("A", "12:00", 3)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({**HOURS, "letter": "甲"}, "letter"),
        ({**HOURS, "closes_at": "08:00"}, "closes_at"),
        ({**HOURS, "break_start": "12:00"}, "break_start"),
        ({**HOURS, "break_start": "18:00", "break_end": "19:00"}, "break_start"),
        ({**HOURS, "slot_minutes": 0}, "slot_minutes"),
        ({**HOURS, "colour": "red"}, "colour"),
        ({**HOURS, "letter": "B"}, "letter"),  # taken by another section
    ],
)
def test_bad_section_settings_are_refused(
    departments: dict[str, Department], fields: dict[str, Any], field: str
) -> None:
    center_section("general", "B")
    center_section("commerce", "Q")
    with pytest.raises(ValidationFailed) as exc:
        center_section_upsert(section_code="commerce", fields=fields)
    assert field in {e.field for e in exc.value.errors}
    assert CenterSection.objects.get(section__code="commerce").letter == "Q"


def test_an_unknown_section_is_refused(departments: dict[str, Department]) -> None:
    with pytest.raises(ValidationFailed):
        center_section_upsert(section_code="nowhere", fields=HOURS)
    assert not CenterSection.objects.exists()


def test_windows_take_matters_of_their_section_only(
    departments: dict[str, Department], center_admin: User
) -> None:
    commerce = center_section("commerce", "A")
    general = center_section("general", "F")
    own = section_matter("company-registration", commerce)
    section_matter("consultation", general, department="center")
    window = window_upsert(
        code="A01", section_code="commerce", fields={"name": "综合窗口"}, matters=[own.code]
    )
    assert list(window.matters.all()) == [own]
    with pytest.raises(ValidationFailed):
        window_upsert(
            code="A02", section_code="commerce", fields={"name": "x"}, matters=["consultation"]
        )
    with pytest.raises(ValidationFailed):
        window_upsert(code="A03", section_code="commerce", fields={"name": "x", "kind": "bogus"})
    assert list(Window.objects.values_list("code", flat=True)) == ["A01"]
    window_assignment_ensure(window_code="A01", clerk=center_admin)
    window_assignment_ensure(window_code="A01", clerk=center_admin)
    assert WindowAssignment.objects.count() == 1
    with pytest.raises(ValidationFailed):
        window_assignment_ensure(window_code="nope", clerk=center_admin)


def test_the_negative_list_names_a_reason_and_a_place(departments: dict[str, Department]) -> None:
    commerce = center_section("commerce", "A")
    matter = section_matter("special-equipment", commerce)
    entry = negative_list_upsert(
        matter_code=matter.code, fields={"reason": "需现场设备", "handled_at": "检测所"}
    )
    assert entry.matter == matter
    with pytest.raises(ValidationFailed):
        negative_list_upsert(matter_code=matter.code, fields={"reason": "", "handled_at": "检测所"})
    with pytest.raises(ValidationFailed):
        negative_list_upsert(matter_code="nope", fields={"reason": "x", "handled_at": "y"})
    assert NegativeListEntry.objects.get().reason == "需现场设备"
