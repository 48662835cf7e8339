"""`tongban simulate` needs the demo district (its own module: the others load it once)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.cases.models import Case

pytestmark = pytest.mark.django_db


def test_it_refuses_to_run_without_the_demo_district() -> None:
    with pytest.raises(CommandError, match="demo load"):
        call_command("simulate", "--cases", "5", stdout=io.StringIO())
    assert not Case.objects.exists()
