from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.workflow.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_due_prints_the_due_date() -> None:
    assert _run("due", "2026-02-13", "5")[0] == "2026-02-27\n"


def test_due_marks_a_provisional_date() -> None:
    assert _run("due", "2026-12-25", "10")[0] == "2027-01-08 (provisional)\n"


@pytest.mark.parametrize(
    "args",
    [
        ("due", "2026-02-30", "5"),
        ("due", "2026-02-13", "five"),
        ("due", "2026-02-13", "-1"),
        ("due", "2026-02-13", "3651"),
        ("due", "2026-02-13"),
        ("nonsense",),
        (),
    ],
)
def test_it_refuses_bad_arguments(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        _run(*args)


def test_years_lists_the_entered_years() -> None:
    out, err = _run("years")
    years = [line.split("\t")[0] for line in out.splitlines()]
    assert years == [str(y) for y in range(2004, 2027)]
    assert "2027" in err  # not entered yet: center admins are told


def test_seed_shows_progress_and_fills_an_empty_table() -> None:
    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()
    out, _err = _run("seed")
    assert "2004/2026" in out and "2026/2026" in out
    assert CalendarYear.objects.count() == 23
    assert _run("due", "2026-02-13", "5")[0] == "2026-02-27\n"


def test_seed_refuses_an_inverted_range() -> None:
    with pytest.raises(CommandError):
        _run("seed", "--first-year", "2026", "--last-year", "2020")
