from __future__ import annotations

from collections.abc import Iterator

import pytest

from tongban.workflow.services import on_year_entered, year_entered_callback_remove


@pytest.fixture
def entered_years() -> Iterator[list[int]]:
    """Records every year passed to the year-entered hook while the test runs."""
    calls: list[int] = []
    on_year_entered(calls.append)
    yield calls
    year_entered_callback_remove(calls.append)
